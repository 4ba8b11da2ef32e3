package io.jxdp.ebpf.jit;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;

/**
 * What the generated map lookups share: the code builder, and where a lookup ends with the value
 * address (or 0) on the stack — a return in the method form (a method of its own per map), a jump
 * to the caller's label in the inline form (emitted straight into a program method).
 */
abstract sealed class LookupEmitter permits HashLookups, LpmLookups {
    final CodeBuilder cb;
    /** Where a hit or miss goes with the value address on the stack; null: return it (the method form). */
    private final Label end;

    LookupEmitter(CodeBuilder cb, Label end) {
        this.cb = cb;
        this.end = end;
    }

    /** Replaces the address (a long) on the stack by itself masked with {@link JitRuntime#ADDRESS_MASK}. */
    static void maskAddress(CodeBuilder cb) {
        cb.loadConstant(JitRuntime.ADDRESS_MASK);
        cb.land();
    }

    /** Ends the lookup with the value address (or 0) on the stack. */
    final void ret() {
        if (end == null) {
            cb.lreturn();
        } else {
            cb.goto_(end);
        }
    }
}
