#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the corpus packets: packets/NAME.pcap and packets/NAME.txt (one line per packet:
index, length, what it is) for every corpus entry.

Dev-time only: needs python3-scapy (Debian's /usr/bin/python3 has it). The output is committed
and deterministic: scapy only builds the bytes, this script writes the pcap itself with fixed
timestamps, so reruns are byte-identical.

Addresses are from the benchmarking range 198.18.0.0/15 (RFC 2544) and fd00::/8 (RFC 4193).
Usage: packets/gen_packets.py [OUTDIR]   (default: the directory of this script)
"""
import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Raw

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
IP_A = "198.18.0.10"
IP_B = "198.18.0.11"
IP_BLOCKED = "198.18.0.66"   # in maps/xdp_flow_counter.yaml, blocklist
IP6_A = "fd00::a"
IP6_B = "fd00::b"
IP6_BLOCKED = "fd00::66"     # in maps/xdp_flow_counter.yaml, blocklist6

PCAP_EPOCH = 1700000000      # fixed timestamps: epoch + index milliseconds
DLT_EN10MB = 1


def eth(ethertype=None):
    e = Ether(src=MAC_A, dst=MAC_B)
    if ethertype is not None:
        e.type = ethertype
    return e


def b(pkt):
    return bytes(pkt)


def pad_to(pkt, length):
    """Appends zero payload so the frame is exactly `length` bytes (checksums cover it)."""
    raw = b(pkt)
    if len(raw) > length:
        raise ValueError(f"packet already {len(raw)} bytes, wanted {length}")
    return b(pkt / Raw(b"\x00" * (length - len(raw))))


def ipv4_udp(dport=53, sport=40000, src=IP_A, dst=IP_B, payload=b"jxdp", **ip):
    return b(eth() / IP(src=src, dst=dst, **ip) / UDP(sport=sport, dport=dport) / Raw(payload))


def ipv4_tcp(dport=80, sport=40001, src=IP_A, dst=IP_B, payload=b"jxdp", flags="S", **ip):
    return b(eth() / IP(src=src, dst=dst, **ip) / TCP(sport=sport, dport=dport, seq=1, flags=flags)
             / Raw(payload))


def ipv4_icmp():
    return b(eth() / IP(src=IP_A, dst=IP_B) / ICMP(type=8, id=1, seq=1) / Raw(b"ping"))


def ipv4_options_udp(dport=53):
    # IHL 7: two NOP-padded option words (RFC 791 3.1 option type 1 is No Operation).
    return b(eth() / IP(src=IP_A, dst=IP_B, options=b"\x01" * 8) / UDP(sport=40000, dport=dport)
             / Raw(b"opts"))


def ipv6_udp(dport=53, src=IP6_A, payload=b"jxdp"):
    return b(eth() / IPv6(src=src, dst=IP6_B) / UDP(sport=40000, dport=dport) / Raw(payload))


def ipv6_tcp(dport=80):
    return b(eth() / IPv6(src=IP6_A, dst=IP6_B) / TCP(sport=40001, dport=dport, seq=1, flags="S"))


def ipv6_icmp():
    return b(eth() / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6EchoRequest(id=1, seq=1, data=b"ping"))


def ipv6_ext_chain():
    # Hop-by-hop, routing (type 0, no addresses left), fragment (first), destination options, UDP.
    return b(eth() / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=[])
             / IPv6ExtHdrFragment(offset=0, m=0, id=7) / IPv6ExtHdrDestOpt() / UDP(sport=40000, dport=53)
             / Raw(b"ext"))


def vlan_udp():
    return b(eth() / Dot1Q(vlan=100) / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=53) / Raw(b"vlan"))


def qinq_tcp():
    return b(eth() / Dot1AD(vlan=10) / Dot1Q(vlan=100) / IP(src=IP_A, dst=IP_B)
             / TCP(sport=40001, dport=80, seq=1, flags="S"))


def qinq_udp(dport=53):
    return b(eth() / Dot1AD(vlan=10) / Dot1Q(vlan=100) / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=dport)
             / Raw(b"qinq"))


def arp():
    return b(eth() / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B))


def eth_only(ethertype=0x88B5):
    # 0x88B5: IEEE 802 local experimental EtherType, 14 bytes, nothing after the header.
    return b(eth(ethertype))


def runt(n=10):
    # Shorter than an Ethernet header. The kernel's BPF_PROG_TEST_RUN refuses these (EINVAL).
    return bytes(range(1, n + 1))


def frame_1500():
    return pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=53), 1500)


def truncated(raw, length):
    return raw[:length]


def ipv4_bad_ihl():
    raw = bytearray(ipv4_udp())
    raw[14] = 0x44  # version 4, IHL 4
    return bytes(raw)


def ipv4_bad_version():
    raw = bytearray(ipv4_udp())
    raw[14] = 0x65  # version 6 inside an IPv4 EtherType
    return bytes(raw)


def ipv6_bad_version():
    raw = bytearray(ipv6_udp())
    raw[14] = 0x40 | (raw[14] & 0x0F)
    return bytes(raw)


def tcp_bad_doff():
    raw = bytearray(ipv4_tcp())
    raw[14 + 20 + 12] = 0x40  # data offset 4 words
    return bytes(raw)


def udp_bad_len():
    raw = bytearray(ipv4_udp())
    raw[14 + 20 + 4:14 + 20 + 6] = b"\x00\x04"  # UDP length 4 < 8
    return bytes(raw)


def ipv4_fragment(offset_words=10):
    return b(eth() / IP(src=IP_A, dst=IP_B, proto=17, frag=offset_words) / Raw(b"\x9c\x40\x00\x35fragment"))


def ipip(inner_dport=53, bad_csum=False):
    outer = IP(src="198.18.0.1", dst="198.18.0.2", proto=4, flags="DF", ttl=64, id=0)
    raw = bytearray(b(eth() / outer / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=inner_dport)
                      / Raw(b"inner")))
    if bad_csum:
        raw[24] ^= 0xFF
    return bytes(raw)


def ipip_with_options():
    return b(eth() / IP(src="198.18.0.1", dst="198.18.0.2", proto=4, options=b"\x01" * 4)
             / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=53))


def csum16(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_csum_edge():
    """An IPv4 UDP packet to port 53 whose checksum after xdp_csum's rewrite (daddr 198.18.0.100,
    dport 5353) sums to 0xffff, i.e. computes to 0, which RFC 768 sends as 0xffff."""
    payload = bytearray(b"\x00\x00edge")
    rewritten = IP(src=IP_A, dst="198.18.0.100") / UDP(sport=40000, dport=5353) / Raw(bytes(payload))
    raw = b(rewritten)
    udp = bytearray(raw[20:])
    udp[6:8] = b"\x00\x00"
    pseudo = struct.pack("!4s4sBBH", raw[12:16], raw[16:20], 0, 17, len(udp))
    s = csum16(pseudo + bytes(udp))
    word = (0xFFFF - s) % 0xFFFF
    payload[0:2] = struct.pack("!H", word)
    return ipv4_udp(dport=53, payload=bytes(payload))


def entries():
    parser_mix = [
        ("Ethernet only, unknown EtherType", eth_only()),
        ("ARP request", arp()),
        ("IPv4 UDP", ipv4_udp()),
        ("IPv4 TCP SYN", ipv4_tcp()),
        ("IPv4 ICMP echo", ipv4_icmp()),
        ("IPv4 with options (IHL 7) UDP", ipv4_options_udp()),
        ("IPv4 GRE (unparsed L4)", b(eth() / IP(src=IP_A, dst=IP_B, proto=47) / Raw(b"\x00\x00\x08\x00"))),
        ("IPv6 UDP", ipv6_udp()),
        ("IPv6 TCP SYN", ipv6_tcp()),
        ("IPv6 ICMPv6 echo", ipv6_icmp()),
        ("IPv6 hop-by-hop+routing+fragment+dstopts+UDP", ipv6_ext_chain()),
        ("802.1Q VLAN IPv4 UDP", vlan_udp()),
        ("802.1ad+802.1Q double tag IPv4 TCP", qinq_tcp()),
        ("1500-byte IPv4 UDP frame", frame_1500()),
    ]
    bad_mix = [
        ("runt: 10 bytes", runt()),
        ("truncated VLAN tag", truncated(vlan_udp(), 16)),
        ("truncated IPv4 header (10 of 20 bytes)", truncated(ipv4_udp(), 24)),
        ("truncated IPv4 options (IHL 7, 24 bytes present)", truncated(ipv4_options_udp(), 38)),
        ("IPv4 IHL 4", ipv4_bad_ihl()),
        ("IPv4 EtherType with version 6", ipv4_bad_version()),
        ("truncated IPv6 header", truncated(ipv6_udp(), 40)),
        ("IPv6 EtherType with version 4", ipv6_bad_version()),
        ("IPv6 ext chain truncated inside routing header", truncated(ipv6_ext_chain(), 14 + 40 + 8 + 4)),
        ("truncated TCP header", truncated(ipv4_tcp(), 14 + 20 + 10)),
        ("TCP data offset 4", tcp_bad_doff()),
        ("truncated UDP header", truncated(ipv4_udp(), 14 + 20 + 4)),
        ("UDP length 4", udp_bad_len()),
        ("truncated ICMP header", truncated(ipv4_icmp(), 14 + 20 + 2)),
        ("truncated ICMPv6 header", truncated(ipv6_icmp(), 14 + 40 + 2)),
    ]
    simple = [
        ("IPv4 UDP", ipv4_udp()),
        ("IPv6 TCP SYN", ipv6_tcp()),
        ("ARP request", arp()),
        ("Ethernet only", eth_only()),
        ("1500-byte IPv4 UDP frame", frame_1500()),
    ]
    yield "xdp_pass", simple
    yield "xdp_drop", simple
    yield "xdp_tx", [
        ("runt: 10 bytes", runt()),
        ("runt: 13 bytes", runt(13)),
        ("Ethernet only", eth_only()),
        ("IPv4 UDP", ipv4_udp()),
        ("802.1ad+802.1Q double tag IPv4 TCP", qinq_tcp()),
        ("1500-byte IPv4 UDP frame", frame_1500()),
    ]
    yield "xdp_parser", parser_mix + bad_mix
    yield "xdp_stats", [
        ("IPv4 UDP", ipv4_udp()),
        ("IPv4 TCP SYN", ipv4_tcp()),
        ("IPv6 UDP", ipv6_udp()),
        ("ARP request", arp()),
        ("802.1Q VLAN IPv4 UDP", vlan_udp()),
        ("802.1ad+802.1Q double tag IPv4 TCP", qinq_tcp()),
        ("Ethernet only, unknown EtherType", eth_only()),
        ("runt: 10 bytes", runt()),
        ("1500-byte IPv4 UDP frame", frame_1500()),
        ("IPv4 UDP again", ipv4_udp()),
    ]
    yield "xdp_flow_counter", [
        ("IPv4 UDP flow A", ipv4_udp()),
        ("IPv4 UDP flow A again, longer", ipv4_udp(payload=b"jxdp-second")),
        ("IPv4 UDP flow B (other source port)", ipv4_udp(sport=40002)),
        ("IPv4 TCP flow", ipv4_tcp()),
        ("IPv4 ICMP (no ports)", ipv4_icmp()),
        ("IPv4 non-first fragment (ports not read)", ipv4_fragment()),
        ("IPv4 from blocked source", ipv4_udp(src=IP_BLOCKED)),
        ("IPv4 from blocked source again", ipv4_tcp(src=IP_BLOCKED)),
        ("IPv6 UDP flow", ipv6_udp()),
        ("IPv6 UDP flow again", ipv6_udp()),
        ("IPv6 ext chain UDP flow", ipv6_ext_chain()),
        ("IPv6 from blocked source", ipv6_udp(src=IP6_BLOCKED)),
        ("802.1ad+802.1Q double tag IPv4 TCP (same flow as IPv4 TCP)", qinq_tcp()),
        ("IPv4 TCP FIN: the TCP flow's entry is deleted", ipv4_tcp(flags="FA")),
        ("IPv4 TCP RST for a flow never seen: delete misses", ipv4_tcp(sport=40009, flags="R")),
        ("IPv4 TCP SYN: the TCP flow starts again", ipv4_tcp()),
        ("ARP request (not IP)", arp()),
        ("truncated UDP ports", truncated(ipv4_udp(), 14 + 20 + 2)),
        ("truncated TCP header (ports present)", truncated(ipv4_tcp(), 14 + 20 + 8)),
        ("IPv4 IHL 4", ipv4_bad_ihl()),
        ("1500-byte IPv4 UDP frame (flow A)", frame_1500()),
    ]
    yield "xdp_config", [
        ("IPv4 UDP to port 9 (drop_port)", ipv4_udp(dport=9)),
        ("IPv4 UDP to 53: TX, budget 3 -> 2", ipv4_udp()),
        ("IPv6 TCP SYN to 9 (drop_port)", ipv6_tcp(dport=9)),
        ("IPv6 UDP to 53: TX, budget 2 -> 1", ipv6_udp()),
        ("ARP request: PASS", arp()),
        ("IPv4 ICMP: TX, budget 1 -> 0", ipv4_icmp()),
        ("IPv4 TCP to 80: budget spent, PASS", ipv4_tcp()),
        ("truncated IPv4 header: DROP", truncated(ipv4_udp(), 24)),
        ("truncated UDP ports: DROP", truncated(ipv4_udp(), 14 + 20 + 2)),
        ("802.1Q VLAN IPv4 UDP to 53: PASS", vlan_udp()),
    ]
    yield "xdp_encap", [
        ("IPv4 UDP", ipv4_udp()),
        ("IPv4 TCP SYN", ipv4_tcp()),
        ("1500-byte IPv4 UDP frame", frame_1500()),
        ("IPv6 UDP (not encapsulated)", ipv6_udp()),
        ("ARP request (not encapsulated)", arp()),
        ("truncated IPv4 header", truncated(ipv4_udp(), 24)),
    ]
    yield "xdp_decap", [
        ("IPIP, outer checksum right", ipip()),
        ("IPIP, outer checksum wrong", ipip(bad_csum=True)),
        ("IPIP with outer options (IHL 6, left alone)", ipip_with_options()),
        ("plain IPv4 UDP", ipv4_udp()),
        ("IPv6 UDP", ipv6_udp()),
        ("truncated outer IPv4 header", truncated(ipip(), 30)),
        ("IPIP, outer checksum right, again", ipip(inner_dport=80)),
    ]
    yield "xdp_tail", [
        ("1500-byte frame: trimmed to 256", frame_1500()),
        ("257 bytes: trimmed to 256", pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(), 257)),
        ("256 bytes: unchanged", pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(), 256)),
        ("100 bytes: unchanged", pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(), 100)),
        ("64 bytes: unchanged", pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(), 64)),
        ("63 bytes: grown to 64", pad_to(eth() / IP(src=IP_A, dst=IP_B) / UDP(), 63)),
        ("ARP, 42 bytes: grown to 64", arp()),
        ("Ethernet only, 14 bytes: grown to 64", eth_only()),
    ]
    yield "xdp_meta", [
        ("IPv4 UDP: 8 bytes of metadata", ipv4_udp()),
        ("IPv6 UDP: 4 bytes of metadata", ipv6_udp()),
        ("ARP: 6 bytes asked, refused", arp()),
        ("Ethernet only: 4 bytes of metadata", eth_only()),
        ("1500-byte IPv4 UDP frame: 8 bytes of metadata", frame_1500()),
    ]
    yield "xdp_bytes", [
        ("IPv4 UDP: addresses swapped", ipv4_udp()),
        ("IPv4 with options: addresses swapped", ipv4_options_udp()),
        ("IPv6 UDP: PASS", ipv6_udp()),
        ("ARP: PASS", arp()),
        ("IPv4 EtherType, Ethernet only: load fails", eth_only(0x0800)),
        ("IPv4 cut at 30 bytes: load fails", truncated(ipv4_udp(), 30)),
        ("IPv4 cut at 34 bytes: addresses swapped", truncated(ipv4_udp(), 34)),
    ]
    yield "xdp_csum", [
        ("IPv4 UDP to 53 with checksum", ipv4_udp()),
        ("IPv4 UDP to 53, checksum 0 (none)", ipv4_udp_nocsum()),
        ("IPv4 UDP to 53, rewritten checksum computes to 0", udp_csum_edge()),
        ("IPv4 TCP to 53", ipv4_tcp(dport=53)),
        ("IPv4 with options UDP to 53", ipv4_options_udp()),
        ("802.1ad+802.1Q IPv4 UDP to 53", qinq_udp()),
        ("1500-byte IPv4 UDP frame to 53", frame_1500()),
        ("IPv4 UDP to 80: PASS", ipv4_udp(dport=80)),
        ("IPv4 ICMP: PASS", ipv4_icmp()),
        ("IPv6 UDP to 53: PASS", ipv6_udp()),
        ("IPv4 non-first fragment: PASS", ipv4_fragment()),
        ("truncated UDP header: DROP", truncated(ipv4_udp(), 14 + 20 + 4)),
        ("truncated IPv4 header: DROP", truncated(ipv4_udp(), 24)),
    ]
    yield "xdp_loop", [
        ("IPv4 UDP, 46 bytes of payload", pad_to(ipv4_udp(), 60)),
        ("IPv4 TCP SYN", ipv4_tcp()),
        ("IPv6 UDP", ipv6_udp()),
        ("stop index 3 from byte 0", bytes([3, 1, 2]) + pad_to(ipv4_udp(), 60)[3:]),
        ("stop index 0 from byte 0, array walk stops at key 0", bytes([0, 5, 0]) + ipv4_icmp()[3:]),
        ("64-byte frame: no loop iterations", pad_to(ipv4_udp(), 64)),
        ("IPv4 UDP again: same length", pad_to(ipv4_udp(), 60)),
        ("ARP", arp()),
        ("stop at 20, 63 iterations", bytes([20, 7, 6]) + pad_to(ipv4_udp(), 63)[3:]),
        ("IPv4 UDP, 1500 bytes", frame_1500()),
    ]
    yield "xdp_ringbuf", [
        ("IPv4 UDP: output with BPF_RB_FORCE_WAKEUP (byte 0 = 2), record submitted", pad_to(ipv4_udp(), 60)),
        ("byte 0 = 4: output flags refused (-EINVAL); byte 1 odd: record discarded",
         bytes([4, 1]) + pad_to(ipv4_udp(), 60)[2:]),
        ("byte 0 = 3: both wakeup flags", bytes([3, 0]) + pad_to(ipv4_udp(), 60)[2:]),
        ("IPv6 UDP: the ring is full now", ipv6_udp()),
        ("byte 0 = 1: BPF_RB_NO_WAKEUP, ring full", bytes([1, 0]) + pad_to(ipv4_udp(), 60)[2:]),
        ("ARP", arp()),
    ]
    yield "xdp_firewall", [
        ("IPv4 UDP 198.18.0.10 (allow hole /24): new flow", ipv4_udp()),
        ("IPv4 UDP, same flow again", ipv4_udp()),
        ("IPv4 TCP SYN 198.18.0.10: new flow", ipv4_tcp()),
        ("IPv4 UDP from 198.18.0.66 (/32 deny, rule 2)", ipv4_udp(src=IP_BLOCKED)),
        ("IPv4 UDP from 198.18.1.5 (/24 deny, rule 3)", ipv4_udp(src="198.18.1.5")),
        ("IPv4 UDP from 198.18.7.7 (/16 deny, rule 1)", ipv4_udp(src="198.18.7.7")),
        ("IPv4 UDP from 198.19.0.1 (no match): new flow", ipv4_udp(src="198.19.0.1")),
        ("IPv4 ICMP 198.18.0.10: passed, no flow", ipv4_icmp()),
        ("IPv4 non-first fragment: flow without ports", ipv4_fragment()),
        ("IPv6 UDP: not IPv4", ipv6_udp()),
        ("ARP: not IPv4", arp()),
        ("truncated IPv4 header: malformed", truncated(ipv4_udp(), 24)),
        ("IPv4 UDP cut inside the ports: malformed", truncated(ipv4_udp(), 14 + 20 + 2)),
        ("IPv4 UDP 198.18.0.10 to port 80: new flow", ipv4_udp(dport=80)),
    ]
    def tenant(n, frame):
        return bytes([n]) + frame[1:]
    yield "xdp_mapinmap", [
        ("tenant 2 (tenant_b): IPv4 UDP", pad_to(ipv4_udp(), 60)),
        ("tenant 0 (tenant_a): IPv4 TCP", tenant(0, ipv4_tcp())),
        ("tenant 1: empty slot, DROP", tenant(1, ipv4_udp())),
        ("tenant 0: IPv6 UDP", tenant(0, ipv6_udp())),
        ("tenant 3: empty slot, DROP", tenant(3, arp())),
        ("tenant 2: ARP", arp()),
        ("tenant 0: 1500-byte frame", tenant(4, frame_1500())),
        ("tenant 0: IPv4 TCP to port 443 (by_proto: tcp_ports)", tenant(0, ipv4_tcp(dport=443))),
        ("tenant 0: IPv4 TCP to port 80 again", tenant(0, ipv4_tcp())),
        ("tenant 0: IPv4 ICMP (by_proto has no map for it)", tenant(0, ipv4_icmp())),
        ("tenant 1: IPv4 UDP to port 53, DROP after counting", tenant(1, ipv4_udp())),
        ("tenant 2: IPv4 with options (not counted by port)", tenant(2, ipv4_options_udp())),
    ]
    yield "xdp_redirect", [
        ("UDP to port 52: DEVMAP slot 0 (lo), REDIRECT", ipv4_udp(dport=52)),
        ("UDP to port 54: DEVMAP slot 2, REDIRECT", ipv4_udp(dport=54)),
        ("UDP to port 53: slot 1 empty, fallback 0 = ABORTED", ipv4_udp(dport=53)),
        ("UDP sport 40001 to 53: fallback DROP", ipv4_udp(dport=53, sport=40001)),
        ("UDP sport 40002 to 53: fallback PASS", ipv4_udp(dport=53, sport=40002)),
        ("UDP sport 40003 to 55: fallback TX", ipv4_udp(dport=55, sport=40003)),
        ("UDP sport 40004 to 53: BPF_F_BROADCAST, REDIRECT without the key", ipv4_udp(dport=53, sport=40004)),
        ("TCP sport 40001 to port 80: CPUMAP slot 0 (cpu 0), REDIRECT", ipv4_tcp()),
        ("TCP sport 40002 to port 81: CPUMAP slot 1 empty, fallback PASS", ipv4_tcp(dport=81, sport=40002)),
        ("TCP sport 40001 to port 81: slot 1 empty, fallback DROP", ipv4_tcp(dport=81, sport=40001)),
        ("TCP sport 40004 to port 80: BPF_F_BROADCAST on a CPUMAP, ABORTED", ipv4_tcp(dport=80, sport=40004)),
        ("UDP to port 4096: DEVMAP_HASH key 4096 (lo), REDIRECT", ipv4_udp(dport=4096)),
        ("UDP to port 8192: DEVMAP_HASH key 8192 (lo), REDIRECT", ipv4_udp(dport=8192)),
        ("UDP sport 40002 to port 4097: DEVMAP_HASH key missing, fallback PASS", ipv4_udp(dport=4097, sport=40002)),
        ("UDP sport 40003 to port 5000: DEVMAP_HASH key missing, fallback TX", ipv4_udp(dport=5000, sport=40003)),
        ("UDP sport 40012 to port 5000: BROADCAST | EXCLUDE_INGRESS, REDIRECT", ipv4_udp(dport=5000, sport=40012)),
        ("UDP sport 40008 to port 4096: EXCLUDE_INGRESS without BROADCAST, REDIRECT", ipv4_udp(dport=4096, sport=40008)),
        ("UDP sport 40018 to port 4096: unknown flag bit, ABORTED", ipv4_udp(dport=4096, sport=40018)),
        ("UDP sport 40010 to port 53: DEVMAP EXCLUDE_INGRESS, missing key, fallback PASS", ipv4_udp(dport=53, sport=40010)),
        ("UDP to port 6000: XSKMAP slot 0 empty, fallback ABORTED", ipv4_udp(dport=6000)),
        ("UDP sport 40002 to port 6001: XSKMAP slot 1 empty, fallback PASS", ipv4_udp(dport=6001, sport=40002)),
        ("UDP sport 40003 to port 6003: XSKMAP slot 3 empty, fallback TX", ipv4_udp(dport=6003, sport=40003)),
        ("UDP sport 40006 to port 6001: BPF_F_BROADCAST on an XSKMAP, ABORTED", ipv4_udp(dport=6001, sport=40006)),
        ("UDP sport 40009 to port 6002: BPF_F_EXCLUDE_INGRESS on an XSKMAP, ABORTED", ipv4_udp(dport=6002, sport=40009)),
        ("ICMP id 1: bpf_redirect with flags, ABORTED", ipv4_icmp()),
        ("ICMP id 2: bpf_redirect(1, 0), REDIRECT",
         b(eth() / IP(src=IP_A, dst=IP_B) / ICMP(type=8, id=2, seq=1) / Raw(b"ping"))),
        ("ARP: PASS", arp()),
    ]
    yield "xdp_snprintf", [
        ("IPv4 UDP", ipv4_udp()),
        ("first bytes 01 ff 7f 80", bytes([1, 0xff, 0x7f, 0x80]) + ipv4_udp()[4:]),
        ("first bytes 03 00 0a 00, 1500 bytes", bytes([3, 0, 10, 0]) + frame_1500()[4:]),
        ("ARP", arp()),
    ]
    yield "xdp_checks", [
        ("UDP payload 'jxdp': PASS", ipv4_udp()),
        ("UDP payload 'jxdp-long-word!!'", ipv4_udp(payload=b"jxdp-long-word!!")),
        ("UDP payload 'jxdp-long-word' (NUL after it)", ipv4_udp(payload=b"jxdp-long-word")),
        ("UDP payload 'JXDP': below 'jxdp', DROP", ipv4_udp(payload=b"JXDP")),
        ("UDP payload 0xff bytes: above 'jxdp' unsigned, DROP", ipv4_udp(payload=b"\xff" * 16)),
        ("ARP: no payload bytes at 42, DROP", arp()),
        ("1500-byte frame", frame_1500()),
        ("Ethernet only, 14 bytes", eth_only()),
    ]
    yield "xdp_perf", [
        ("IPv4 UDP", ipv4_udp()),
        ("ARP", arp()),
        ("IPv6 UDP", ipv6_udp()),
    ]


def ipv4_udp_nocsum():
    return b(eth() / IP(src=IP_A, dst=IP_B) / UDP(sport=40000, dport=53, chksum=0) / Raw(b"jxdp"))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        # pcap global header (libpcap format, microsecond timestamps), snaplen 65535.
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, DLT_EN10MB))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", PCAP_EPOCH, i * 1000, len(frame), len(frame)))
            f.write(frame)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, packets in entries():
        write_pcap(os.path.join(outdir, name + ".pcap"), [p for _, p in packets])
        with open(os.path.join(outdir, name + ".txt"), "w") as f:
            for i, (desc, p) in enumerate(packets):
                f.write(f"{i} {len(p)} {desc}\n")


if __name__ == "__main__":
    main()
