// Calls a kfunc (an undefined __ksym extern): the loader must refuse it with a clear error.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

SEC("xdp")
int xdp_kfunc(struct xdp_md *ctx)
{
    bpf_rcu_read_lock();
    bpf_rcu_read_unlock();
    return XDP_PASS;
}
