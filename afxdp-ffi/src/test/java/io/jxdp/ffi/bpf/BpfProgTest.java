package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Program load, test run and XDP links against this machine's kernel (the tests run as root). */
class BpfProgTest {

    private static byte[] packet(long seed, int length) {
        byte[] p = new byte[length];
        new Random(seed).nextBytes(p);
        return p;
    }

    @ParameterizedTest
    @ValueSource(ints = {XdpAction.XDP_ABORTED, XdpAction.XDP_DROP, XdpAction.XDP_PASS, XdpAction.XDP_TX})
    void constantProgramReturnsItsVerdictAndThePacket(int action) {
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(action)).withName("jxdp_ret"));
        try {
            byte[] in = packet(action, 64);
            TestRunResult r = Bpf.progTestRun(fd, TestRunAttr.of(in));
            assertEquals(action, r.retval(), XdpAction.name(r.retval()));
            assertArrayEquals(in, r.dataOut());
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void programThatWritesThePacketReturnsTxAndTheChangedBytes() {
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(Insns.markFirstByteAndTx()));
        try {
            byte[] in = packet(7, 64);
            in[0] = 0x11;
            TestRunResult r = Bpf.progTestRun(fd, TestRunAttr.of(in));
            assertEquals(XdpAction.XDP_TX, r.retval());
            assertEquals((byte) 0xAA, r.dataOut()[0]);
            assertArrayEquals(Arrays.copyOfRange(in, 1, 64), Arrays.copyOfRange(r.dataOut(), 1, 64));
            assertEquals(0x11, in[0], "input array untouched");
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void rejectedProgramCarriesTheVerifierLog() {
        // "exit" alone returns an uninitialised r0: the verifier says "R0 !read_ok"
        BpfLoadException e = assertThrows(BpfLoadException.class,
                () -> Bpf.progLoad(ProgLoadAttr.xdp(new long[] {Insns.exit()})));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.log().contains("R0 !read_ok"), e.log());
        assertTrue(e.getMessage().contains("R0 !read_ok"), e.getMessage());

        // a packet store without the bounds check: "invalid access to packet"
        long[] unchecked = {
            Insns.ldxW(2, 1, 0),
            Insns.stB(2, 0, 1),
            Insns.mov64Imm(0, XdpAction.XDP_PASS),
            Insns.exit(),
        };
        BpfLoadException e2 = assertThrows(BpfLoadException.class,
                () -> Bpf.progLoad(ProgLoadAttr.xdp(unchecked).withLog(2, 64 * 1024)));
        assertTrue(e2.log().contains("invalid access to packet"), e2.log());
    }

    @Test
    void acceptedProgramReturnsTheVerifierLogWithTheProcessedCount() {
        ProgLoadResult r = Bpf.progLoadWithLog(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)).withLog(1, 0));
        try {
            assertTrue(r.fd() >= 0);
            assertEquals(2, r.processedInsns().orElseThrow(), r.log());
        } finally {
            Bpf.close(r.fd());
        }
        // a 16-byte buffer cannot hold a level-2 log: the kernel fails the load with ENOSPC and the binding grows it
        ProgLoadResult small = Bpf.progLoadWithLog(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)).withLog(2, 16));
        try {
            assertTrue(small.log().contains("0: R1=ctx() R10=fp0"), small.log());
            assertEquals(2, small.processedInsns().orElseThrow(), small.log());
        } finally {
            Bpf.close(small.fd());
        }
        assertTrue(new ProgLoadResult(0, "").processedInsns().isEmpty());
    }

    @Test
    void badAttributesAreRejectedInJava() {
        assertThrows(IllegalArgumentException.class,
                () -> ProgLoadAttr.xdp(Insns.returning(2)).withName("a_name_longer_than_15"));
        assertThrows(IllegalArgumentException.class,
                () -> new ProgLoadAttr(ProgType.BPF_PROG_TYPE_XDP, 0, MemorySegment.ofArray(new byte[12]), "GPL",
                        null, 0, 0, 0, 0, 0, null, 0, null, 0, 0, 0, 0));
    }

    @Test
    void repeatedRunReportsADurationAndProgInfoDescribesTheProgram() {
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)).withName("jxdp_pass"));
        try {
            TestRunResult r = Bpf.progTestRun(fd, TestRunAttr.of(packet(3, 64)).withRepeat(1000));
            assertEquals(XdpAction.XDP_PASS, r.retval());
            assertTrue(r.durationNs() > 0 && r.durationNs() < 1_000_000, "ns per run: " + r.durationNs());

            BpfInfo.ProgInfo info = Bpf.progInfo(fd);
            assertEquals(ProgType.BPF_PROG_TYPE_XDP, info.type());
            assertEquals("jxdp_pass", info.name());
            assertEquals(16, info.tag().length());
            assertFalse(info.tag().equals("0000000000000000"));
            assertEquals(2 * 8, info.xlatedProgLen()); // two instructions, as loaded
            assertTrue(info.gplCompatible());
            assertTrue(info.id() > 0);
            assertEquals(info, Bpf.objInfo(fd));

            // a second fd for the same program, by id
            int again = Bpf.progGetFdById(info.id());
            try {
                assertEquals(info.id(), Bpf.progInfo(again).id());
            } finally {
                Bpf.close(again);
            }
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void tooSmallDataOutNamesTheSizeNeeded() {
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)));
        try {
            NativeException e = assertThrows(NativeException.class,
                    () -> Bpf.progTestRun(fd, TestRunAttr.of(packet(1, 64)).withDataOutCapacity(16)));
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains("data 64"), e.getMessage());
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void xdpContextIsPassedInAndOut() {
        // struct xdp_md in: data 0, data_end = packet length, the rest zero (the kernel requires it)
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)));
        try {
            byte[] ctx = new byte[24];
            MemorySegment c = MemorySegment.ofArray(ctx);
            c.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 64);
            TestRunResult r = Bpf.progTestRun(fd, TestRunAttr.of(packet(2, 64)).withCtx(ctx, 24));
            assertEquals(24, r.ctxOut().length);
            assertEquals(64, MemorySegment.ofArray(r.ctxOut()).get(ValueLayout.JAVA_INT_UNALIGNED, 4));
        } finally {
            Bpf.close(fd);
        }
    }

    // ------------------------------------------------------------ XDP link in a private namespace

    private static final int CLONE_NEWNET = 0x40000000; // include/uapi/linux/sched.h
    private static final int O_RDONLY_CLOEXEC = 0x80000; // O_RDONLY | O_CLOEXEC
    private static final MethodHandle OPEN = LibC.downcallErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = LibC.downcallErrno("setns",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = LibC.downcallErrno("if_nametoindex",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private static int open(String path) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = LibC.newErrnoCapture(arena);
            int fd = (int) OPEN.invokeExact(cap, arena.allocateFrom(path), O_RDONLY_CLOEXEC);
            if (fd < 0) {
                throw new NativeException("open(" + path + ")", LibC.errno(cap));
            }
            return fd;
        }
    }

    private static void setns(int fd) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = LibC.newErrnoCapture(arena);
            if ((int) SETNS.invokeExact(cap, fd, CLONE_NEWNET) != 0) {
                throw new NativeException("setns", LibC.errno(cap));
            }
        }
    }

    private static int ifindex(String name) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = LibC.newErrnoCapture(arena);
            int idx = (int) IF_NAMETOINDEX.invokeExact(cap, arena.allocateFrom(name));
            if (idx == 0) {
                throw new NativeException("if_nametoindex(" + name + ")", LibC.errno(cap));
            }
            return idx;
        }
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /**
     * BPF_F_TEST_XDP_LIVE_FRAMES with no data_out; with a context, the kernel refuses a data_out
     * (net/bpf/test_run.c, bpf_prog_test_run_xdp), and a batch size without live frames. On a kernel
     * that refuses live frames altogether (EPERM, this machine kind since 2026-12) the binding must
     * report that refusal; the batch-size check stands either way. Run inside a
     * namespace of its own, whose loopback device is the frames' ingress, with a program that
     * drops every frame so nothing reaches any stack.
     */
    @Test
    void liveFramesRunWithoutDataOut() throws Throwable {
        String ns = "jxdp-live-" + ProcessHandle.current().pid();
        run(List.of("ip", "netns", "add", ns));
        int prog = -1;
        try {
            prog = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_DROP)));
            int home = open("/proc/thread-self/ns/net");
            int nsFd = open("/run/netns/" + ns);
            try {
                setns(nsFd);
                try {
                    TestRunAttr live = TestRunAttr.of(packet(9, 64)).withDataOutCapacity(0).withRepeat(16)
                            .withFlags(BpfFlags.BPF_F_TEST_XDP_LIVE_FRAMES);
                    int p = prog;
                    byte[] ctx = new byte[24];
                    MemorySegment.ofArray(ctx).set(ValueLayout.JAVA_INT_UNALIGNED, 4, 64); // xdp_md.data_end
                    TestRunResult r;
                    try {
                        r = Bpf.progTestRun(prog, live);
                    } catch (NativeException refused) {
                        // The kernel of this machine kind refuses every live-frames run with EPERM
                        // (since 2026-12, before any other check: even an oversized batch gets EPERM,
                        // not E2BIG). The binding must then report exactly that, naming the call, and
                        // the same refusal must stand for the data_out variant.
                        assertEquals(Errno.EPERM, refused.errno(), refused.getMessage());
                        assertTrue(refused.getMessage().startsWith("BPF_PROG_TEST_RUN(prog fd " + prog), refused.getMessage());
                        assertEquals(Errno.EPERM, assertThrows(NativeException.class, () -> Bpf.progTestRun(p,
                                live.withDataOutCapacity(128).withCtx(ctx, 0))).errno());
                        r = null;
                    }
                    if (r != null) {
                        assertEquals(0, r.dataOut().length);
                        NativeException e = assertThrows(NativeException.class, () -> Bpf.progTestRun(p,
                                live.withDataOutCapacity(128).withCtx(ctx, 0)));
                        assertEquals(Errno.EINVAL, e.errno());
                    }
                    TestRunAttr batchNotLive = new TestRunAttr(packet(9, 64), 128, null, 0, 1, 0, 0, 8);
                    assertEquals(Errno.EINVAL, assertThrows(NativeException.class,
                            () -> Bpf.progTestRun(p, batchNotLive)).errno());
                } finally {
                    setns(home);
                }
            } finally {
                Bpf.close(nsFd);
                Bpf.close(home);
            }
        } finally {
            Bpf.close(prog);
            run(List.of("ip", "netns", "del", ns));
        }
    }

    /**
     * Attaches an XDP program with BPF_LINK_CREATE to a veth inside a namespace of its own (the
     * test thread enters it with setns(2) and returns to its own namespace in finally), sees the
     * link through {@code ip link}, and sees closing the link fd detach it.
     */
    @Test
    void xdpLinkAttachesAndDetachesWithItsFd() throws Throwable {
        String ns = "jxdp-bpf-" + ProcessHandle.current().pid();
        run(List.of("ip", "netns", "add", ns));
        int home = -1;
        int prog = -1;
        try {
            run(List.of("ip", "-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"));
            run(List.of("ip", "-n", ns, "link", "set", "veth0", "up"));
            run(List.of("ip", "-n", ns, "link", "set", "veth1", "up"));
            prog = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_PASS)).withName("jxdp_link"));
            int progId = Bpf.progInfo(prog).id();
            home = open("/proc/thread-self/ns/net");
            int nsFd = open("/run/netns/" + ns);
            int link;
            int idx;
            try {
                setns(nsFd);
                try {
                    idx = ifindex("veth0");
                    link = Bpf.linkCreate(prog, idx, AttachType.BPF_XDP, 0);
                } finally {
                    setns(home);
                }
            } finally {
                Bpf.close(nsFd);
            }
            try {
                BpfInfo.LinkInfo li = Bpf.linkInfo(link);
                assertEquals(progId, li.progId());
                assertEquals(idx, li.targetIfindex());
                assertEquals(6, li.type()); // BPF_LINK_TYPE_XDP
                assertEquals(li, Bpf.objInfo(link));
                String shown = run(List.of("ip", "-n", ns, "-d", "link", "show", "veth0"));
                assertTrue(shown.contains("prog/xdp id " + progId), shown);
            } finally {
                Bpf.close(link);
            }
            // the link was the only reference to the attachment: closing it detaches
            String after = "";
            for (int i = 0; i < 50; i++) {
                after = run(List.of("ip", "-n", ns, "-d", "link", "show", "veth0"));
                if (!after.contains("prog/xdp")) {
                    break;
                }
                Thread.sleep(20);
            }
            assertFalse(after.contains("prog/xdp"), after);
        } finally {
            Bpf.close(prog);
            Bpf.close(home);
            run(List.of("ip", "netns", "del", ns));
        }
    }
}
