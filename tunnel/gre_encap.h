// GRE encapsulation on the fast path (RFC 2784/2890, Ethernet over GRE).
//
// Each tunnel keeps a precomputed EncapTemplate: the outer Ethernet, IPv4 and
// GRE headers with everything fixed for the tunnel already written (MACs of
// the resolved next hop, addresses, DF, TTL, ToS, GRE flags and a fixed key),
// plus the one's-complement sum of the IPv4 header's constant words. Per
// packet, GreEncap prepends the template into the mbuf's headroom (the inner
// frame is never copied), then writes only what varies: the IPv4 total
// length and ID, inherited ToS/TTL, the key when it comes from the flow, the
// IPv4 checksum (finished incrementally from the template's sum: three
// additions instead of summing the header) and, when the tunnel asks for it,
// the GRE checksum over the whole payload. No route or ARP lookup happens
// here: the control thread rebuilds the template when the neighbour changes.
#pragma once

#include <emmintrin.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "common/compiler.h"
#include "tunnel/gre_header.h"

namespace hashi::tun {

inline constexpr uint8_t kOuterIpOfs = 14;
inline constexpr uint8_t kGreOfs = 34;
inline constexpr uint8_t kMaxEncapLen = 48;

struct EncapTemplate {
  alignas(16) uint8_t bytes[kMaxEncapLen];
  uint8_t len = 0;          // Ethernet + IPv4 + GRE: 38, 42 or 46 bytes
  uint8_t key_ofs = 0;      // where the GRE key goes (0: no key)
  uint8_t csum_ofs = 0;     // where the GRE checksum goes (0: none)
  bool key_from_flow = false;
  bool tos_inherit = false;
  bool ttl_inherit = false;
  uint8_t default_tos = 0;  // used when inheriting from a non-IPv4 frame
  uint8_t default_ttl = 64;
  uint16_t ip_sum = 0;      // folded sum of the constant IPv4 header words
  uint32_t max_inner = 0;   // largest inner frame that fits the uplink MTU
};

enum class EncapResult : uint8_t { kOk, kTooBig, kNoHeadroom };

namespace encap_detail {
HASHI_ALWAYS_INLINE uint16_t Fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
}  // namespace encap_detail

// Prepends t to m. key is used when t.key_from_flow (the packet's tun_id);
// ip_id is the outer IPv4 identification. m must be unshared and direct
// (the caller copies it otherwise).
HASHI_ALWAYS_INLINE EncapResult GreEncap(rte_mbuf* m, const EncapTemplate& t, uint32_t key, uint16_t ip_id) {
  const uint32_t inner = rte_pktmbuf_pkt_len(m);
  if (HASHI_UNLIKELY(inner > t.max_inner)) return EncapResult::kTooBig;
  uint8_t* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, t.len));
  if (HASHI_UNLIKELY(h == nullptr)) return EncapResult::kNoHeadroom;
  // Copy len (38..48) bytes as three 16-byte moves; the last overlaps.
  const __m128i* src = reinterpret_cast<const __m128i*>(t.bytes);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_load_si128(src));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 16), _mm_load_si128(src + 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + t.len - 16),
                   _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.bytes + t.len - 16)));
  uint8_t* ip = h + kOuterIpOfs;
  const uint16_t total = static_cast<uint16_t>(inner + t.len - kOuterIpOfs);
  uint32_t sum = t.ip_sum + total + ip_id;
  if (HASHI_UNLIKELY(t.tos_inherit || t.ttl_inherit)) {
    const uint8_t* in = h + t.len;
    const bool v4 = in[12] == 0x08 && in[13] == 0x00 && rte_pktmbuf_data_len(m) >= t.len + 34u;
    if (t.tos_inherit) {
      ip[1] = v4 ? in[15] : t.default_tos;
      sum += ip[1];
    }
    if (t.ttl_inherit) {
      ip[8] = v4 ? in[22] : t.default_ttl;
      sum += static_cast<uint32_t>(ip[8]) << 8;
    }
  }
  StoreBe16(ip + 2, total);
  StoreBe16(ip + 4, ip_id);
  StoreBe16(ip + 10, static_cast<uint16_t>(~encap_detail::Fold(sum)));
  if (t.key_from_flow) StoreBe32(h + t.key_ofs, key);
  if (HASHI_UNLIKELY(t.csum_ofs != 0)) {
    uint16_t gre_sum = 0;
    rte_raw_cksum_mbuf(m, kGreOfs, rte_pktmbuf_pkt_len(m) - kGreOfs, &gre_sum);
    const uint16_t field = static_cast<uint16_t>(~gre_sum);  // DPDK sums in memory order: store as is
    __builtin_memcpy(h + t.csum_ofs, &field, 2);
  }
  return EncapResult::kOk;
}

}  // namespace hashi::tun
