package io.jxdp.ebpf.verifier;

import java.util.ArrayList;
import java.util.List;

/** The verifier's state on one path: the call chain's frames and the references held (kernel bpf_verifier_state). */
final class State {
    final List<Frame> frames = new ArrayList<>();
    /** Acquired references (ringbuf records): reference id and the instruction that acquired it. */
    final List<int[]> refs = new ArrayList<>();
    /** The latest checkpoint on this path, whose branch count this path keeps alive. */
    Checkpoint parent;
    /** Instruction index to continue at. */
    int pc;
    /**
     * bpf_verifier_state.callback_unroll_depth: callback calls pushed on this path. A state met
     * again in a later callback iteration is not an infinite loop, only one in the same iteration.
     */
    int callbackUnroll;

    State copy() {
        State s = new State();
        for (Frame f : frames) {
            s.frames.add(f.copy());
        }
        for (int[] r : refs) {
            s.refs.add(r.clone());
        }
        s.parent = parent;
        s.pc = pc;
        s.callbackUnroll = callbackUnroll;
        return s;
    }

    Frame cur() {
        return frames.get(frames.size() - 1);
    }

    Reg reg(int r) {
        return cur().regs[r];
    }

    boolean covers(State cur, int liveInnermost, int relevantInnermost) {
        if (frames.size() != cur.frames.size() || refs.size() != cur.refs.size()) {
            return false;
        }
        IdMap ids = new IdMap();
        for (int i = 0; i < frames.size(); i++) {
            boolean inner = i == frames.size() - 1;
            int live = inner ? liveInnermost : 0x7ff;
            int relevant = inner ? relevantInnermost : 0x7ff;
            if (!frames.get(i).covers(cur.frames.get(i), ids, live, relevant)) {
                return false;
            }
        }
        for (int i = 0; i < refs.size(); i++) {
            if (!ids.check(refs.get(i)[0], cur.refs.get(i)[0], false)) {
                return false;
            }
        }
        return true;
    }

    /** A hash consistent with {@link #sameAs}, so that loop detection compares few states. */
    int shapeHash() {
        int h = frames.size();
        for (Frame f : frames) {
            h = 31 * h + f.callsite;
            for (Reg r : f.regs) {
                h = 31 * h + r.shapeHash();
            }
            h = 31 * h + java.util.Arrays.hashCode(f.stack);
            for (Reg r : f.spilled) {
                h = 31 * h + (r == null ? 0 : r.shapeHash());
            }
        }
        return h;
    }

    boolean sameAs(State o) {
        if (frames.size() != o.frames.size() || refs.size() != o.refs.size()) {
            return false;
        }
        for (int i = 0; i < frames.size(); i++) {
            if (!frames.get(i).sameAs(o.frames.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** A stored state at a prune point (kernel bpf_verifier_state_list entry). */
    static final class Checkpoint {
        final State state;
        final Checkpoint parent;
        final int hash;
        /** Paths still being explored from here; 0 means every path from here was proven safe. */
        int branches = 1;
        /** States this one covered, and states it was compared with and did not cover (for eviction). */
        int hits;
        int misses;

        Checkpoint(State state, Checkpoint parent) {
            this.state = state;
            this.parent = parent;
            this.hash = state.shapeHash();
        }
    }
}
