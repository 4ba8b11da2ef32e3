// A Katran-sized L4 load balancer (2,630 instructions; this machine's kernel verifier processes
// about 72,000): the issue-5 yardstick "a Katran-sized load balancer must verify in under a second".
// It follows the structure of Katran's balancer (github.com/facebookincubator/katran,
// katran/lib/bpf), rewritten here in plain restricted C: Ethernet (+VLAN), IPv4/IPv6 without
// options or fragments; ICMP/ICMPv6 echo answered for VIPs and "too big"/"unreachable" errors
// routed by their quoted inner flow; inline decapsulation of IPIP, IP6IP6 and GUE addressed to
// this host; TCP routing by a server-id option (a bounded loop over the TCP options); QUIC routing
// by the server id in the connection id; a new-connection flood guard; source routing by LPM tries;
// an LRU connection table with a UDP timeout; a ring of backends chosen by a jhash of the flow;
// and IPIP / IP6IP6 / GUE encapsulation toward the chosen backend with per-VIP and global stats.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RING_SIZE 64
#define MAX_VIPS 64
#define MAX_REALS 256
#define MAX_SERVER_IDS 1024
#define MAX_TCP_OPTS 40 // the option area is at most 40 bytes, each option at least one
#define TCP_OPT_SERVER_ID 0xb7
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define GUE_PORT 6080
#define ONE_SEC 1000000000ULL
#define MAX_CONN_RATE 125000
#define LRU_UDP_TIMEOUT 30000000000ULL

// vip_meta.flags
#define F_HASH_NO_SRC_PORT 1
#define F_LRU_BYPASS 2
#define F_QUIC_VIP 4
#define F_HASH_DPORT_ONLY 8
#define F_SRC_ROUTING 16
#define F_TCP_SERVER_ID 32
// real_definition.flags
#define F_IPV6 1
#define F_GUE 2

// counters after the per-VIP ones in `stats`
#define CNT_LRU (MAX_VIPS * 2)
#define CNT_NEW_CONN (CNT_LRU + 1)
#define CNT_ICMP (CNT_LRU + 2)
#define CNT_DECAP (CNT_LRU + 3)
#define CNT_QUIC (CNT_LRU + 4)
#define CNT_LPM (CNT_LRU + 5)
#define CNT_TCP_SID (CNT_LRU + 6)
#define CNT_DROP (CNT_LRU + 7)
#define STATS_SIZE (CNT_LRU + 8)

#define CONTINUE -1

struct flow_key {
    union { __u32 src; __u32 srcv6[4]; };
    union { __u32 dst; __u32 dstv6[4]; };
    union { __u32 ports; __u16 port16[2]; };
    __u8 proto;
};

struct packet {
    struct flow_key flow;
    __u32 real_index;
    __u16 pkt_bytes;
    __u8 tos;
    __u8 flags;
};
#define P_ICMP_ERR 1
#define P_SYN 2

struct vip_definition {
    union { __u32 vip; __u32 vipv6[4]; };
    __u16 port;
    __u8 proto;
};

struct vip_meta { __u32 flags; __u32 vip_num; };
struct real_pos_lru { __u32 pos; __u64 atime; };
struct real_definition { union { __u32 dst; __u32 dstv6[4]; }; __u8 flags; };
struct lb_stats { __u64 v1; __u64 v2; };
struct ctl_value { __u8 mac[6]; __u16 gue_sport_base; };
struct address { union { __u32 addr; __u32 addrv6[4]; }; };
struct v4_lpm_key { __u32 prefixlen; __u32 addr; };
struct v6_lpm_key { __u32 prefixlen; __u32 addr[4]; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, MAX_VIPS);
    __type(key, struct vip_definition); __type(value, struct vip_meta); } vip_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096);
    __type(key, struct flow_key); __type(value, struct real_pos_lru); } lru_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, RING_SIZE * MAX_VIPS);
    __type(key, __u32); __type(value, __u32); } ch_rings SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_REALS);
    __type(key, __u32); __type(value, struct real_definition); } reals SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, STATS_SIZE);
    __type(key, __u32); __type(value, struct lb_stats); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
    __type(key, __u32); __type(value, struct ctl_value); } ctl_array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2);
    __type(key, __u32); __type(value, struct real_definition); } pckt_srcs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64);
    __type(key, struct address); __type(value, __u32); } decap_dst SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, MAX_SERVER_IDS);
    __type(key, __u32); __type(value, __u32); } server_id_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 1024); __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct v4_lpm_key); __type(value, __u32); } lpm_src_v4 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 1024); __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct v6_lpm_key); __type(value, __u32); } lpm_src_v6 SEC(".maps");

// ---------------------------------------------------------------- hashing and checksums

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

// A BPF-to-BPF call (not inlined): both verifiers check it at each call site.
static __attribute__((noinline)) __u32 flow_hash(struct flow_key *f, int v6)
{
    if (v6) {
        __u32 s = jhash2_4(f->srcv6, 0x1234);
        return jhash_3words(s, f->ports, 24, 0x5678);
    }
    return jhash_3words(f->src, f->ports, 24, 0x5678);
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

// RFC 1624 incremental update of a 16-bit one's complement checksum when a 16-bit word changes
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
    __u64 s = (__u16)~check;
    s += (__u16)~old;
    s += new;
    return csum_fold(s);
}

// ---------------------------------------------------------------- counters

static __always_inline void count2(__u32 idx, __u64 a, __u64 b)
{
    struct lb_stats *s = bpf_map_lookup_elem(&stats, &idx);
    if (s) {
        s->v1 += a;
        s->v2 += b;
    }
}

// ---------------------------------------------------------------- parsing

// Routes by the quoted header of an ICMP "unreachable/frag needed" error: the flow is the reverse
// of the quoted one, so that the error reaches the backend that owns the connection.
static __always_inline int parse_icmp(void *data, void *end, __u64 off, struct packet *p)
{
    struct icmphdr *icmp = data + off;
    if ((void *)(icmp + 1) > end)
        return XDP_DROP;
    if (icmp->type == ICMP_ECHO)
        return CONTINUE; // echo requests are answered by the caller
    if (icmp->type != ICMP_DEST_UNREACH)
        return XDP_PASS;
    struct iphdr *inner = (void *)(icmp + 1);
    if ((void *)(inner + 1) > end)
        return XDP_DROP;
    if (inner->ihl != 5)
        return XDP_DROP;
    p->flow.proto = inner->protocol;
    p->flow.src = inner->daddr;
    p->flow.dst = inner->saddr;
    __u16 *ports = (void *)(inner + 1);
    if ((void *)(ports + 2) > end)
        return XDP_DROP;
    p->flow.port16[0] = ports[1];
    p->flow.port16[1] = ports[0];
    p->flags |= P_ICMP_ERR;
    count2(CNT_ICMP, 0, 1);
    return CONTINUE;
}

static __always_inline int parse_icmpv6(void *data, void *end, __u64 off, struct packet *p)
{
    struct icmp6hdr *icmp = data + off;
    if ((void *)(icmp + 1) > end)
        return XDP_DROP;
    if (icmp->icmp6_type == ICMPV6_ECHO_REQUEST)
        return CONTINUE;
    if (icmp->icmp6_type != ICMPV6_PKT_TOOBIG && icmp->icmp6_type != ICMPV6_DEST_UNREACH)
        return XDP_PASS;
    struct ipv6hdr *inner = (void *)(icmp + 1);
    if ((void *)(inner + 1) > end)
        return XDP_DROP;
    p->flow.proto = inner->nexthdr;
    __builtin_memcpy(p->flow.srcv6, &inner->daddr, 16);
    __builtin_memcpy(p->flow.dstv6, &inner->saddr, 16);
    __u16 *ports = (void *)(inner + 1);
    if ((void *)(ports + 2) > end)
        return XDP_DROP;
    p->flow.port16[0] = ports[1];
    p->flow.port16[1] = ports[0];
    p->flags |= P_ICMP_ERR;
    count2(CNT_ICMP, 0, 1);
    return CONTINUE;
}

static __always_inline int parse_l3(void *data, void *end, __u64 off, int v6, struct packet *p, __u8 *proto)
{
    if (v6) {
        struct ipv6hdr *ip6 = data + off;
        if ((void *)(ip6 + 1) > end)
            return XDP_DROP;
        *proto = ip6->nexthdr;
        p->flow.proto = *proto;
        p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
        p->pkt_bytes = bpf_ntohs(ip6->payload_len);
        if (*proto == IPPROTO_FRAGMENT)
            return XDP_DROP;
        if (*proto == IPPROTO_ICMPV6)
            return parse_icmpv6(data, end, off + sizeof(*ip6), p); // an echo request continues to the VIP check
        __builtin_memcpy(p->flow.srcv6, &ip6->saddr, 16);
        __builtin_memcpy(p->flow.dstv6, &ip6->daddr, 16);
        return CONTINUE;
    }
    struct iphdr *iph = data + off;
    if ((void *)(iph + 1) > end)
        return XDP_DROP;
    if (iph->ihl != 5)
        return XDP_DROP;
    if (iph->frag_off & bpf_htons(0x3fff))
        return XDP_DROP;
    *proto = iph->protocol;
    p->flow.proto = *proto;
    p->tos = iph->tos;
    p->pkt_bytes = bpf_ntohs(iph->tot_len);
    if (*proto == IPPROTO_ICMP)
        return parse_icmp(data, end, off + sizeof(*iph), p); // an echo request continues to the VIP check
    p->flow.src = iph->saddr;
    p->flow.dst = iph->daddr;
    return CONTINUE;
}

// The server id a TCP client echoes back in option TCP_OPT_SERVER_ID (kind, len 6, u32 id):
// a walk of at most MAX_TCP_OPTS options, each bounds-checked against data_end. A real loop (not
// unrolled) that both verifiers walk iteration by iteration; the offset is masked to 6 bits so
// that its range is the same on every iteration and the states at the loop head converge.
static __always_inline int tcp_server_id(void *data, void *end, __u64 l4off, __u32 *sid)
{
    struct tcphdr *t = data + l4off;
    if ((void *)(t + 1) > end)
        return -1;
    __u32 hdr_end = t->doff * 4;
    if (hdr_end <= sizeof(*t))
        return -1;
    __u32 o = sizeof(*t);
#pragma clang loop unroll(disable)
    for (int i = 0; i < MAX_TCP_OPTS; i++) {
        o &= 0x3f;
        if (o + 2 > hdr_end || o > 60)
            return -1;
        __u8 *opt = (void *)t + o;
        if ((void *)(opt + 2) > end)
            return -1;
        __u8 kind = opt[0];
        if (kind == TCPOPT_EOL)
            return -1;
        if (kind == TCPOPT_NOP) {
            o += 1;
            continue;
        }
        __u8 len = opt[1];
        if (len < 2)
            return -1;
        if (kind == TCP_OPT_SERVER_ID && len == 6) {
            if ((void *)(opt + 6) > end)
                return -1;
            *sid = ((__u32)opt[2] << 24) | ((__u32)opt[3] << 16) | ((__u32)opt[4] << 8) | opt[5];
            return 0;
        }
        o += len;
    }
    return -1;
}

static __always_inline int parse_l4(void *data, void *end, __u64 l4off, struct packet *p)
{
    if (p->flags & P_ICMP_ERR)
        return 0; // ports came from the quoted header
    if (p->flow.proto == IPPROTO_TCP) {
        struct tcphdr *t = data + l4off;
        if ((void *)(t + 1) > end)
            return -1;
        p->flow.port16[0] = t->source;
        p->flow.port16[1] = t->dest;
        if (t->syn)
            p->flags |= P_SYN;
        return 0;
    }
    if (p->flow.proto == IPPROTO_UDP) {
        struct udphdr *u = data + l4off;
        if ((void *)(u + 1) > end)
            return -1;
        p->flow.port16[0] = u->source;
        p->flow.port16[1] = u->dest;
        return 0;
    }
    return -1;
}

// QUIC: a short-header packet (first bit 0) carries our 8-byte connection id right after the
// first byte; its first two bytes hold a 14-bit server id (version 1 ids: top two bits 01).
static __always_inline int quic_server_id(void *data, void *end, __u64 l4off, __u32 *sid)
{
    __u8 *q = data + l4off + sizeof(struct udphdr);
    if ((void *)(q + 9) > end)
        return -1;
    if (q[0] & 0x80) {
        // a long header: only 0-RTT (type 1) and handshake (type 2) carry our connection id
        __u8 type = (q[0] & 0x30) >> 4;
        if (type != 1 && type != 2)
            return -1;
        __u8 *l = q + 5; // flags(1) version(4) dcid_len(1) dcid
        if ((void *)(l + 3) > end)
            return -1;
        if (l[0] < 8)
            return -1;
        q = l;
    }
    if ((q[1] >> 6) != 1)
        return -1;
    *sid = ((q[1] & 0x3f) << 8) | q[2];
    return 0;
}

// ---------------------------------------------------------------- choosing a backend

static __always_inline int under_flood(__u64 *now)
{
    __u32 k = CNT_NEW_CONN;
    struct lb_stats *s = bpf_map_lookup_elem(&stats, &k);
    if (!s)
        return 1;
    *now = bpf_ktime_get_ns();
    if (*now - s->v2 > ONE_SEC) {
        s->v1 = 1;
        s->v2 = *now;
        return 0;
    }
    s->v1 += 1;
    return s->v1 > MAX_CONN_RATE;
}

static __always_inline struct real_definition *lookup_real(struct packet *p, __u32 idx)
{
    idx %= MAX_REALS;
    p->real_index = idx;
    return bpf_map_lookup_elem(&reals, &idx);
}

static __always_inline struct real_definition *connection_table_lookup(struct packet *p)
{
    struct real_pos_lru *c = bpf_map_lookup_elem(&lru_map, &p->flow);
    if (!c)
        return 0;
    if (p->flow.proto == IPPROTO_UDP) {
        __u64 now = bpf_ktime_get_ns();
        if (now - c->atime > LRU_UDP_TIMEOUT)
            return 0;
        c->atime = now;
    }
    return lookup_real(p, c->pos);
}

static __always_inline struct real_definition *get_packet_dst(struct packet *p, struct vip_meta *vm, int v6)
{
    __u64 now = 0;
    int flood = under_flood(&now);
    __u32 *pos = 0;
    if ((vm->flags & F_SRC_ROUTING) && !flood) {
        if (v6) {
            struct v6_lpm_key k = { .prefixlen = 128 };
            __builtin_memcpy(k.addr, p->flow.srcv6, 16);
            pos = bpf_map_lookup_elem(&lpm_src_v6, &k);
        } else {
            struct v4_lpm_key k = { .prefixlen = 32, .addr = p->flow.src };
            pos = bpf_map_lookup_elem(&lpm_src_v4, &k);
        }
        count2(CNT_LPM, pos ? 0 : 1, pos ? 1 : 0);
    }
    __u32 key;
    if (pos) {
        key = *pos;
    } else {
        if (vm->flags & F_HASH_DPORT_ONLY) {
            p->flow.port16[0] = p->flow.port16[1];
            __builtin_memset(p->flow.srcv6, 0, 16);
        } else if (vm->flags & F_HASH_NO_SRC_PORT) {
            p->flow.port16[0] = 0;
        }
        __u32 ring = (vm->vip_num % MAX_VIPS) * RING_SIZE + flow_hash(&p->flow, v6) % RING_SIZE;
        pos = bpf_map_lookup_elem(&ch_rings, &ring);
        if (!pos)
            return 0;
        key = *pos;
    }
    struct real_definition *r = lookup_real(p, key);
    if (!r)
        return 0;
    if (!(vm->flags & F_LRU_BYPASS) && !flood) {
        struct real_pos_lru n = { .pos = p->real_index, .atime = p->flow.proto == IPPROTO_UDP ? now : 0 };
        bpf_map_update_elem(&lru_map, &p->flow, &n, BPF_ANY);
    }
    return r;
}

// ---------------------------------------------------------------- answering ICMP echo

static __always_inline int swap_macs(void *data, void *end)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return -1;
    __u8 tmp[ETH_ALEN];
    __builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
    return 0;
}

static __always_inline int icmp_echo_reply(void *data, void *end, __u64 off)
{
    struct iphdr *iph = data + off;
    struct icmphdr *icmp = (void *)(iph + 1);
    if ((void *)(icmp + 1) > end)
        return XDP_DROP;
    if (swap_macs(data, end))
        return XDP_DROP;
    __u32 a = iph->saddr;
    iph->saddr = iph->daddr;
    iph->daddr = a;
    iph->ttl = 64;
    ipv4_csum(iph);
    __u16 old = *(__u16 *)icmp;
    icmp->type = ICMP_ECHOREPLY;
    icmp->checksum = csum_replace2(icmp->checksum, old, *(__u16 *)icmp);
    count2(CNT_ICMP, 1, 0);
    return XDP_TX;
}

static __always_inline int icmpv6_echo_reply(void *data, void *end, __u64 off)
{
    struct ipv6hdr *ip6 = data + off;
    struct icmp6hdr *icmp = (void *)(ip6 + 1);
    if ((void *)(icmp + 1) > end)
        return XDP_DROP;
    if (swap_macs(data, end))
        return XDP_DROP;
    struct in6_addr a = ip6->saddr;
    ip6->saddr = ip6->daddr;
    ip6->daddr = a;
    ip6->hop_limit = 64;
    __u16 old = *(__u16 *)icmp;
    icmp->icmp6_type = ICMPV6_ECHO_REPLY;
    icmp->icmp6_cksum = csum_replace2(icmp->icmp6_cksum, old, *(__u16 *)icmp);
    count2(CNT_ICMP, 1, 0);
    return XDP_TX;
}

// ---------------------------------------------------------------- decapsulation

// Removes `outer` bytes after the Ethernet header (an IPv4/IPv6 header, plus a UDP header for GUE),
// moving the Ethernet header forward and setting its protocol to the inner one.
static __always_inline int decap(struct xdp_md *ctx, int outer, __u16 inner_proto)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *old = data;
    if ((void *)(old + 1) > end)
        return -1;
    struct ethhdr copy = *old;
    if (bpf_xdp_adjust_head(ctx, outer))
        return -1;
    data = (void *)(long)ctx->data;
    end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return -1;
    __builtin_memcpy(eth->h_dest, copy.h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_source, copy.h_source, ETH_ALEN);
    eth->h_proto = inner_proto;
    return 0;
}

// Decrements the inner header's TTL / hop limit; XDP_DROP when it reaches zero.
static __always_inline int decrement_ttl(void *data, void *end, __u64 off, int inner_v6)
{
    if (inner_v6) {
        struct ipv6hdr *ip6 = data + off;
        if ((void *)(ip6 + 1) > end)
            return XDP_DROP;
        if (!--ip6->hop_limit)
            return XDP_DROP;
        return CONTINUE;
    }
    struct iphdr *iph = data + off;
    if ((void *)(iph + 1) > end)
        return XDP_DROP;
    if (!--iph->ttl)
        return XDP_DROP;
    __u16 old = bpf_htons(((__u16)(iph->ttl + 1) << 8) | iph->protocol);
    iph->check = csum_replace2(iph->check, old, bpf_htons(((__u16)iph->ttl << 8) | iph->protocol));
    return CONTINUE;
}

static __always_inline int decap_dst_matches(struct packet *p, int v6)
{
    struct address a = {};
    if (v6)
        __builtin_memcpy(a.addrv6, p->flow.dstv6, 16);
    else
        a.addr = p->flow.dst;
    return bpf_map_lookup_elem(&decap_dst, &a) != 0;
}

static __always_inline int process_encaped(struct xdp_md *ctx, void *data, void *end, __u64 off, int v6,
                                           __u8 proto)
{
    int outer = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
    int inner_v6;
    if (proto == IPPROTO_UDP) {
        struct udphdr *u = data + off + outer;
        __u8 *gue = (void *)(u + 1);
        if ((void *)(gue + 1) > end)
            return XDP_DROP;
        if (u->dest != bpf_htons(GUE_PORT))
            return CONTINUE;
        inner_v6 = (gue[0] & 0xf0) == 0x60;
        outer += sizeof(*u);
    } else {
        inner_v6 = proto == IPPROTO_IPV6;
    }
    int r = decrement_ttl(data, end, off + outer, inner_v6);
    if (r != CONTINUE)
        return r;
    if (decap(ctx, outer, inner_v6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP)))
        return XDP_DROP;
    count2(CNT_DECAP, !inner_v6, inner_v6);
    return XDP_PASS;
}

// ---------------------------------------------------------------- encapsulation

static __always_inline struct ctl_value *ctl(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&ctl_array, &zero);
}

static __always_inline __u32 encap_src_v4(__u32 hash)
{
    __u32 k = 0;
    struct real_definition *s = bpf_map_lookup_elem(&pckt_srcs, &k);
    return s ? s->dst ^ (hash & 0xff000000) : 0x0a000001 ^ hash;
}

static __always_inline void fill_eth(struct ethhdr *neth, struct ethhdr *oeth, struct ctl_value *gw, __u16 proto)
{
    __builtin_memcpy(neth->h_source, oeth->h_dest, ETH_ALEN);
    __builtin_memcpy(neth->h_dest, gw->mac, ETH_ALEN);
    neth->h_proto = proto;
}

static __always_inline void fill_v4(struct iphdr *iph, __u32 src, __u32 dst, __u8 proto, __u16 len, __u8 tos)
{
    iph->version = 4;
    iph->ihl = 5;
    iph->tos = tos;
    iph->tot_len = bpf_htons(len);
    iph->id = 0;
    iph->frag_off = 0;
    iph->ttl = 64;
    iph->protocol = proto;
    iph->saddr = src;
    iph->daddr = dst;
    ipv4_csum(iph);
}

static __always_inline void fill_v6(struct ipv6hdr *ip6, struct packet *p, struct real_definition *dst,
                                    __u8 nexthdr, __u16 payload, __u32 hash)
{
    ip6->version = 6;
    ip6->priority = p->tos >> 4;
    ip6->flow_lbl[0] = (p->tos & 0xf) << 4;
    ip6->flow_lbl[1] = 0;
    ip6->flow_lbl[2] = 0;
    ip6->payload_len = bpf_htons(payload);
    ip6->nexthdr = nexthdr;
    ip6->hop_limit = 64;
    __u32 k = 1;
    struct real_definition *s = bpf_map_lookup_elem(&pckt_srcs, &k);
    if (s) {
        ip6->saddr.in6_u.u6_addr32[0] = s->dstv6[0];
        ip6->saddr.in6_u.u6_addr32[1] = s->dstv6[1];
        ip6->saddr.in6_u.u6_addr32[2] = s->dstv6[2];
    } else {
        ip6->saddr.in6_u.u6_addr32[0] = bpf_htonl(0xfc000000);
        ip6->saddr.in6_u.u6_addr32[1] = 0;
        ip6->saddr.in6_u.u6_addr32[2] = p->flow.srcv6[2];
    }
    ip6->saddr.in6_u.u6_addr32[3] = hash;
#pragma unroll
    for (int i = 0; i < 4; i++)
        ip6->daddr.in6_u.u6_addr32[i] = dst->dstv6[i];
}

static __always_inline void fill_udp(struct udphdr *u, __u16 sport, __u16 len)
{
    u->source = bpf_htons(sport);
    u->dest = bpf_htons(GUE_PORT);
    u->len = bpf_htons(len);
    u->check = 0;
}

static __always_inline int encap_v4(struct xdp_md *ctx, struct packet *p, struct real_definition *dst, int v6, int gue,
                                    __u32 h)
{
    int extra = sizeof(struct iphdr) + (gue ? sizeof(struct udphdr) : 0);
    if (bpf_xdp_adjust_head(ctx, 0 - extra))
        return XDP_DROP;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *neth = data;
    struct iphdr *iph = data + sizeof(struct ethhdr);
    struct udphdr *u = (void *)(iph + 1);
    struct ethhdr *oeth = data + extra;
    if ((void *)(u + 1) > end || (void *)(oeth + 1) > end)
        return XDP_DROP;
    struct ctl_value *gw = ctl();
    if (!gw)
        return XDP_DROP;
    fill_eth(neth, oeth, gw, bpf_htons(ETH_P_IP));
    __u16 len = (__u16)(end - data - sizeof(struct ethhdr));
    if (gue)
        fill_udp(u, gw->gue_sport_base + (h & 0x3fff), len - sizeof(struct iphdr));
    fill_v4(iph, encap_src_v4(h), dst->dst, gue ? IPPROTO_UDP : v6 ? IPPROTO_IPV6 : IPPROTO_IPIP, len, p->tos);
    return XDP_TX;
}

static __always_inline int encap_v6(struct xdp_md *ctx, struct packet *p, struct real_definition *dst, int v6, int gue,
                                    __u32 h)
{
    int extra = sizeof(struct ipv6hdr) + (gue ? sizeof(struct udphdr) : 0);
    if (bpf_xdp_adjust_head(ctx, 0 - extra))
        return XDP_DROP;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *neth = data;
    struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
    struct udphdr *u = (void *)(ip6 + 1);
    struct ethhdr *oeth = data + extra;
    if ((void *)(u + 1) > end || (void *)(oeth + 1) > end)
        return XDP_DROP;
    struct ctl_value *gw = ctl();
    if (!gw)
        return XDP_DROP;
    fill_eth(neth, oeth, gw, bpf_htons(ETH_P_IPV6));
    __u16 payload = (__u16)(end - data - sizeof(struct ethhdr) - sizeof(struct ipv6hdr));
    if (gue)
        fill_udp(u, gw->gue_sport_base + (h & 0x3fff), payload);
    fill_v6(ip6, p, dst, gue ? IPPROTO_UDP : v6 ? IPPROTO_IPV6 : IPPROTO_IPIP, payload, h);
    return XDP_TX;
}

// ---------------------------------------------------------------- the balancer

static __always_inline int process_packet(struct xdp_md *ctx, __u64 off, int v6)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct packet p = {};
    __u8 proto = 0;
    int r = parse_l3(data, end, off, v6, &p, &proto);
    if (r != CONTINUE)
        return r;
    __u64 l4off = off + (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
    if (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6 || proto == IPPROTO_UDP) {
        if (decap_dst_matches(&p, v6)) {
            r = process_encaped(ctx, data, end, off, v6, proto);
            if (r != CONTINUE)
                return r;
        }
    }
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
        if (!(p.flags & P_ICMP_ERR)) {
            struct vip_definition echo = {};
            if (v6)
                __builtin_memcpy(echo.vipv6, ((struct ipv6hdr *)(data + off))->daddr.in6_u.u6_addr32, 16);
            else
                echo.vip = ((struct iphdr *)(data + off))->daddr;
            if (!bpf_map_lookup_elem(&vip_map, &echo))
                return XDP_PASS;
            return v6 ? icmpv6_echo_reply(data, end, off) : icmp_echo_reply(data, end, off);
        }
    } else if (parse_l4(data, end, l4off, &p) < 0) {
        return XDP_PASS;
    }

    struct vip_definition vip = {};
    if (v6)
        __builtin_memcpy(vip.vipv6, p.flow.dstv6, 16);
    else
        vip.vip = p.flow.dst;
    vip.port = p.flow.port16[1];
    vip.proto = p.flow.proto;
    struct vip_meta *vm = bpf_map_lookup_elem(&vip_map, &vip);
    if (!vm) {
        vip.port = 0;
        vm = bpf_map_lookup_elem(&vip_map, &vip);
        if (!vm)
            return XDP_PASS;
    }
    struct real_definition *dst = 0;
    __u32 sid = 0;
    if ((vm->flags & F_QUIC_VIP) && p.flow.proto == IPPROTO_UDP && !(p.flags & P_ICMP_ERR)) {
        if (quic_server_id(data, end, l4off, &sid) == 0) {
            __u32 *real = bpf_map_lookup_elem(&server_id_map, &sid);
            if (real && *real)
                dst = lookup_real(&p, *real);
            count2(CNT_QUIC, dst ? 1 : 0, dst ? 0 : 1);
        }
    } else if ((vm->flags & F_TCP_SERVER_ID) && p.flow.proto == IPPROTO_TCP && !(p.flags & (P_SYN | P_ICMP_ERR))) {
        if (tcp_server_id(data, end, l4off, &sid) == 0) {
            sid %= MAX_SERVER_IDS;
            __u32 *real = bpf_map_lookup_elem(&server_id_map, &sid);
            if (real && *real)
                dst = lookup_real(&p, *real);
            count2(CNT_TCP_SID, dst ? 1 : 0, dst ? 0 : 1);
        }
    }
    if (!dst && !(vm->flags & F_LRU_BYPASS) && !(p.flags & P_SYN))
        dst = connection_table_lookup(&p);
    if (!dst) {
        count2(CNT_LRU, 1, 0);
        dst = get_packet_dst(&p, vm, v6);
        if (!dst) {
            count2(CNT_DROP, 1, 0);
            return XDP_DROP;
        }
        count2(CNT_NEW_CONN, 0, 0);
    }
    count2((vm->vip_num % MAX_VIPS) * 2 + v6, 1, p.pkt_bytes);
    __u32 h = flow_hash(&p.flow, v6); // the outer source varies with the flow, for ECMP/RSS at the backend
    if (dst->flags & F_IPV6)
        return encap_v6(ctx, &p, dst, v6, dst->flags & F_GUE, h);
    return encap_v4(ctx, &p, dst, v6, dst->flags & F_GUE, h);
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
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
    if (proto == bpf_htons(ETH_P_IP))
        return process_packet(ctx, off, 0);
    if (proto == bpf_htons(ETH_P_IPV6))
        return process_packet(ctx, off, 1);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
