/**
 * The helper-call API: {@link io.jxdp.ebpf.helper.Helper} implementations registered by kernel helper id
 * ({@link io.jxdp.ebpf.helper.HelperIds}) in a {@link io.jxdp.ebpf.helper.HelperRegistry}, and the
 * per-run {@link io.jxdp.ebpf.helper.CallContext} that later layers extend with XDP frame state.
 */
package io.jxdp.ebpf.helper;
