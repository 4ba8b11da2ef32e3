package io.jxdp.ebpf.loader;

/**
 * A CO-RE relocation from .BTF.ext rebased to the linked program. Exposed so a consumer can
 * reject programs that need it; the loader itself does not apply CO-RE.
 */
public record CoreReloc(int insnIndex, int btfTypeId, String accessString, int kind) {
}
