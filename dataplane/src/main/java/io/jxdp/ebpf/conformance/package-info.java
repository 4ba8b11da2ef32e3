/**
 * Runs bpf_conformance-style {@code .data} files ({@link io.jxdp.ebpf.conformance.ConformanceCase},
 * {@link io.jxdp.ebpf.conformance.ConformanceRunner}); {@code jxdp conformance} is its command line.
 */
package io.jxdp.ebpf.conformance;
