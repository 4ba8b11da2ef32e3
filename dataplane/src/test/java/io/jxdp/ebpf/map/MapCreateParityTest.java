package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.MapFlags.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ffi.sys.FileDescriptors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** BPF_MAP_CREATE validation: jxdp refuses exactly what this machine's kernel refuses, with its errno. */
class MapCreateParityTest {
    static Stream<Arguments> definitions() {
        MapType A = MapType.ARRAY, PA = MapType.PERCPU_ARRAY, H = MapType.HASH, PH = MapType.PERCPU_HASH;
        MapType LH = MapType.LRU_HASH, LPH = MapType.LRU_PERCPU_HASH, L = MapType.LPM_TRIE;
        MapType Q = MapType.QUEUE, S = MapType.STACK, R = MapType.RINGBUF;
        MapType PE = MapType.PERF_EVENT_ARRAY, DH = MapType.DEVMAP_HASH;
        MapType PR = MapType.PROG_ARRAY, DM = MapType.DEVMAP, CM = MapType.CPUMAP, X = MapType.XSKMAP;
        return Stream.of(
                d(A, 4, 8, 16, 0), d(A, 8, 8, 16, 0), d(A, 4, 0, 16, 0), d(A, 4, 8, 0, 0),
                d(A, 4, 1, 1, BPF_F_MMAPABLE), d(PA, 4, 8, 4, BPF_F_MMAPABLE), d(A, 4, 8, 4, BPF_F_NO_PREALLOC),
                d(A, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY), d(A, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
                d(A, 4, 8, 4, BPF_F_RDONLY_PROG), d(A, 4, 8, 4, BPF_F_PRESERVE_ELEMS), d(A, 4, 8, 4, BPF_F_ZERO_SEED),
                d(PA, 4, 32768, 4, 0), d(PA, 4, 32769, 4, 0), d(PA, 4, 8, 4, BPF_F_INNER_MAP),
                d(A, 4, 8, 4, 1 << 20),
                d(H, 4, 8, 16, 0), d(H, 0, 8, 16, 0), d(H, 4, 0, 16, 0), d(H, 4, 8, 0, 0), d(H, 1, 1, 1, 0),
                d(H, 4, 8, 16, BPF_F_NO_PREALLOC), d(H, 4, 8, 16, BPF_F_ZERO_SEED), d(H, 4, 8, 16, BPF_F_MMAPABLE),
                d(H, 4, 8, 16, BPF_F_NO_COMMON_LRU), d(H, 4, 8, 16, BPF_F_RDONLY | BPF_F_WRONLY),
                d(H, 600, 8, 16, 0), d(H, 4, (1 << 22) - 60, 4, 0), d(H, 4, (1 << 22) - 20, 4, 0),
                d(PH, 4, 32768, 4, 0), d(PH, 4, 32769, 4, 0), d(PH, 16, 24, 1000, BPF_F_NO_PREALLOC),
                d(PH, 4, 8, 4, BPF_F_INNER_MAP), d(A, 4, 1 << 20, 1 << 30, 0), d(H, 8, 1 << 21, 1 << 30, 0),
                d(H, 4, 4, (1 << 27) + 1, 0), d(PH, 4, 4, 1 << 28, 0), d(H, 4, 4, -1, 0), d(A, 4, 4, -1, 0),
                d(LH, 4, 8, 16, 0), d(LH, 4, 8, 16, BPF_F_NO_PREALLOC), d(LH, 4, 8, 16, BPF_F_NO_COMMON_LRU),
                d(LPH, 4, 8, 16, BPF_F_NO_COMMON_LRU), d(LPH, 4, 32769, 16, 0), d(LH, 4, 8, 0, 0),
                d(LH, 4, 8, 16, BPF_F_MMAPABLE), d(LPH, 4, 8, 16, BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU),
                d(L, 8, 8, 16, BPF_F_NO_PREALLOC), d(L, 8, 8, 16, 0), d(L, 4, 8, 16, BPF_F_NO_PREALLOC),
                d(L, 5, 8, 16, BPF_F_NO_PREALLOC), d(L, 260, 8, 16, BPF_F_NO_PREALLOC), d(L, 261, 8, 16, BPF_F_NO_PREALLOC),
                d(L, 8, 0, 16, BPF_F_NO_PREALLOC), d(L, 8, 8, 0, BPF_F_NO_PREALLOC),
                d(L, 8, (1 << 22) - 256 - 24, 16, BPF_F_NO_PREALLOC), d(L, 8, (1 << 22) - 256 - 23, 16, BPF_F_NO_PREALLOC),
                d(L, 20, 8, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG), d(L, 20, 8, 16, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED),
                d(L, 20, 8, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY | BPF_F_WRONLY),
                d(Q, 0, 8, 16, 0), d(Q, 4, 8, 16, 0), d(Q, 0, 0, 16, 0), d(Q, 0, 8, 0, 0), d(S, 0, 8, 16, 0),
                d(S, 0, 8, 16, BPF_F_NO_PREALLOC), d(Q, 0, 8, 16, BPF_F_RDONLY_PROG), d(S, 0, (1 << 22) + 1, 1, 0),
                d(Q, 0, 1 << 22, 1, 0), d(Q, 0, 8, 16, BPF_F_ZERO_SEED),
                d(R, 0, 0, 4096, 0), d(R, 0, 0, 1 << 20, 0), d(R, 0, 0, 4096 * 3, 0), d(R, 0, 0, 2048, 0),
                d(R, 4, 0, 4096, 0), d(R, 0, 4, 4096, 0), d(R, 0, 0, 0, 0), d(R, 0, 0, 4096, BPF_F_NO_PREALLOC),
                d(R, 0, 0, 4096, BPF_F_RDONLY_PROG), d(R, 0, 0, 4096, BPF_F_NUMA_NODE),
                d(PR, 4, 4, 8, 0), d(PR, 4, 8, 8, 0), d(PR, 8, 4, 8, 0), d(PR, 4, 4, 0, 0), d(PR, 4, 4, 8, BPF_F_RDONLY_PROG),
                d(PR, 4, 4, 8, BPF_F_RDONLY), d(PR, 4, 4, 8, BPF_F_MMAPABLE), d(PR, 4, 4, 8, BPF_F_NO_PREALLOC),
                d(DM, 4, 4, 8, 0), d(DM, 4, 8, 8, 0), d(DM, 4, 12, 8, 0), d(DM, 8, 4, 8, 0), d(DM, 4, 4, 0, 0),
                d(DM, 4, 4, 8, BPF_F_RDONLY), d(DM, 4, 4, 8, BPF_F_RDONLY_PROG), d(DM, 4, 4, 8, BPF_F_NO_PREALLOC),
                d(CM, 4, 4, 8, 0), d(CM, 4, 8, 8, 0), d(CM, 4, 12, 8, 0), d(CM, 4, 4, 256, 0), d(CM, 4, 4, 257, 0),
                d(CM, 4, 4, 8, BPF_F_RDONLY), d(CM, 4, 4, 0, 0), d(CM, 2, 4, 8, 0),
                d(X, 4, 4, 8, 0), d(X, 4, 8, 8, 0), d(X, 4, 4, 0, 0), d(X, 4, 4, 8, BPF_F_WRONLY),
                d(X, 4, 4, 8, BPF_F_RDONLY_PROG),
                d(PE, 4, 4, 4, 0), d(PE, 4, 8, 4, 0), d(PE, 8, 4, 4, 0), d(PE, 4, 4, 4, BPF_F_PRESERVE_ELEMS),
                d(PE, 4, 4, 4, BPF_F_MMAPABLE), d(PE, 4, 4, 4, BPF_F_RDONLY_PROG), d(PE, 4, 4, 4, BPF_F_NO_PREALLOC),
                d(DH, 4, 4, 8, 0), d(DH, 4, 8, 8, 0), d(DH, 4, 12, 8, 0), d(DH, 8, 4, 8, 0), d(DH, 4, 4, 0, 0),
                d(DH, 4, 4, 8, BPF_F_RDONLY), d(DH, 4, 4, 8, BPF_F_NO_PREALLOC), d(DH, 4, 4, 7, 0));
    }

    private static Arguments d(MapType t, int k, int v, int max, int flags) {
        return Arguments.of(new MapDefinition("parity", t, k, v, max, flags));
    }

    @ParameterizedTest
    @MethodSource("definitions")
    void createAgreesWithKernel(MapDefinition def) {
        long kernel = KernelMap.createRaw(def);
        if (kernel >= 0) {
            FileDescriptors.close((int) kernel);
        }
        int kernelErrno = kernel >= 0 ? 0 : (int) -kernel;
        int jxdpErrno = 0;
        try (BpfMap m = Maps.create(def, 2)) {
            assertEquals(def, m.definition());
        } catch (MapException e) {
            jxdpErrno = e.errno();
        }
        assertEquals(kernelErrno, jxdpErrno, "errno for " + def);
    }
}
