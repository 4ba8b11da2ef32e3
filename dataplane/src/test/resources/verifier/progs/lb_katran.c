// A Katran-like L4 load balancer (about 2,000 instructions): parses Ethernet (+VLAN), IPv4/IPv6
// and TCP/UDP, finds the VIP, keeps connections in an LRU table, picks a backend from the VIP's
// ring of backends by a jhash of the 5-tuple, and encapsulates (IPIP / IP6IP6) toward it.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RING_SIZE 64
#define MAX_VIPS 64
#define MAX_REALS 256
#define F_IPV6 1
#define F_LRU_BYPASS 2

struct flow_key {
    union { __u32 src; __u32 srcv6[4]; };
    union { __u32 dst; __u32 dstv6[4]; };
    __u16 port16[2];
    __u8 proto;
};

struct vip_definition {
    union { __u32 vip; __u32 vipv6[4]; };
    __u16 port;
    __u8 proto;
};

struct vip_meta { __u32 flags; __u32 vip_num; };
struct real_pos_lru { __u32 pos; __u64 atime; };
struct real_definition { union { __u32 dst; __u32 dstv6[4]; }; __u8 flags; };
struct lb_stats { __u64 v1; __u64 v2; };
struct ctl_value { __u8 mac[6]; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, MAX_VIPS);
    __type(key, struct vip_definition); __type(value, struct vip_meta); } vip_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096);
    __type(key, struct flow_key); __type(value, struct real_pos_lru); } lru_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, RING_SIZE * MAX_VIPS);
    __type(key, __u32); __type(value, __u32); } ch_rings SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_REALS);
    __type(key, __u32); __type(value, struct real_definition); } reals SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, MAX_VIPS * 2);
    __type(key, __u32); __type(value, struct lb_stats); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
    __type(key, __u32); __type(value, struct ctl_value); } ctl_array SEC(".maps");

#define __jhash_mix(a, b, c) { \
    a -= c; a ^= rol32(c, 4); c += b; b -= a; b ^= rol32(a, 6); a += c; \
    c -= b; c ^= rol32(b, 8); b += a; a -= c; a ^= rol32(c, 16); c += b; \
    b -= a; b ^= rol32(a, 19); a += c; c -= b; c ^= rol32(b, 4); b += a; }
#define __jhash_final(a, b, c) { \
    c ^= b; c -= rol32(b, 14); a ^= c; a -= rol32(c, 11); b ^= a; b -= rol32(a, 25); \
    c ^= b; c -= rol32(b, 16); a ^= c; a -= rol32(c, 4); b ^= a; b -= rol32(a, 14); \
    c ^= b; c -= rol32(b, 24); }
#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 rol32(__u32 w, __u32 s) { return (w << s) | (w >> ((-s) & 31)); }

static __always_inline __u32 jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
    a += JHASH_INITVAL; b += JHASH_INITVAL; c += initval;
    __jhash_final(a, b, c);
    return c;
}

static __always_inline __u32 jhash2_4(const __u32 *k, __u32 initval)
{
    __u32 a, b, c;
    a = b = c = JHASH_INITVAL + (4 << 2) + initval;
    a += k[0]; b += k[1]; c += k[2];
    __jhash_mix(a, b, c);
    a += k[3];
    __jhash_final(a, b, c);
    return c;
}

static __always_inline __u32 flow_hash(struct flow_key *f, int v6)
{
    __u32 ports = ((__u32)f->port16[0] << 16) | f->port16[1];
    if (v6) {
        __u32 s = jhash2_4(f->srcv6, 0x1234);
        __u32 d = jhash2_4(f->dstv6, s);
        return jhash_3words(s, d, ports, 24);
    }
    return jhash_3words(f->src, f->dst, ports, 24);
}

static __always_inline __u16 csum_fold(__u64 s)
{
#pragma unroll
    for (int i = 0; i < 4; i++)
        if (s >> 16)
            s = (s & 0xffff) + (s >> 16);
    return ~s;
}

static __always_inline void ipv4_csum(struct iphdr *iph)
{
    __u16 *p = (__u16 *)iph;
    __u64 s = 0;
    iph->check = 0;
#pragma unroll
    for (int i = 0; i < (int)sizeof(*iph) >> 1; i++)
        s += *p++;
    iph->check = csum_fold(s);
}

static __always_inline int parse_l4(void *l4, void *end, __u8 proto, struct flow_key *f)
{
    if (proto == IPPROTO_TCP) {
        struct tcphdr *t = l4;
        if ((void *)(t + 1) > end)
            return -1;
        f->port16[0] = t->source;
        f->port16[1] = t->dest;
        return t->syn ? 1 : 0;
    }
    if (proto == IPPROTO_UDP) {
        struct udphdr *u = l4;
        if ((void *)(u + 1) > end)
            return -1;
        f->port16[0] = u->source;
        f->port16[1] = u->dest;
        return 0;
    }
    return -1;
}

static __always_inline void count(__u32 idx, __u64 bytes)
{
    struct lb_stats *s = bpf_map_lookup_elem(&stats, &idx);
    if (s) {
        s->v1 += 1;
        s->v2 += bytes;
    }
}

static __always_inline int pick_real(struct flow_key *f, struct vip_meta *vm, int v6, int syn, __u32 *pos)
{
    struct real_pos_lru *cached = 0;
    if (!(vm->flags & F_LRU_BYPASS) && !syn)
        cached = bpf_map_lookup_elem(&lru_map, f);
    if (cached) {
        *pos = cached->pos;
        cached->atime = bpf_ktime_get_ns();
        return 0;
    }
    __u32 key = (vm->vip_num % MAX_VIPS) * RING_SIZE + flow_hash(f, v6) % RING_SIZE;
    __u32 *real = bpf_map_lookup_elem(&ch_rings, &key);
    if (!real)
        return -1;
    *pos = *real;
    if (!(vm->flags & F_LRU_BYPASS)) {
        struct real_pos_lru n = { .pos = *real, .atime = bpf_ktime_get_ns() };
        bpf_map_update_elem(&lru_map, f, &n, BPF_ANY);
    }
    return 0;
}

static __always_inline int encap_v4(struct xdp_md *ctx, struct real_definition *dst, __u32 src, __u8 inner_proto)
{
    if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
        return XDP_DROP;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *neth = data;
    struct ethhdr *oeth = data + sizeof(struct iphdr);
    struct iphdr *iph = data + sizeof(struct ethhdr);
    if ((void *)(iph + 1) > end || (void *)(oeth + 1) > end)
        return XDP_DROP;
    __u32 zero = 0;
    struct ctl_value *gw = bpf_map_lookup_elem(&ctl_array, &zero);
    if (!gw)
        return XDP_DROP;
    __builtin_memcpy(neth->h_source, oeth->h_dest, 6);
    __builtin_memcpy(neth->h_dest, gw->mac, 6);
    neth->h_proto = bpf_htons(ETH_P_IP);
    __u16 len = (__u16)(end - data - sizeof(struct ethhdr));
    iph->version = 4;
    iph->ihl = 5;
    iph->tos = 0;
    iph->tot_len = bpf_htons(len);
    iph->id = 0;
    iph->frag_off = 0;
    iph->ttl = 64;
    iph->protocol = inner_proto;
    iph->saddr = src;
    iph->daddr = dst->dst;
    ipv4_csum(iph);
    return XDP_TX;
}

static __always_inline int encap_v6(struct xdp_md *ctx, struct real_definition *dst, struct flow_key *f, __u8 nexthdr)
{
    if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct ipv6hdr)))
        return XDP_DROP;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *neth = data;
    struct ethhdr *oeth = data + sizeof(struct ipv6hdr);
    struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
    if ((void *)(ip6 + 1) > end || (void *)(oeth + 1) > end)
        return XDP_DROP;
    __u32 zero = 0;
    struct ctl_value *gw = bpf_map_lookup_elem(&ctl_array, &zero);
    if (!gw)
        return XDP_DROP;
    __builtin_memcpy(neth->h_source, oeth->h_dest, 6);
    __builtin_memcpy(neth->h_dest, gw->mac, 6);
    neth->h_proto = bpf_htons(ETH_P_IPV6);
    __u16 len = (__u16)(end - data - sizeof(struct ethhdr) - sizeof(struct ipv6hdr));
    ip6->version = 6;
    ip6->priority = 0;
    ip6->flow_lbl[0] = 0;
    ip6->flow_lbl[1] = 0;
    ip6->flow_lbl[2] = 0;
    ip6->payload_len = bpf_htons(len);
    ip6->nexthdr = nexthdr;
    ip6->hop_limit = 64;
    __u32 h = flow_hash(f, 1);
    ip6->saddr.in6_u.u6_addr32[0] = bpf_htonl(0xfc000000);
    ip6->saddr.in6_u.u6_addr32[1] = 0;
    ip6->saddr.in6_u.u6_addr32[2] = f->srcv6[2];
    ip6->saddr.in6_u.u6_addr32[3] = h;
#pragma unroll
    for (int i = 0; i < 4; i++)
        ip6->daddr.in6_u.u6_addr32[i] = dst->dstv6[i];
    return XDP_TX;
}

static __always_inline int process(struct xdp_md *ctx, void *data, void *end, __u64 off, __u16 proto)
{
    struct flow_key f = {};
    struct vip_definition vip = {};
    int v6 = proto == bpf_htons(ETH_P_IPV6);
    __u8 l4proto;
    int syn;
    if (v6) {
        struct ipv6hdr *ip6 = data + off;
        if ((void *)(ip6 + 1) > end)
            return XDP_DROP;
        l4proto = ip6->nexthdr;
        __builtin_memcpy(f.srcv6, &ip6->saddr, 16);
        __builtin_memcpy(f.dstv6, &ip6->daddr, 16);
        syn = parse_l4(ip6 + 1, end, l4proto, &f);
        __builtin_memcpy(vip.vipv6, &ip6->daddr, 16);
    } else {
        struct iphdr *iph = data + off;
        if ((void *)(iph + 1) > end)
            return XDP_DROP;
        if (iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
            return XDP_PASS;
        l4proto = iph->protocol;
        f.src = iph->saddr;
        f.dst = iph->daddr;
        syn = parse_l4(iph + 1, end, l4proto, &f);
        vip.vip = iph->daddr;
    }
    if (syn < 0)
        return XDP_PASS;
    f.proto = l4proto;
    vip.port = f.port16[1];
    vip.proto = l4proto;
    struct vip_meta *vm = bpf_map_lookup_elem(&vip_map, &vip);
    if (!vm) {
        vip.port = 0;
        vm = bpf_map_lookup_elem(&vip_map, &vip);
        if (!vm)
            return XDP_PASS;
    }
    __u32 pos;
    if (pick_real(&f, vm, v6, syn, &pos))
        return XDP_DROP;
    pos %= MAX_REALS;
    struct real_definition *dst = bpf_map_lookup_elem(&reals, &pos);
    if (!dst)
        return XDP_DROP;
    count((vm->vip_num % MAX_VIPS) * 2 + v6, end - data);
    if (dst->flags & F_IPV6)
        return encap_v6(ctx, dst, &f, v6 ? IPPROTO_IPV6 : IPPROTO_IPIP);
    return encap_v4(ctx, dst, f.src ^ flow_hash(&f, v6), v6 ? IPPROTO_IPV6 : IPPROTO_IPIP);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    __u64 off = sizeof(*eth);
    if ((void *)(eth + 1) > end)
        return XDP_DROP;
    __u16 proto = eth->h_proto;
    if (proto == bpf_htons(ETH_P_8021Q)) {
        __u16 *vlan = data + off;
        if ((void *)(vlan + 2) > end)
            return XDP_DROP;
        proto = vlan[1];
        off += 4;
    }
    if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
        return XDP_PASS;
    return process(ctx, data, end, off, proto);
}

char LICENSE[] SEC("license") = "GPL";
