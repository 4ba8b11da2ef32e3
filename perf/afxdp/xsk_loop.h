// SPDX-License-Identifier: Apache-2.0
// The C reference's user-space loop, shared by xsk_ref.c (on a real AF_XDP socket) and
// xsk_ring_sim.c (on rings in memory, no device): rxdrop and l2fwd as the kernel's xdpsock sample
// does them with libxdp's inline ring API. Include after <xdp/xsk.h>.
#ifndef XSK_LOOP_H
#define XSK_LOOP_H
#include <errno.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

static unsigned ring = 2048, batch = 64, nframes = 4096, fsize = 2048;

// Frames not in a ring (l2fwd): completed TX frames and, at start, the frames beyond the fill
// ring's size. jxdp's XdpSocket keeps the same budget: fill ring topped up to min(ring, frames / 2)
// from a free stack that also supplies TX.
static __u64 *free_stack;
static unsigned free_top;

// l2fwd: kick TX if the kernel asks, then reap up to a batch of completions into the free stack.
static void complete_tx(struct xsk_ring_cons *cq, struct xsk_ring_prod *tx, int fd, unsigned *outstanding_tx) {
    if (xsk_ring_prod__needs_wakeup(tx))
        sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    __u32 idx_cq;
    unsigned want = *outstanding_tx < batch ? *outstanding_tx : batch;
    unsigned done = xsk_ring_cons__peek(cq, want, &idx_cq);
    for (unsigned i = 0; i < done; i++)
        free_stack[free_top++] = *xsk_ring_cons__comp_addr(cq, idx_cq++);
    if (done)
        xsk_ring_cons__release(cq, done);
    *outstanding_tx -= done;
}

// l2fwd: give up to a batch of free frames to the fill ring if it has room.
static void top_up_fill(struct xsk_ring_prod *fq) {
    __u32 idx;
    unsigned n = free_top < batch ? free_top : batch;
    if (n && xsk_ring_prod__reserve(fq, n, &idx) == n) {
        for (unsigned i = 0; i < n; i++)
            *xsk_ring_prod__fill_addr(fq, idx++) = free_stack[--free_top];
        xsk_ring_prod__submit(fq, n);
    }
}

// One turn of the receive loop: returns the frames received (and dropped or forwarded) this turn.
static inline unsigned xsk_step(int l2fwd, struct xsk_ring_cons *rx, struct xsk_ring_prod *fq,
                                struct xsk_ring_prod *tx, struct xsk_ring_cons *cq, void *buf, int fd,
                                unsigned *outstanding_tx) {
    if (l2fwd) {
        if (*outstanding_tx)
            complete_tx(cq, tx, fd, outstanding_tx);
        top_up_fill(fq);
    }
    __u32 idx_rx, idx_o;
    unsigned n = xsk_ring_cons__peek(rx, batch, &idx_rx);
    if (!n) {
        if (xsk_ring_prod__needs_wakeup(fq))
            recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
        return 0;
    }
    if (!l2fwd) {
        while (xsk_ring_prod__reserve(fq, n, &idx_o) != n)
            if (xsk_ring_prod__needs_wakeup(fq))
                recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
        for (unsigned i = 0; i < n; i++)
            *xsk_ring_prod__fill_addr(fq, idx_o++) = xsk_ring_cons__rx_desc(rx, idx_rx++)->addr;
        xsk_ring_prod__submit(fq, n);
    } else {
        // A full TX ring drains only if completions are reaped too (as xdpsock does).
        while (xsk_ring_prod__reserve(tx, n, &idx_o) != n)
            complete_tx(cq, tx, fd, outstanding_tx);
        for (unsigned i = 0; i < n; i++) {
            const struct xdp_desc *d = xsk_ring_cons__rx_desc(rx, idx_rx++);
            unsigned char *p = xsk_umem__get_data(buf, d->addr), tmp[ETH_ALEN];
            memcpy(tmp, p, ETH_ALEN);
            memcpy(p, p + ETH_ALEN, ETH_ALEN);
            memcpy(p + ETH_ALEN, tmp, ETH_ALEN);
            struct xdp_desc *t = xsk_ring_prod__tx_desc(tx, idx_o++);
            t->addr = d->addr;
            t->len = d->len;
        }
        xsk_ring_prod__submit(tx, n);
        *outstanding_tx += n;
    }
    xsk_ring_cons__release(rx, n);
    return n;
}

// Poll mode (xsk_ref -p; the kernel's xdpsock sample has -p): called after a turn found the RX ring
// empty (xsk_step has made the fill ring's need-wakeup recvfrom by then). Blocks in poll(2) for
// POLLIN up to timeout_ms, leaving the CPU to whoever produces the frames (on run.sh's veth, the
// NAPI kthread on the same CPU). Not while l2fwd has frames out on TX: they must come back through
// the completion ring first (complete_tx on the next turns), or the fill ring may run dry while
// this waits for RX that cannot come. (xdpsock polls POLLIN | POLLOUT before every batch instead,
// and POLLOUT is ready whenever the TX ring is at most half full, so its l2fwd seldom waits.)
// Returns 1 if it polled (the caller reads its clock), 0 if not, -1 with errno on a poll error
// other than EINTR.
static inline int xsk_wait_rx(int fd, int l2fwd, unsigned outstanding_tx, int timeout_ms) {
    if (l2fwd && outstanding_tx)
        return 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
        return -1;
    return 1;
}
#endif
