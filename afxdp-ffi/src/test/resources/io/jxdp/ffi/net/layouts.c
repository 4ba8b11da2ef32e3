/* Prints the sizes, offsets and values of the kernel ABI jxdp's afxdp-ffi mirrors by hand, so
 * that KernelLayouts can compare them with the Java constants (one layout, defined once, tested). */
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_xdp.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/bpf.h>
#include <poll.h>

#define P(name, value) printf("%s %lld\n", name, (long long)(value))
#define OFF(t, f) P(#t "." #f, offsetof(struct t, f))
#define SZ(t) P("sizeof " #t, sizeof(struct t))
#define V(c) P(#c, c)

int main(void) {
    SZ(sockaddr_xdp); OFF(sockaddr_xdp, sxdp_family); OFF(sockaddr_xdp, sxdp_flags); OFF(sockaddr_xdp, sxdp_ifindex);
    OFF(sockaddr_xdp, sxdp_queue_id); OFF(sockaddr_xdp, sxdp_shared_umem_fd);
    SZ(xdp_umem_reg); OFF(xdp_umem_reg, addr); OFF(xdp_umem_reg, len); OFF(xdp_umem_reg, chunk_size);
    OFF(xdp_umem_reg, headroom); OFF(xdp_umem_reg, flags);
    SZ(xdp_mmap_offsets); OFF(xdp_mmap_offsets, rx); OFF(xdp_mmap_offsets, tx); OFF(xdp_mmap_offsets, fr);
    OFF(xdp_mmap_offsets, cr);
    SZ(xdp_ring_offset); OFF(xdp_ring_offset, producer); OFF(xdp_ring_offset, consumer); OFF(xdp_ring_offset, desc);
    OFF(xdp_ring_offset, flags);
    SZ(xdp_desc); OFF(xdp_desc, addr); OFF(xdp_desc, len); OFF(xdp_desc, options);
    SZ(xdp_statistics);
    V(SOL_XDP); V(XDP_MMAP_OFFSETS); V(XDP_RX_RING); V(XDP_TX_RING); V(XDP_UMEM_REG); V(XDP_UMEM_FILL_RING);
    V(XDP_UMEM_COMPLETION_RING); V(XDP_STATISTICS); V(XDP_OPTIONS); V(XDP_OPTIONS_ZEROCOPY);
    V(XDP_SHARED_UMEM); V(XDP_COPY); V(XDP_ZEROCOPY); V(XDP_USE_NEED_WAKEUP); V(XDP_RING_NEED_WAKEUP);
    V(XDP_PGOFF_RX_RING); V(XDP_PGOFF_TX_RING); V(XDP_UMEM_PGOFF_FILL_RING); V(XDP_UMEM_PGOFF_COMPLETION_RING);
    V(XDP_PACKET_HEADROOM); V(AF_XDP); V(AF_PACKET);
    OFF(xdp_md, rx_queue_index); V(BPF_FUNC_redirect_map); V(XDP_PASS); V(BPF_PSEUDO_MAP_FD);

    V(SOL_PACKET); V(PACKET_RX_RING); V(PACKET_STATISTICS); V(PACKET_VERSION); V(PACKET_TX_RING);
    V(PACKET_QDISC_BYPASS); V(PACKET_IGNORE_OUTGOING); V(TPACKET_V3); V(ETH_P_ALL);
    V(TP_STATUS_KERNEL); V(TP_STATUS_USER); V(TP_STATUS_AVAILABLE); V(TP_STATUS_SEND_REQUEST);
    V(TP_STATUS_SENDING); V(TP_STATUS_WRONG_FORMAT); V(TPACKET_ALIGNMENT);
    SZ(sockaddr_ll); OFF(sockaddr_ll, sll_family); OFF(sockaddr_ll, sll_protocol); OFF(sockaddr_ll, sll_ifindex);
    SZ(tpacket_req3); SZ(tpacket_stats_v3);
    SZ(tpacket_block_desc); OFF(tpacket_block_desc, version); OFF(tpacket_block_desc, offset_to_priv);
    P("tpacket_block_desc.block_status", offsetof(struct tpacket_block_desc, hdr.bh1.block_status));
    P("tpacket_block_desc.num_pkts", offsetof(struct tpacket_block_desc, hdr.bh1.num_pkts));
    P("tpacket_block_desc.offset_to_first_pkt", offsetof(struct tpacket_block_desc, hdr.bh1.offset_to_first_pkt));
    P("tpacket_block_desc.blk_len", offsetof(struct tpacket_block_desc, hdr.bh1.blk_len));
    P("tpacket_block_desc.seq_num", offsetof(struct tpacket_block_desc, hdr.bh1.seq_num));
    SZ(tpacket3_hdr); OFF(tpacket3_hdr, tp_next_offset); OFF(tpacket3_hdr, tp_sec); OFF(tpacket3_hdr, tp_nsec);
    OFF(tpacket3_hdr, tp_snaplen); OFF(tpacket3_hdr, tp_len); OFF(tpacket3_hdr, tp_status); OFF(tpacket3_hdr, tp_mac);
    OFF(tpacket3_hdr, tp_net);
    P("TPACKET3_HDRLEN - sizeof(struct sockaddr_ll)", TPACKET3_HDRLEN - sizeof(struct sockaddr_ll));

    SZ(ifreq); P("ifreq.ifr_ifru", offsetof(struct ifreq, ifr_ifru)); V(IFNAMSIZ);
    V(SIOCGIFFLAGS); V(SIOCGIFMTU); V(SIOCGIFHWADDR); V(SIOCGIFINDEX); V(SIOCETHTOOL); V(ETHTOOL_GCHANNELS);
    SZ(ethtool_channels); OFF(ethtool_channels, rx_count); OFF(ethtool_channels, tx_count);
    OFF(ethtool_channels, combined_count); V(IFF_UP); V(IFF_RUNNING);
    SZ(pollfd); V(POLLIN); V(MSG_DONTWAIT); V(SOL_SOCKET);
    return 0;
}
