// SPDX-License-Identifier: Apache-2.0
// The C side of perf/.../XskRingBenchmark (issue 7): xsk_ref.c's rxdrop and l2fwd loop bodies, with
// libxdp's inline ring helpers (xsk_ring_prod__reserve/submit, xsk_ring_cons__peek/release, the
// need-wakeup checks), run against rings in ordinary memory whose kernel side is played by the same
// two functions as jxdp's MemoryKernel (copy-mode receive: fill -> RX; transmit: TX -> completion).
// One operation = one batch of 64 frames of 64 bytes; rings 2048, 4096 frames of 2048 bytes, as run.sh.
// No device, no syscall (need-wakeup flags stay clear). Prints ns per frame for each of 5 one-second
// rounds after 3 warm-up rounds, as JMH does for the Java side.
//
// build: gcc -O2 -Wall -o /tmp/xsk_ring_bench perf/afxdp/xsk_ring_bench.c   (header-only use of <xdp/xsk.h>)
// usage: xsk_ring_bench rxdrop|l2fwd
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_ether.h>
#include <xdp/xsk.h>

#define RING 2048u
#define NFRAMES 4096u
#define FSIZE 2048u
#define BATCH 64u
#define RX_OFFSET 256u // XDP_PACKET_HEADROOM, UMEM headroom 0

struct mem_ring {
    __u32 prod __attribute__((aligned(64)));
    __u32 cons __attribute__((aligned(64)));
    __u32 flags __attribute__((aligned(64)));
    __u64 desc[] __attribute__((aligned(64)));
};

static unsigned char *buf;
static __u64 free_stack[NFRAMES];
static unsigned free_top;
// kernel side's own indices
static __u32 k_fill_cons, k_rx_prod, k_tx_cons, k_comp_prod;
static struct mem_ring *mfq, *mcq, *mrx, *mtx;
static struct xsk_ring_prod fq, tx;
static struct xsk_ring_cons cq, rx;
static volatile unsigned long sink;

static struct mem_ring *mem_ring(unsigned entry_size) {
    struct mem_ring *r = aligned_alloc(4096, sizeof(struct mem_ring) + RING * entry_size);
    memset(r, 0, sizeof(struct mem_ring) + RING * entry_size);
    return r;
}

static void prod(struct xsk_ring_prod *p, struct mem_ring *m) {
    p->cached_prod = 0;
    p->cached_cons = RING;
    p->mask = RING - 1;
    p->size = RING;
    p->producer = &m->prod;
    p->consumer = &m->cons;
    p->ring = m->desc;
    p->flags = &m->flags;
}

static void cons(struct xsk_ring_cons *c, struct mem_ring *m) {
    c->cached_prod = 0;
    c->cached_cons = 0;
    c->mask = RING - 1;
    c->size = RING;
    c->producer = &m->prod;
    c->consumer = &m->cons;
    c->ring = m->desc;
    c->flags = &m->flags;
}

// MemoryKernel.receive(n, length)
static void kernel_receive(unsigned n, __u32 len) {
    __u32 filled = __atomic_load_n(&mfq->prod, __ATOMIC_ACQUIRE) - k_fill_cons;
    __u32 rx_free = RING - (k_rx_prod - __atomic_load_n(&mrx->cons, __ATOMIC_ACQUIRE));
    unsigned m = n < filled ? n : filled;
    m = m < rx_free ? m : rx_free;
    struct xdp_desc *d = (struct xdp_desc *)mrx->desc;
    for (unsigned i = 0; i < m; i++) {
        __u64 addr = mfq->desc[(k_fill_cons + i) & (RING - 1)];
        struct xdp_desc *e = &d[(k_rx_prod + i) & (RING - 1)];
        e->addr = (addr & ~(__u64)(FSIZE - 1)) + RX_OFFSET;
        e->len = len;
        e->options = 0;
    }
    k_fill_cons += m;
    k_rx_prod += m;
    __atomic_store_n(&mfq->cons, k_fill_cons, __ATOMIC_RELEASE);
    __atomic_store_n(&mrx->prod, k_rx_prod, __ATOMIC_RELEASE);
}

// MemoryKernel.transmit()
static void kernel_transmit(void) {
    __u32 queued = __atomic_load_n(&mtx->prod, __ATOMIC_ACQUIRE) - k_tx_cons;
    __u32 comp_free = RING - (k_comp_prod - __atomic_load_n(&mcq->cons, __ATOMIC_ACQUIRE));
    unsigned m = queued < comp_free ? queued : comp_free;
    struct xdp_desc *d = (struct xdp_desc *)mtx->desc;
    unsigned long bytes = 0;
    for (unsigned i = 0; i < m; i++) {
        struct xdp_desc *e = &d[(k_tx_cons + i) & (RING - 1)];
        bytes += e->len;
        mcq->desc[(k_comp_prod + i) & (RING - 1)] = e->addr;
    }
    sink += bytes;
    k_tx_cons += m;
    k_comp_prod += m;
    __atomic_store_n(&mtx->cons, k_tx_cons, __ATOMIC_RELEASE);
    __atomic_store_n(&mcq->prod, k_comp_prod, __ATOMIC_RELEASE);
}

// xsk_ref.c's complete_tx and top_up_fill, unchanged but for the (never taken) sendto
static void complete_tx(unsigned *outstanding_tx) {
    if (xsk_ring_prod__needs_wakeup(&tx))
        abort();
    __u32 idx_cq;
    unsigned want = *outstanding_tx < BATCH ? *outstanding_tx : BATCH;
    unsigned done = xsk_ring_cons__peek(&cq, want, &idx_cq);
    for (unsigned i = 0; i < done; i++)
        free_stack[free_top++] = *xsk_ring_cons__comp_addr(&cq, idx_cq++);
    if (done)
        xsk_ring_cons__release(&cq, done);
    *outstanding_tx -= done;
}

static void top_up_fill(void) {
    __u32 idx;
    unsigned n = free_top < BATCH ? free_top : BATCH;
    if (n && xsk_ring_prod__reserve(&fq, n, &idx) == n) {
        for (unsigned i = 0; i < n; i++)
            *xsk_ring_prod__fill_addr(&fq, idx++) = free_stack[--free_top];
        xsk_ring_prod__submit(&fq, n);
    }
}

static unsigned outstanding_tx;

// one iteration of xsk_ref.c's main loop (after the kernel received a batch)
static unsigned user_iteration(int l2fwd) {
    if (l2fwd) {
        if (outstanding_tx)
            complete_tx(&outstanding_tx);
        top_up_fill();
    }
    __u32 idx_rx, idx_o;
    unsigned n = xsk_ring_cons__peek(&rx, BATCH, &idx_rx);
    if (!n) {
        if (xsk_ring_prod__needs_wakeup(&fq))
            abort();
        return 0;
    }
    if (!l2fwd) {
        while (xsk_ring_prod__reserve(&fq, n, &idx_o) != n)
            ;
        for (unsigned i = 0; i < n; i++)
            *xsk_ring_prod__fill_addr(&fq, idx_o++) = xsk_ring_cons__rx_desc(&rx, idx_rx++)->addr;
        xsk_ring_prod__submit(&fq, n);
    } else {
        while (xsk_ring_prod__reserve(&tx, n, &idx_o) != n)
            complete_tx(&outstanding_tx);
        for (unsigned i = 0; i < n; i++) {
            const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx_rx++);
            unsigned char *p = xsk_umem__get_data(buf, d->addr), tmp[ETH_ALEN];
            memcpy(tmp, p, ETH_ALEN);
            memcpy(p, p + ETH_ALEN, ETH_ALEN);
            memcpy(p + ETH_ALEN, tmp, ETH_ALEN);
            struct xdp_desc *t = xsk_ring_prod__tx_desc(&tx, idx_o++);
            t->addr = d->addr;
            t->len = d->len;
        }
        xsk_ring_prod__submit(&tx, n);
        outstanding_tx += n;
    }
    xsk_ring_cons__release(&rx, n);
    return n;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "rxdrop") && strcmp(argv[1], "l2fwd"))) {
        fprintf(stderr, "usage: xsk_ring_bench rxdrop|l2fwd\n");
        return 2;
    }
    int l2fwd = strcmp(argv[1], "l2fwd") == 0;
    buf = aligned_alloc(4096, (size_t)NFRAMES * FSIZE);
    memset(buf, 0, (size_t)NFRAMES * FSIZE);
    mfq = mem_ring(8);
    mcq = mem_ring(8);
    mrx = mem_ring(16);
    mtx = mem_ring(16);
    prod(&fq, mfq);
    prod(&tx, mtx);
    cons(&cq, mcq);
    cons(&rx, mrx);
    // as xsk_ref.c: the fill ring gets min(ring, frames / 2) frames, the free stack the rest
    unsigned give = RING < NFRAMES / 2 ? RING : NFRAMES / 2;
    for (unsigned i = give; i < NFRAMES; i++)
        free_stack[free_top++] = (__u64)i * FSIZE;
    __u32 idx;
    if (xsk_ring_prod__reserve(&fq, give, &idx) != give)
        abort();
    for (unsigned i = 0; i < give; i++)
        *xsk_ring_prod__fill_addr(&fq, idx++) = (__u64)i * FSIZE;
    xsk_ring_prod__submit(&fq, give);

    unsigned long frames_total = 0;
    for (int round = -3; round < 5; round++) {
        unsigned long frames = 0, ops = 0;
        double t0 = now(), t;
        do {
            for (int k = 0; k < 1024; k++) {
                kernel_receive(BATCH, 64);
                frames += user_iteration(l2fwd);
                if (l2fwd)
                    kernel_transmit();
            }
            ops += 1024;
            t = now();
        } while (t - t0 < 1.0);
        frames_total += frames;
        if (frames != ops * BATCH) {
            fprintf(stderr, "round %d: %lu frames in %lu batches of %u\n", round, frames, ops, BATCH);
            return 1;
        }
        printf("%s %s round %d: %.3f ns/frame\n", round < 0 ? "warmup" : "measure", argv[1], round,
               (t - t0) * 1e9 / (double)(ops * BATCH));
    }
    return 0;
}
