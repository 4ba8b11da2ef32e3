package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Inner maps created from the BTF template, inserted and replaced from a control thread while an
 * engine thread runs packets, through the corpus program xdp_mapinmap (ARRAY_OF_MAPS "tenants" of
 * ARRAY counters, HASH_OF_MAPS "by_proto" of HASH port counters; its static slots are checked
 * against the kernel by the corpus tests). Every run counts one frame in whichever inner maps the
 * outer maps held when it looked them up, so the counts summed over every inner map ever installed
 * must equal the runs exactly: no run lost its update to a swap, none saw a freed map.
 */
class InnerMapSwapTest {
    private static final int SWAPS = 40;
    /** Upper bound of spins waiting for the engine thread (it runs a packet in microseconds). */
    private static final long SPIN_BOUND = 2_000_000_000L;

    private static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static long u64(Optional<byte[]> v) {
        if (v.isEmpty()) {
            return 0;
        }
        byte[] b = v.get();
        long x = 0;
        for (int i = 7; i >= 0; i--) {
            x = x << 8 | (b[i] & 0xff);
        }
        return x;
    }

    /** Tenant 2, IPv4 UDP to port 53: tenants[2][0] += 1 and by_proto[17][53] += 1 per run. */
    private static byte[] frame() throws Exception {
        Corpus.Entry e = entry();
        return PacketFiles.read(e.pcap()).get(0);
    }

    private static Corpus.Entry entry() throws Exception {
        return Corpus.entries().stream().filter(x -> x.name().equals("xdp_mapinmap")).findFirst().orElseThrow();
    }

    private static XdpEngine engine(String kind, BpfObject obj) {
        return kind.equals("jit") ? JitXdpEngine.create(obj, "xdp_mapinmap", 1, 0)
                : InterpreterXdpEngine.create(obj, "xdp_mapinmap", Interpreter.Mode.CHECKED, 1);
    }

    private static BpfMap createInner(XdpEngine e, String outer) {
        return ((LinkedXdpEngine) e).createInnerMap(outer);
    }

    private static BpfMap setInner(XdpEngine e, String outer, byte[] key, BpfMap inner) {
        return ((LinkedXdpEngine) e).setInnerMap(outer, key, inner);
    }

    private static void retire(XdpEngine e, BpfMap m) {
        ((LinkedXdpEngine) e).retireInnerMap(m);
    }

    private static BpfMap objectMap(XdpEngine e, String name) {
        return ((LinkedXdpEngine) e).map(name);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void swapsUnderARunningEngineLoseNoCount(String kind) throws Exception {
        BpfObject obj = BpfObjectLoader.load(entry().object());
        byte[] frame = frame();
        byte[] port53 = u32(53);
        byte[] udp = u32(17);
        byte[] tenant2 = u32(2);
        try (XdpEngine e = engine(kind, obj)) {
            AtomicLong runs = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread worker = new Thread(() -> {
                try {
                    for (long i = 0; i < 50_000_000L && !stop.get(); i++) {
                        long a = e.run(frame, 1).action();
                        if (a != XdpAction.PASS) {
                            throw new AssertionError("run " + i + ": " + XdpAction.name(a));
                        }
                        runs.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "engine");
            worker.start();

            long udpCounted = 0;
            long tenantCounted = 0;
            List<BpfMap> retired = new ArrayList<>();
            try {
                for (int s = 0; s < SWAPS; s++) {
                    awaitRuns(runs, runs.get() + 3, failure);
                    BpfMap u = createInner(e, "by_proto");
                    BpfMap t = createInner(e, "tenants");
                    assertEquals(MapType.HASH, u.type(), "by_proto's template is the BTF's inner HASH");
                    assertEquals(MapType.ARRAY, t.type());
                    BpfMap oldU = setInner(e, "by_proto", udp, u);
                    BpfMap oldT = setInner(e, "tenants", tenant2, t);
                    // a run that started after both swaps has ended: the one in flight is over too
                    awaitRuns(runs, runs.get() + 2, failure);
                    udpCounted += u64(oldU.lookup(port53));
                    tenantCounted += u64(oldT.lookup(u32(0)));
                    if (s == 0) {
                        assertSame(objectMap(e, "udp_ports"), oldU, "the static slot held the object's map");
                        assertSame(objectMap(e, "tenant_b"), oldT);
                    } else {
                        retire(e, oldU);
                        retire(e, oldT);
                        retired.add(oldU);
                        retired.add(oldT);
                    }
                }
            } finally {
                stop.set(true);
                worker.join();
            }
            if (failure.get() != null) {
                fail("the engine thread failed", failure.get());
            }
            BpfMap u = setInner(e, "by_proto", udp, null);
            BpfMap t = setInner(e, "tenants", tenant2, null);
            udpCounted += u64(u.lookup(port53));
            tenantCounted += u64(t.lookup(u32(0)));
            assertEquals(runs.get(), udpCounted, "by_proto: every run counted once, in one inner map");
            assertEquals(runs.get(), tenantCounted, "tenants: every run counted once, in one inner map");
            assertTrue(runs.get() >= SWAPS * 5L, "runs " + runs.get());

            // without inner maps the program drops tenant 2's frames and counts no port
            long before = u64(u.lookup(port53));
            assertEquals(XdpAction.DROP, e.run(frame, 1).action());
            assertEquals(before, u64(u.lookup(port53)), "the removed inner map is not reached any more");
            for (BpfMap m : retired) {
                MapException x = assertThrows(MapException.class, () -> m.lookup(u32(0)), m.name());
                assertTrue(x.getMessage().contains("closed"), x.getMessage());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void wrongMapsAreRefusedClearly(String kind) throws Exception {
        BpfObject obj = BpfObjectLoader.load(entry().object());
        try (XdpEngine e = engine(kind, obj)) {
            BpfMap arrayInner = createInner(e, "tenants");
            EngineException x = assertThrows(EngineException.class, () -> setInner(e, "by_proto", u32(17), arrayInner));
            assertTrue(x.getMessage().contains("by_proto") && x.getMessage().contains("EINVAL"), x.getMessage());
            x = assertThrows(EngineException.class, () -> createInner(e, "tcp_ports"));
            assertTrue(x.getMessage().contains("holds no maps"), x.getMessage());
            x = assertThrows(EngineException.class, () -> retire(e, objectMap(e, "tcp_ports")));
            assertTrue(x.getMessage().contains("not the engine's to free"), x.getMessage());
            BpfMap held = createInner(e, "by_proto");
            setInner(e, "by_proto", u32(17), held);
            x = assertThrows(EngineException.class, () -> retire(e, held));
            assertTrue(x.getMessage().contains("still the inner map of 'by_proto' at key 11000000"), x.getMessage());
            // deleting a slot: TCP frames are then not counted by port
            assertSame(objectMap(e, "tcp_ports"), setInner(e, "by_proto", u32(6), null));
            assertNull(setInner(e, "by_proto", u32(6), null), "already empty");
            byte[] tcp = PacketFiles.read(entry().pcap()).get(1);
            assertEquals(XdpAction.PASS, e.run(tcp, 1).action());
            assertEquals(List.of(), e.dumpMap("tcp_ports"), "no inner map for TCP: nothing counted");
            // a new HASH_OF_MAPS key: BPF_ANY inserts it
            BpfMap icmp = createInner(e, "by_proto");
            assertNull(setInner(e, "by_proto", u32(1), icmp));
            assertEquals(XdpAction.PASS, e.run(PacketFiles.read(entry().pcap()).get(9), 1).action());
            // ICMP's "destination port" is the 16 bits at offset 2 of its header (the checksum)
            byte[] key = icmp.getNextKey(null).orElseThrow();
            assertEquals(1, u64(icmp.lookup(key)), "the ICMP frame counted in the inserted map");
            assertEquals(Optional.empty(), icmp.getNextKey(key), "one key");
        }
    }

    private static void awaitRuns(AtomicLong runs, long target, AtomicReference<Throwable> failure) {
        for (long spin = 0; runs.get() < target; spin++) {
            if (failure.get() != null) {
                fail("the engine thread failed", failure.get());
            }
            if (spin > SPIN_BOUND) {
                fail("the engine thread made no progress (" + runs.get() + " runs)");
            }
            Thread.onSpinWait();
        }
    }
}
