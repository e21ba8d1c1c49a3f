// FlowKey: the fixed-layout key that the parser fills from a packet and that
// flow tables match against under a mask of the same layout.
//
// The key is 12 64-bit words so that masking and hashing work word by word
// (a subtable only touches the words its mask uses, OVS's miniflow idea in a
// fixed form). Every field has an id, a word, a shift and a width in the
// X-macro below; values are kept in host byte order. Two pairs of fields share
// words because they can never be present together: ARP sender/target
// hardware addresses overlay the high halves of the IPv6 source/destination.
// Rules that match either always also match eth_type (prerequisites enforced
// by the flow parser), so the overlay cannot confuse two rules.
#pragma once

#include <emmintrin.h>

#include <cstdint>
#include <string>

#include "common/compiler.h"

namespace hashi::dp {

// FIELD(Id, name (as ovs-ofctl spells it), word, shift, bits)
#define HASHI_FLOW_FIELDS(FIELD)               \
  FIELD(kInPort, "in_port", 0, 0, 32)          \
  FIELD(kEthType, "dl_type", 0, 32, 16)        \
  FIELD(kVlanTci, "vlan_tci", 0, 48, 16)       \
  FIELD(kEthDst, "dl_dst", 1, 0, 48)           \
  FIELD(kIpProto, "nw_proto", 1, 48, 8)        \
  FIELD(kIpTos, "nw_tos_ecn", 1, 56, 8)        \
  FIELD(kEthSrc, "dl_src", 2, 0, 48)           \
  FIELD(kIpTtl, "nw_ttl", 2, 48, 8)            \
  FIELD(kIpFrag, "ip_frag", 2, 56, 8)          \
  FIELD(kMetadata, "metadata", 3, 0, 64)       \
  FIELD(kTunnelId, "tun_id", 4, 0, 64)         \
  FIELD(kNwSrc, "nw_src", 5, 0, 32)            \
  FIELD(kNwDst, "nw_dst", 5, 32, 32)           \
  FIELD(kTpSrc, "tp_src", 6, 0, 16)            \
  FIELD(kTpDst, "tp_dst", 6, 16, 16)           \
  FIELD(kTcpFlags, "tcp_flags", 6, 32, 16)     \
  FIELD(kArpOp, "arp_op", 6, 48, 16)           \
  FIELD(kIpv6SrcHi, "ipv6_src_hi", 7, 0, 64)   \
  FIELD(kIpv6SrcLo, "ipv6_src_lo", 8, 0, 64)   \
  FIELD(kIpv6DstHi, "ipv6_dst_hi", 9, 0, 64)   \
  FIELD(kIpv6DstLo, "ipv6_dst_lo", 10, 0, 64)  \
  FIELD(kIpv6Label, "ipv6_label", 11, 0, 20)   \
  FIELD(kArpSha, "arp_sha", 7, 0, 48)          \
  FIELD(kArpTha, "arp_tha", 9, 0, 48)

enum class Field : uint8_t {
#define HASHI_FIELD_ENUM(id, name, word, shift, bits) id,
  HASHI_FLOW_FIELDS(HASHI_FIELD_ENUM)
#undef HASHI_FIELD_ENUM
      kCount
};

struct FieldInfo {
  const char* name;
  uint8_t word;
  uint8_t shift;
  uint8_t bits;
};

inline constexpr FieldInfo kFieldInfo[] = {
#define HASHI_FIELD_INFO(id, name, word, shift, bits) {name, word, shift, bits},
    HASHI_FLOW_FIELDS(HASHI_FIELD_INFO)
#undef HASHI_FIELD_INFO
};

inline constexpr const FieldInfo& InfoOf(Field f) { return kFieldInfo[static_cast<int>(f)]; }

// vlan_tci as OpenFlow/OVS define it: PCP in bits 13-15, bit 12 set when a
// tag is present, VID in bits 0-11.
inline constexpr uint16_t kVlanPresent = 0x1000;
inline constexpr uint16_t kVlanVidMask = 0x0fff;

// ip_frag values (OVS nw_frag).
inline constexpr uint8_t kFragAny = 1;    // the packet is a fragment
inline constexpr uint8_t kFragLater = 2;  // not the first fragment

inline constexpr int kFlowKeyWords = 12;

struct alignas(32) FlowKey {
  uint64_t w[kFlowKeyWords];

  // Explicit vector stores: compilers turn a 96-byte memset into `rep stos`,
  // whose start-up cost dominated the per-packet parse.
  HASHI_ALWAYS_INLINE void Clear() {
    const __m128i z = _mm_setzero_si128();
    __m128i* v = reinterpret_cast<__m128i*>(w);
    _mm_store_si128(v + 0, z);
    _mm_store_si128(v + 1, z);
    _mm_store_si128(v + 2, z);
    _mm_store_si128(v + 3, z);
    _mm_store_si128(v + 4, z);
    _mm_store_si128(v + 5, z);
  }

  HASHI_ALWAYS_INLINE uint64_t Get(Field f) const {
    const FieldInfo& i = InfoOf(f);
    const uint64_t m = i.bits == 64 ? ~0ull : ((1ull << i.bits) - 1);
    return (w[i.word] >> i.shift) & m;
  }
  HASHI_ALWAYS_INLINE void Set(Field f, uint64_t v) {
    const FieldInfo& i = InfoOf(f);
    const uint64_t m = i.bits == 64 ? ~0ull : ((1ull << i.bits) - 1);
    w[i.word] = (w[i.word] & ~(m << i.shift)) | ((v & m) << i.shift);
  }
  // Sets the bits of field f selected by mask to value.
  HASHI_ALWAYS_INLINE void SetMasked(Field f, uint64_t v, uint64_t mask) {
    Set(f, (Get(f) & ~mask) | (v & mask));
  }

  HASHI_ALWAYS_INLINE bool operator==(const FlowKey& o) const {
    uint64_t diff = 0;
    for (int i = 0; i < kFlowKeyWords; ++i) diff |= w[i] ^ o.w[i];
    return diff == 0;
  }
};
static_assert(sizeof(FlowKey) == 96);

// Word-wise hash of key under mask; only words in word_bits are touched.
HASHI_ALWAYS_INLINE uint32_t HashWord(uint32_t h, uint64_t v) {
#if defined(__SSE4_2__)
  return static_cast<uint32_t>(__builtin_ia32_crc32di(h, v));
#else
  uint64_t x = (v ^ h) * 0x9E3779B97F4A7C15ull;
  return static_cast<uint32_t>(x ^ (x >> 32));
#endif
}

HASHI_ALWAYS_INLINE uint32_t FinishHash(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h;
}

// Hash of every word of the key, as the exact-match cache uses it.
HASHI_ALWAYS_INLINE uint32_t HashFullKey(const FlowKey& k) {
  uint32_t a = 0x1234567u, b = 0x89abcdefu;
  for (int i = 0; i < kFlowKeyWords; i += 2) {
    a = HashWord(a, k.w[i]);
    b = HashWord(b, k.w[i + 1]);
  }
  return FinishHash(a ^ (b * 31));
}

// Parses an ovs-ofctl field name; returns Field::kCount when unknown.
Field FieldByName(const std::string& name);

// A readable rendering of the non-zero fields of key (for logs and tests).
std::string FormatKey(const FlowKey& key);

}  // namespace hashi::dp
