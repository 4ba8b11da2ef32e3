// Exercises every BTF kind clang emits (enum64, float, union, fwd, restrict, decl/type tags)
// and a CO-RE field relocation, all in globals and one XDP program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum color { RED = 1, GREEN = 2, BLUE = -1 };
enum big { HUGE = 0x123456789aULL };

struct opaque;

union num {
    __u32 u;
    __s32 s;
    float f;
};

struct tagged {
    int plain;
    int __attribute__((btf_decl_tag("flagged"))) marked;
    int __attribute__((btf_type_tag("user"))) *uptr;
    struct opaque *hidden;
    unsigned int bits : 3;
    unsigned int more : 5;
};

struct core_ctx {
    __u32 data;
    __u32 data_end;
} __attribute__((preserve_access_index));

enum color favourite = GREEN;
enum big huge_value = HUGE;
union num number = { .u = 42 };
struct tagged tag_holder;
double ratio = 0.5;

static __attribute__((noinline)) int sum(int *restrict a, int *restrict b)
{
    return *a + *b;
}

SEC("xdp")
int xdp_kinds(struct xdp_md *ctx)
{
    struct core_ctx *c = (void *)ctx;
    int a = favourite, b = (int)huge_value + number.s + tag_holder.bits;
    return (sum(&a, &b) + c->data_end) & 3;
}
