// SPDX-License-Identifier: Apache-2.0
// The C reference's user-space AF_XDP loop (xsk_loop.h, the same code xsk_ref.c runs on a real
// socket) timed on rings in memory, with no device and no syscall: the counterpart of jxdp's
// perf/src/main/java/io/jxdp/perf/XskRingBenchmark.java, which runs jxdp's XdpSocket over
// io.jxdp.ffi.xdp.MemoryKernel. This file's kernel side is MemoryKernel's, line for line:
//   receive(n, len): fill ring -> RX ring, the descriptor at frame + XDP_PACKET_HEADROOM, len bytes;
//   transmit():      TX ring -> completion ring.
// Each side reads the other's index with acquire and publishes its own with release; the rings are
// laid out as the kernel lays them out (producer, consumer, flags on their own cache lines, then the
// entries); the need-wakeup flags stay clear, so the loop never makes a syscall.
// One operation is one batch of 64 frames (XskRingBenchmark's BATCH), with run.sh's sizes
// (rings 2048, 4096 frames of 2048 bytes, 64-byte frames):
//   l2fwd:  receive(64, 64); one xsk_step (reap completions, top up the fill ring, swap MACs, TX);
//           transmit()
//   rxdrop: receive(64, 64); one xsk_step (RX descriptors back to the fill ring)
// As JMH does there: 3 warm-up iterations of 1 s, then 5 measured iterations of 1 s.
//
// usage: xsk_ring_sim rxdrop|l2fwd
// prints one line per measured iteration, then
//   "xsk_ring_sim MODE ns/frame MEAN min MIN max MAX frames N"
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>
#include "xsk_loop.h"

#define BATCH 64
#define FRAME_LEN 64
#define PROD 0
#define CONS 64
#define FLAGS 128
#define DESC 192

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *map_ring(unsigned entries, unsigned entry_size) {
    void *m = mmap(NULL, DESC + (size_t)entries * entry_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) {
        perror("xsk_ring_sim: mmap");
        exit(1);
    }
    return m;
}

// The user side's view of a ring, initialised as libxdp's xsk_umem__create/xsk_socket__create do.
static void user_ring(void *m, unsigned size, int producer, struct xsk_ring_prod *p) {
    p->mask = size - 1;
    p->size = size;
    p->producer = (__u32 *)((char *)m + PROD);
    p->consumer = (__u32 *)((char *)m + CONS);
    p->flags = (__u32 *)((char *)m + FLAGS);
    p->ring = (char *)m + DESC;
    p->cached_prod = *p->producer;
    p->cached_cons = *p->consumer + (producer ? size : 0);
}

// The kernel's side (MemoryKernel.java).
static char *fill_mem, *comp_mem, *rx_mem, *tx_mem;
static __u32 fill_cons, comp_prod, rx_prod, tx_cons;
static unsigned long long transmitted_bytes;

static __u32 load_acquire(char *m, int off) {
    return __atomic_load_n((__u32 *)(m + off), __ATOMIC_ACQUIRE);
}

static void store_release(char *m, int off, __u32 v) {
    __atomic_store_n((__u32 *)(m + off), v, __ATOMIC_RELEASE);
}

static unsigned kernel_receive(unsigned n, unsigned len) {
    unsigned filled = load_acquire(fill_mem, PROD) - fill_cons;
    unsigned rx_free = ring - (rx_prod - load_acquire(rx_mem, CONS));
    unsigned m = n < filled ? n : filled;
    m = m < rx_free ? m : rx_free;
    for (unsigned i = 0; i < m; i++) {
        __u64 addr = ((__u64 *)(fill_mem + DESC))[(fill_cons + i) & (ring - 1)];
        struct xdp_desc *d = &((struct xdp_desc *)(rx_mem + DESC))[(rx_prod + i) & (ring - 1)];
        d->addr = (addr & ~(__u64)(fsize - 1)) + XDP_PACKET_HEADROOM;
        d->len = len;
        d->options = 0;
    }
    fill_cons += m;
    rx_prod += m;
    store_release(fill_mem, CONS, fill_cons);
    store_release(rx_mem, PROD, rx_prod);
    return m;
}

static unsigned kernel_transmit(void) {
    unsigned queued = load_acquire(tx_mem, PROD) - tx_cons;
    unsigned comp_free = ring - (comp_prod - load_acquire(comp_mem, CONS));
    unsigned m = queued < comp_free ? queued : comp_free;
    for (unsigned i = 0; i < m; i++) {
        struct xdp_desc *d = &((struct xdp_desc *)(tx_mem + DESC))[(tx_cons + i) & (ring - 1)];
        transmitted_bytes += d->len;
        ((__u64 *)(comp_mem + DESC))[(comp_prod + i) & (ring - 1)] = d->addr;
    }
    tx_cons += m;
    comp_prod += m;
    store_release(tx_mem, CONS, tx_cons);
    store_release(comp_mem, PROD, comp_prod);
    return m;
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "rxdrop") != 0 && strcmp(argv[1], "l2fwd") != 0)) {
        fprintf(stderr, "usage: xsk_ring_sim rxdrop|l2fwd\n");
        return 2;
    }
    int l2fwd = strcmp(argv[1], "l2fwd") == 0;
    void *buf;
    if (posix_memalign(&buf, getpagesize(), (size_t)nframes * fsize)) {
        fprintf(stderr, "xsk_ring_sim: no memory for the UMEM\n");
        return 1;
    }
    memset(buf, 0, (size_t)nframes * fsize);
    fill_mem = map_ring(ring, sizeof(__u64));
    comp_mem = map_ring(ring, sizeof(__u64));
    rx_mem = map_ring(ring, sizeof(struct xdp_desc));
    tx_mem = map_ring(ring, sizeof(struct xdp_desc));
    struct xsk_ring_prod fq, tx;
    struct xsk_ring_cons cq, rx;
    user_ring(fill_mem, ring, 1, &fq);
    user_ring(comp_mem, ring, 0, (struct xsk_ring_prod *)&cq);
    user_ring(rx_mem, ring, 0, (struct xsk_ring_prod *)&rx);
    user_ring(tx_mem, ring, 1, &tx);

    // The fill ring gets min(ring, frames / 2) frames, the free stack the rest (as xsk_ref.c).
    __u32 idx;
    unsigned give = ring < nframes / 2 ? ring : nframes / 2;
    free_stack = calloc(nframes, sizeof(*free_stack));
    for (unsigned i = give; i < nframes; i++)
        free_stack[free_top++] = (__u64)i * fsize;
    if (xsk_ring_prod__reserve(&fq, give, &idx) != give) {
        fprintf(stderr, "xsk_ring_sim: fill ring reserve failed\n");
        return 1;
    }
    for (unsigned i = 0; i < give; i++)
        *xsk_ring_prod__fill_addr(&fq, idx++) = (__u64)i * fsize;
    xsk_ring_prod__submit(&fq, give);

    unsigned outstanding_tx = 0;
    unsigned long long frames = 0;
    double sum = 0, lo = 1e18, hi = 0;
    for (int it = 0; it < 8; it++) {
        unsigned long long n = 0;
        double t0 = now(), t;
        do {
            for (int k = 0; k < 1024; k++) {
                kernel_receive(BATCH, FRAME_LEN);
                n += xsk_step(l2fwd, &rx, &fq, &tx, &cq, buf, -1, &outstanding_tx);
                if (l2fwd)
                    kernel_transmit();
            }
        } while ((t = now()) - t0 < 1.0);
        double ns = (t - t0) * 1e9 / n;
        if (it < 3) {
            printf("warm-up %d: %.3f ns/frame\n", it + 1, ns);
            continue;
        }
        printf("iteration %d: %.3f ns/frame\n", it - 2, ns);
        sum += ns;
        lo = ns < lo ? ns : lo;
        hi = ns > hi ? ns : hi;
        frames += n;
    }
    if (frames == 0 || (l2fwd && transmitted_bytes == 0)) {
        fprintf(stderr, "xsk_ring_sim: nothing went round\n");
        return 1;
    }
    printf("xsk_ring_sim %s ns/frame %.3f min %.3f max %.3f frames %llu\n", argv[1], sum / 5, lo, hi, frames);
    return 0;
}
