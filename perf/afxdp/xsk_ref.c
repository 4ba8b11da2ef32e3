// SPDX-License-Identifier: Apache-2.0
// C reference for jxdp's AF_XDP speed comparison (perf/afxdp/run.sh), built only for measuring.
// Uses libxdp's xsk API the way the kernel's xdpsock sample does: rxdrop (receive, give the frame
// back to the fill ring) and l2fwd (receive, swap MACs, transmit the same UMEM frame, recycle
// completions into the fill ring). The XDP program is the same six-instruction XSKMAP redirect
// jxdp's XskRedirect loads, attached with BPF_LINK_CREATE so it goes away with this process.
//
// usage: xsk_ref -i IF -m rxdrop|l2fwd [-q QUEUE] [-d SECONDS] [-w WARMUP] [-b BATCH] [-r RING]
//                [-n FRAMES] [-s FRAME_SIZE] [-S (generic XDP)] [-p [-t POLL_MS]]
// -p: poll mode (as xdpsock -p): when the RX ring is empty, block in poll(2) (POLLIN) up to POLL_MS
// (default 10) instead of spinning; see xsk_wait_rx in xsk_loop.h. Default: busy-poll.
// prints: "xsk_ref MODE pkts N secs S pps P cpu C% waits W" (C: CPU time this thread got while
// measuring; W: poll(2) waits while measuring, 0 without -p)
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include "xsk_loop.h"

static unsigned queue = 0;

static double seconds = 5, warmup = 1;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err) {
    fprintf(stderr, "xsk_ref: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

int main(int argc, char **argv) {
    const char *ifname = NULL, *mode = "rxdrop";
    int generic = 0, poll_mode = 0, poll_ms = 10, c;
    while ((c = getopt(argc, argv, "i:m:q:d:w:b:r:n:s:Spt:")) != -1) {
        switch (c) {
        case 'i': ifname = optarg; break;
        case 'm': mode = optarg; break;
        case 'q': queue = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 'r': ring = atoi(optarg); break;
        case 'n': nframes = atoi(optarg); break;
        case 's': fsize = atoi(optarg); break;
        case 'S': generic = 1; break;
        case 'p': poll_mode = 1; break;
        case 't': poll_ms = atoi(optarg); break;
        default: fprintf(stderr, "bad option\n"); return 2;
        }
    }
    int l2fwd = strcmp(mode, "l2fwd") == 0;
    if (!ifname || (!l2fwd && strcmp(mode, "rxdrop") != 0) || seconds <= 0 || seconds > 600
        || poll_ms < 1 || poll_ms > 1000) {
        fprintf(stderr, "usage: xsk_ref -i IF -m rxdrop|l2fwd [-d SECONDS<=600] [-p [-t POLL_MS 1..1000]] ...\n");
        return 2;
    }
    int ifindex = if_nametoindex(ifname);
    if (!ifindex)
        die(ifname, errno);

    void *buf;
    if (posix_memalign(&buf, getpagesize(), (size_t)nframes * fsize))
        die("posix_memalign", ENOMEM);
    struct xsk_ring_prod fq, tx;
    struct xsk_ring_cons cq, rx;
    struct xsk_umem *umem;
    struct xsk_umem_config ucfg = {.fill_size = ring, .comp_size = ring, .frame_size = fsize,
                                   .frame_headroom = 0, .flags = 0};
    int err = xsk_umem__create(&umem, buf, (__u64)nframes * fsize, &fq, &cq, &ucfg);
    if (err)
        die("xsk_umem__create", err);

    int map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xsk_ref", 4, 4, 64, NULL);
    if (map < 0)
        die("XSKMAP", errno);
    struct bpf_insn prog[] = {
        {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 16},  // r2 = rx_queue_index
        {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map},
        {0},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = XDP_PASS},
        {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map},
        {.code = BPF_JMP | BPF_EXIT},
    };
    int pfd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xsk_ref", "GPL", prog, 6, NULL);
    if (pfd < 0)
        die("bpf_prog_load", errno);
    LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
    int link = bpf_link_create(pfd, ifindex, BPF_XDP, &lopts);
    if (link < 0 && !generic) {
        fprintf(stderr, "xsk_ref: native XDP refused (%s), using generic\n", strerror(errno));
        lopts.flags = XDP_FLAGS_SKB_MODE;
        link = bpf_link_create(pfd, ifindex, BPF_XDP, &lopts);
    }
    if (link < 0)
        die("bpf_link_create", errno);

    struct xsk_socket *xsk;
    struct xsk_socket_config scfg = {.rx_size = ring, .tx_size = ring,
                                     .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
                                     .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP};
    err = xsk_socket__create(&xsk, ifname, queue, umem, &rx, &tx, &scfg);
    if (err)
        die("xsk_socket__create", err);
    err = xsk_socket__update_xskmap(xsk, map);
    if (err)
        die("xsk_socket__update_xskmap", err);
    int fd = xsk_socket__fd(xsk);

    // The fill ring gets min(ring, frames / 2) frames, the free stack the rest (as jxdp's XdpSocket).
    __u32 idx;
    unsigned give = ring < nframes / 2 ? ring : nframes / 2;
    free_stack = calloc(nframes, sizeof(*free_stack));
    for (unsigned i = give; i < nframes; i++)
        free_stack[free_top++] = (__u64)i * fsize;
    if (xsk_ring_prod__reserve(&fq, give, &idx) != give)
        die("fill ring reserve", ENOSPC);
    for (unsigned i = 0; i < give; i++)
        *xsk_ring_prod__fill_addr(&fq, idx++) = (__u64)i * fsize;
    xsk_ring_prod__submit(&fq, give);

    unsigned long pkts = 0, counted_from = 0, waits = 0, waits_from = 0;
    double t0 = now(), start = t0 + warmup, end = start + seconds, tstart = 0, cpu0 = 0;
    int measuring = 0;
    unsigned outstanding_tx = 0;
    for (unsigned long iter = 0;; iter++) {
        if ((iter & 1023) == 0) {
            double t = now();
            if (!measuring && t >= start) {
                measuring = 1;
                counted_from = pkts;
                waits_from = waits;
                tstart = t;
                cpu0 = thread_cpu();
            }
            if (t >= end)
                break;
        }
        unsigned n = xsk_step(l2fwd, &rx, &fq, &tx, &cq, buf, fd, &outstanding_tx);
        pkts += n;
        if (!n && poll_mode) {
            int w = xsk_wait_rx(fd, l2fwd, outstanding_tx, poll_ms);
            if (w < 0)
                die("poll", errno);
            if (w) {
                waits++;
                iter |= 1023; // a wait may have lasted poll_ms: read the clock on the next turn
            }
        }
    }
    double secs = now() - tstart, cpu = thread_cpu() - cpu0;
    unsigned long counted = pkts - counted_from;
    printf("xsk_ref %s pkts %lu secs %.3f pps %.0f cpu %.1f%% waits %lu\n", mode, counted, secs, counted / secs,
           100 * cpu / secs, waits - waits_from);
    xsk_socket__delete(xsk);
    xsk_umem__delete(umem);
    close(link);
    close(pfd);
    close(map);
    free(buf);
    free(free_stack);
    return 0;
}
