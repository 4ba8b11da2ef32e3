package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.helper.HelperIds;
import java.util.HashMap;
import java.util.Map;

/**
 * Helper prototypes for XDP programs, as the kernel's {@code struct bpf_func_proto}s declare them
 * ({@code kernel/bpf/helpers.c}, {@code net/core/filter.c} {@code xdp_func_proto},
 * {@code kernel/bpf/ringbuf.c}), and which map types each map-taking helper accepts
 * ({@code check_map_func_compatibility()}).
 */
final class Helpers {
    /** Argument kinds (kernel {@code enum bpf_arg_type}). */
    enum Arg {
        /** Any initialised register. */ ANYTHING,
        /** A map pointer from an LD_IMM64 map reference. */ CONST_MAP_PTR,
        /** Pointer to key_size readable bytes. */ MAP_KEY,
        /** Pointer to value_size readable bytes. */ MAP_VALUE,
        /** Pointer to value_size writable bytes. */ UNINIT_MAP_VALUE,
        /** Pointer to readable memory, size in the next argument. */ MEM,
        /** As MEM, or NULL with a zero size. */ MEM_OR_NULL,
        /** Pointer to writable memory, size in the next argument. */ UNINIT_MEM,
        /** As UNINIT_MEM, or NULL with a zero size. */ UNINIT_MEM_OR_NULL,
        /** Size of the previous memory argument, > 0. */ CONST_SIZE,
        /** Size of the previous memory argument, >= 0. */ CONST_SIZE_OR_ZERO,
        /** A constant allocation size (ringbuf_reserve). */ CONST_ALLOC_SIZE_OR_ZERO,
        /** The program's context. */ CTX,
        /** A ringbuf record, released by the call. */ RELEASE_ALLOC_MEM,
        /** A NUL-terminated string in read-only map memory. */ CONST_STR,
        /** A callback function: a BPF_PSEUDO_FUNC LD_IMM64 result. */ FUNC,
        /** Pointer to stack or NULL (callback context). */ STACK_OR_NULL,
        /**
         * Pointer to 4 writable bytes, 4-aligned on the stack (check_mtu's mtu_len: the kernel's
         * ARG_PTR_TO_FIXED_SIZE_MEM | MEM_ALIGNED of sizeof(u32)).
         */ INT_PTR
    }

    enum Ret { INTEGER, VOID, MAP_VALUE_OR_NULL, ALLOC_MEM_OR_NULL }

    record Proto(int id, String name, Ret ret, boolean changesPacket, int[] mapTypes, Arg... args) {
    }

    // map types (include/uapi/linux/bpf.h enum bpf_map_type)
    static final int HASH = 1, ARRAY = 2, PROG_ARRAY = 3, PERF_EVENT_ARRAY = 4, PERCPU_HASH = 5, PERCPU_ARRAY = 6,
            LRU_HASH = 9, LRU_PERCPU_HASH = 10, LPM_TRIE = 11, ARRAY_OF_MAPS = 12, HASH_OF_MAPS = 13, DEVMAP = 14,
            CPUMAP = 16, XSKMAP = 17, QUEUE = 22, STACK = 23, DEVMAP_HASH = 25, RINGBUF = 27;

    // map_lookup_elem: every map with a lookup; CPUMAP, PROG_ARRAY, PERF_EVENT_ARRAY, RINGBUF, QUEUE and
    // STACK are refused by check_map_func_compatibility() (CPUMAP takes only redirect_map)
    private static final int[] KV_MAPS = {HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE,
        ARRAY_OF_MAPS, HASH_OF_MAPS, DEVMAP, XSKMAP, DEVMAP_HASH, 7, 8, 15, 18, 19, 20, 21, 24, 26, 28, 29, 30,
        31, 32, 33};
    private static final int[] UPDATE_MAPS = {HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH,
        LPM_TRIE, 15, 18};
    private static final int[] FOR_EACH_MAPS = {HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH};
    private static final int[] ANY = null;
    /** bpf_loop: its callback runs at most nr_loops times (the verifier bounds its iterations by it). */
    static final int LOOP = 181;

    private static final Map<Integer, Proto> PROTOS = new HashMap<>();

    private static void def(int id, Ret ret, boolean changesPacket, int[] maps, Arg... args) {
        PROTOS.put(id, new Proto(id, HelperIds.name(id), ret, changesPacket, maps, args));
    }

    static {
        Arg any = Arg.ANYTHING;
        Arg map = Arg.CONST_MAP_PTR;
        def(1, Ret.MAP_VALUE_OR_NULL, false, KV_MAPS, map, Arg.MAP_KEY);
        def(2, Ret.INTEGER, false, UPDATE_MAPS, map, Arg.MAP_KEY, Arg.MAP_VALUE, any);
        def(3, Ret.INTEGER, false, UPDATE_MAPS, map, Arg.MAP_KEY);
        def(5, Ret.INTEGER, false, ANY);
        // bpf_trace_printk_proto declares only fmt and its size; the three values are read unchecked
        def(6, Ret.INTEGER, false, ANY, Arg.MEM, Arg.CONST_SIZE);
        def(7, Ret.INTEGER, false, ANY);
        def(8, Ret.INTEGER, false, ANY);
        // does not change the packet where it returns (a failed call); a successful one from a
        // subprogram is a return to the caller with packet pointers cleared (Verifier.step)
        def(12, Ret.VOID, false, new int[] {PROG_ARRAY}, Arg.CTX, map, any);
        def(23, Ret.INTEGER, false, ANY, any, any);
        def(25, Ret.INTEGER, false, new int[] {PERF_EVENT_ARRAY}, Arg.CTX, map, any, Arg.MEM, Arg.CONST_SIZE_OR_ZERO);
        def(28, Ret.INTEGER, false, ANY, Arg.MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO, Arg.MEM_OR_NULL,
                Arg.CONST_SIZE_OR_ZERO, any);
        def(42, Ret.INTEGER, false, ANY);
        def(44, Ret.INTEGER, true, ANY, Arg.CTX, any);
        def(51, Ret.INTEGER, false, new int[] {DEVMAP, CPUMAP, XSKMAP, DEVMAP_HASH}, map, any, any);
        def(54, Ret.INTEGER, true, ANY, Arg.CTX, any);
        def(65, Ret.INTEGER, true, ANY, Arg.CTX, any);
        def(87, Ret.INTEGER, false, new int[] {QUEUE, STACK}, map, Arg.MAP_VALUE, any);
        def(88, Ret.INTEGER, false, new int[] {QUEUE, STACK}, map, Arg.UNINIT_MAP_VALUE);
        def(89, Ret.INTEGER, false, new int[] {QUEUE, STACK}, map, Arg.UNINIT_MAP_VALUE);
        def(118, Ret.INTEGER, false, ANY);
        def(125, Ret.INTEGER, false, ANY);
        def(130, Ret.INTEGER, false, new int[] {RINGBUF}, map, Arg.MEM, Arg.CONST_SIZE_OR_ZERO, any);
        def(131, Ret.ALLOC_MEM_OR_NULL, false, new int[] {RINGBUF}, map, Arg.CONST_ALLOC_SIZE_OR_ZERO, any);
        def(132, Ret.VOID, false, ANY, Arg.RELEASE_ALLOC_MEM, any);
        def(133, Ret.VOID, false, ANY, Arg.RELEASE_ALLOC_MEM, any);
        def(134, Ret.INTEGER, false, new int[] {RINGBUF}, map, any);
        def(160, Ret.INTEGER, false, ANY);
        // only maps with map_for_each_callback (hash and array kinds) may be walked
        def(163, Ret.INTEGER, false, ANY, Arg.CTX, any, Arg.INT_PTR, any, any);
        def(164, Ret.INTEGER, false, FOR_EACH_MAPS, map, Arg.FUNC, Arg.STACK_OR_NULL, any);
        def(165, Ret.INTEGER, false, ANY, Arg.UNINIT_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO, Arg.CONST_STR,
                Arg.MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO);
        def(182, Ret.INTEGER, false, ANY, Arg.MEM, Arg.CONST_SIZE, Arg.CONST_STR);
        def(181, Ret.INTEGER, false, ANY, any, Arg.FUNC, Arg.STACK_OR_NULL, any);
        def(195, Ret.MAP_VALUE_OR_NULL, false, new int[] {PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH}, map,
                Arg.MAP_KEY, any);
        def(188, Ret.INTEGER, false, ANY, Arg.CTX);
        def(189, Ret.INTEGER, false, ANY, Arg.CTX, any, Arg.UNINIT_MEM, Arg.CONST_SIZE);
        def(190, Ret.INTEGER, false, ANY, Arg.CTX, any, Arg.MEM, Arg.CONST_SIZE);
        def(208, Ret.INTEGER, false, ANY);
    }

    private Helpers() {
    }

    /** The prototype of helper {@code id}, or null when XDP programs may not call it here. */
    static Proto proto(int id) {
        return PROTOS.get(id);
    }

    /** True when helper {@code id} calls a callback function (an {@link Arg#FUNC} argument). */
    static boolean takesCallback(int id) {
        Proto p = PROTOS.get(id);
        if (p == null) {
            return false;
        }
        for (Arg a : p.args()) {
            if (a == Arg.FUNC) {
                return true;
            }
        }
        return false;
    }

    /** Helpers that may only be passed these map types; null for any. Helpers taking no map: null. */
    static boolean mapAllowed(Proto p, int mapType) {
        if (p.mapTypes() == null) {
            return true;
        }
        for (int t : p.mapTypes()) {
            if (t == mapType) {
                return true;
            }
        }
        return false;
    }
}
