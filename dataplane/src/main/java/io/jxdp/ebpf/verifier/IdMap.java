package io.jxdp.ebpf.verifier;

import java.util.HashMap;
import java.util.Map;

/** check_ids(): ids of an explored state must map one-to-one onto the current state's ids. */
final class IdMap {
    private final Map<Integer, Integer> oldToCur = new HashMap<>();
    private final Map<Integer, Integer> curToOld = new HashMap<>();

    boolean check(int oldId, int curId, boolean scalar) {
        if (oldId == 0) {
            return scalar || curId == 0;
        }
        if (curId == 0) {
            return false;
        }
        Integer m = oldToCur.putIfAbsent(oldId, curId);
        Integer b = curToOld.putIfAbsent(curId, oldId);
        return (m == null || m == curId) && (b == null || b == oldId);
    }
}
