package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mount;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pinning in a private bpffs mounted on a temporary directory and unmounted in finally. */
class BpfPinTest {

    @Test
    void pinnedMapAndProgramAreReopenedByPath(@TempDir Path dir) {
        String mnt = dir.toString();
        Mount.mount("bpffs", mnt, "bpf", 0);
        int map = -1;
        int prog = -1;
        try {
            map = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 1).withName("jxdp_pin"));
            String mapPath = mnt + "/jxdp_map";
            Bpf.objPin(map, mapPath);
            assertTrue(Files.exists(Path.of(mapPath)));
            int pinned = map;
            assertEquals(Errno.EEXIST, assertThrows(NativeException.class, () -> Bpf.objPin(pinned, mapPath)).errno());

            int again = Bpf.objGet(mapPath);
            try {
                assertEquals(Bpf.mapInfo(map).id(), Bpf.mapInfo(again).id());
                MemorySegment key = MemorySegment.ofArray(new byte[4]);
                MemorySegment v = MemorySegment.ofArray(new long[] {99L});
                Bpf.mapUpdate(map, key, v, BpfFlags.BPF_ANY);
                MemorySegment out = MemorySegment.ofArray(new byte[8]);
                assertTrue(Bpf.mapLookup(again, key, out));
                assertEquals(99L, out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            } finally {
                Bpf.close(again);
            }

            prog = Bpf.progLoad(ProgLoadAttr.xdp(Insns.returning(XdpAction.XDP_DROP)));
            String progPath = mnt + "/jxdp_prog";
            Bpf.objPin(prog, progPath);
            int progAgain = Bpf.objGet(progPath);
            try {
                assertEquals(Bpf.progInfo(prog).id(), Bpf.progInfo(progAgain).id());
                assertEquals(XdpAction.XDP_DROP, Bpf.progTestRun(progAgain, TestRunAttr.of(new byte[64])).retval());
            } finally {
                Bpf.close(progAgain);
            }
            assertEquals(Errno.ENOENT, assertThrows(NativeException.class,
                    () -> Bpf.objGet(mnt + "/absent")).errno());
        } finally {
            Bpf.close(map);
            Bpf.close(prog);
            Mount.unmount(mnt, Mount.MNT_DETACH);
        }
        assertFalse(Files.exists(dir.resolve("jxdp_map")), "pins vanish with the private mount");
    }
}
