// The underlay side of the fast path: what arrives on an uplink. Every frame
// is classified without leaving the worker: GRE for this host (validated and
// ready to strip), ARP or ICMP for hashi's underlay address (punted to the
// control thread through a bounded ring), or a drop with its reason.
//
// GRE validation follows RFC 2784/2890: version 0, routing bit clear,
// reserved bits zero, the header inside the datagram, protocol 0x6558
// (transparent Ethernet bridging), no sequence numbers (hashi does not
// reorder, so it rejects them and counts), and the checksum, when present,
// verified over the GRE header and payload. The outer IPv4 header must be
// well formed, addressed to the uplink and not a fragment (no reassembly on
// the fast path).
#pragma once

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "common/compiler.h"
#include "tunnel/gre_header.h"

namespace hashi::tun {

enum class UnderlayVerdict : uint8_t {
  kGre,            // decapsulate (GreOuter filled)
  kPunt,           // ARP, or ICMP to our address: the control thread answers
  kNotForUs,       // neither GRE nor ARP/ICMP for this host
  kRunt,           // shorter than an Ethernet header
  kBadIp,          // IPv4 header truncated, malformed or with a bad checksum
  kFragment,       // outer IPv4 fragment
  kGreMalformed,   // GRE header invalid or truncated, or inner frame too short
  kGreProtocol,    // GRE payload other than Ethernet
  kGreSequence,    // GRE sequence numbers present
  kGreChecksum,    // GRE checksum wrong
};

struct GreOuter {
  uint32_t src = 0;         // outer IPv4 source (the remote endpoint)
  uint32_t dst = 0;         // outer IPv4 destination (a local address)
  uint32_t key = 0;
  bool has_key = false;
  uint16_t outer_len = 0;   // bytes to strip: Ethernet + IPv4 + GRE
  uint32_t frame_len = 0;   // 14 + IPv4 total length (drops Ethernet padding)
};

// True when the IPv4 header at ip (ihl bytes) sums to 0xffff. The usual
// 20-byte header is summed as five 32-bit words.
HASHI_ALWAYS_INLINE bool Ipv4HeaderSumOk(const uint8_t* ip, uint32_t ihl) {
  if (HASHI_UNLIKELY(ihl != 20)) return rte_raw_cksum(ip, ihl) == 0xffff;
  uint32_t w[5];
  __builtin_memcpy(w, ip, 20);
  uint64_t sum = uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

HASHI_ALWAYS_INLINE UnderlayVerdict ClassifyUnderlay(const rte_mbuf* m, uint32_t local_ip, GreOuter* o) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = rte_pktmbuf_data_len(m);
  if (HASHI_UNLIKELY(len < 14)) return UnderlayVerdict::kRunt;
  const uint16_t type = LoadBe16(p + 12);
  if (type == 0x0806) return UnderlayVerdict::kPunt;
  if (HASHI_UNLIKELY(type != 0x0800)) return UnderlayVerdict::kNotForUs;
  if (HASHI_UNLIKELY(len < 34)) return UnderlayVerdict::kBadIp;
  const uint8_t* ip = p + 14;
  const uint32_t ihl = (ip[0] & 15u) * 4u;
  const uint32_t total = LoadBe16(ip + 2);
  if (HASHI_UNLIKELY((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + ihl > len ||
                     14 + total > rte_pktmbuf_pkt_len(m))) {
    return UnderlayVerdict::kBadIp;
  }
  o->dst = LoadBe32(ip + 16);
  if (o->dst != local_ip) return UnderlayVerdict::kNotForUs;
  if (!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && HASHI_UNLIKELY(!Ipv4HeaderSumOk(ip, ihl))) {
    return UnderlayVerdict::kBadIp;
  }
  if (HASHI_UNLIKELY(LoadBe16(ip + 6) & 0x3fff)) return UnderlayVerdict::kFragment;
  if (ip[9] == 1) return UnderlayVerdict::kPunt;
  if (HASHI_UNLIKELY(ip[9] != kIpProtoGre)) return UnderlayVerdict::kNotForUs;
  o->src = LoadBe32(ip + 12);
  GreInfo g;
  const uint32_t in_seg = len - 14 - ihl, in_dgram = total - ihl;
  if (HASHI_UNLIKELY(ParseGre(ip + ihl, in_seg < in_dgram ? in_seg : in_dgram, &g) != GreParseError::kOk)) {
    return UnderlayVerdict::kGreMalformed;
  }
  if (HASHI_UNLIKELY(g.protocol != kGreProtoTransparentEthernet)) return UnderlayVerdict::kGreProtocol;
  if (HASHI_UNLIKELY(g.flags & kGreSequencePresent)) return UnderlayVerdict::kGreSequence;
  if (HASHI_UNLIKELY(in_dgram < g.header_len + 14u)) return UnderlayVerdict::kGreMalformed;
  if (HASHI_UNLIKELY(g.flags & kGreChecksumPresent)) {
    uint16_t sum = 0;
    if (rte_raw_cksum_mbuf(m, 14 + ihl, in_dgram, &sum) != 0 || sum != 0xffff) {
      return UnderlayVerdict::kGreChecksum;
    }
  }
  o->has_key = (g.flags & kGreKeyPresent) != 0;
  o->key = g.key;
  o->outer_len = static_cast<uint16_t>(14 + ihl + g.header_len);
  o->frame_len = 14 + total;
  return UnderlayVerdict::kGre;
}

}  // namespace hashi::tun
