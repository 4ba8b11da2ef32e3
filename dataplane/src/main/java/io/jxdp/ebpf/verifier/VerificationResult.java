package io.jxdp.ebpf.verifier;

import java.util.List;
import java.util.Optional;

/** The verdict on one program, with what was proved about each instruction and the statistics. */
public final class VerificationResult {
    private final VerifierError error;
    private final List<InsnFact> facts;
    private final long processed;
    private final int totalStates;
    private final int peakStates;
    private final long nanos;
    private final String log;

    VerificationResult(VerifierError error, List<InsnFact> facts, long processed, int totalStates, int peakStates,
            long nanos, String log) {
        this.error = error;
        this.facts = List.copyOf(facts);
        this.processed = processed;
        this.totalStates = totalStates;
        this.peakStates = peakStates;
        this.nanos = nanos;
        this.log = log;
    }

    public boolean accepted() {
        return error == null;
    }

    public Optional<VerifierError> error() {
        return Optional.ofNullable(error);
    }

    /** Per-slot facts, indexed by instruction slot (the second slot of an LD_IMM64 has an empty fact). */
    public List<InsnFact> facts() {
        return facts;
    }

    public InsnFact fact(int insnIndex) {
        return facts.get(insnIndex);
    }

    /** Instructions processed (the kernel log's "processed N insns"). */
    public long processedInsns() {
        return processed;
    }

    /** States stored at prune points. */
    public int totalStates() {
        return totalStates;
    }

    /** Most states stored at one instruction. */
    public int peakStates() {
        return peakStates;
    }

    public long verifyNanos() {
        return nanos;
    }

    /** The verifier log at the requested level. */
    public String log() {
        return log;
    }

    @Override
    public String toString() {
        return (accepted() ? "accepted" : "rejected: " + error.message()) + " (processed " + processed + " insns)";
    }
}
