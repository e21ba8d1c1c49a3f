// GRE wire format (RFC 2784 base header, RFC 2890 key and sequence number)
// and the validation used wherever a GRE header is read. The encap/decap
// fast path (issue: GRE tunnels) builds on these definitions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/compiler.h"

namespace hashi::tun {

inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint16_t kGreProtoTransparentEthernet = 0x6558;

// Flag bits in the first 16-bit word (host order after ntohs).
inline constexpr uint16_t kGreChecksumPresent = 0x8000;
inline constexpr uint16_t kGreRoutingPresent = 0x4000;
inline constexpr uint16_t kGreKeyPresent = 0x2000;
inline constexpr uint16_t kGreSequencePresent = 0x1000;
inline constexpr uint16_t kGreReservedMask = 0x0ff8;  // reserved0 minus the C,R,K,S bits
inline constexpr uint16_t kGreVersionMask = 0x0007;

struct GreBaseHeader {
  uint16_t flags_version;  // network order
  uint16_t protocol;       // network order
} __attribute__((packed));

enum class GreParseError : uint8_t { kOk, kTruncated, kBadVersion, kRoutingPresent, kReservedSet };

struct GreInfo {
  uint16_t flags = 0;     // host order, the C/K/S bits
  uint16_t protocol = 0;  // host order
  uint32_t key = 0;       // host order; valid if flags & kGreKeyPresent
  uint32_t sequence = 0;  // host order; valid if flags & kGreSequencePresent
  uint8_t header_len = 0;
};

// Big-endian loads and stores, and 48-bit MACs packed in a uint64_t: the
// byte helpers every header reader and writer in hashi uses.
HASHI_ALWAYS_INLINE uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
HASHI_ALWAYS_INLINE uint32_t LoadBe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
HASHI_ALWAYS_INLINE void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
HASHI_ALWAYS_INLINE void StoreBe32(uint8_t* p, uint32_t v) {
  StoreBe16(p, static_cast<uint16_t>(v >> 16));
  StoreBe16(p + 2, static_cast<uint16_t>(v));
}
HASHI_ALWAYS_INLINE uint64_t LoadMac(const uint8_t* p) {
  return static_cast<uint64_t>(p[0]) << 40 | static_cast<uint64_t>(p[1]) << 32 |
         static_cast<uint64_t>(p[2]) << 24 | static_cast<uint64_t>(p[3]) << 16 |
         static_cast<uint64_t>(p[4]) << 8 | p[5];
}
HASHI_ALWAYS_INLINE void StoreMac(uint8_t* p, uint64_t mac) {
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(mac >> (40 - 8 * i));
}

// Reads and validates a GRE header of at most len bytes. Version must be 0,
// the routing bit clear (RFC 2784 deprecates it) and reserved bits zero.
inline GreParseError ParseGre(const uint8_t* p, size_t len, GreInfo* out) {
  if (len < sizeof(GreBaseHeader)) return GreParseError::kTruncated;
  const uint16_t fv = LoadBe16(p);
  if ((fv & kGreVersionMask) != 0) return GreParseError::kBadVersion;
  if (fv & kGreRoutingPresent) return GreParseError::kRoutingPresent;
  if (fv & kGreReservedMask) return GreParseError::kReservedSet;
  size_t need = 4;
  if (fv & kGreChecksumPresent) need += 4;
  const size_t key_off = need;
  if (fv & kGreKeyPresent) need += 4;
  const size_t seq_off = need;
  if (fv & kGreSequencePresent) need += 4;
  if (len < need) return GreParseError::kTruncated;
  out->flags = fv & (kGreChecksumPresent | kGreKeyPresent | kGreSequencePresent);
  out->protocol = LoadBe16(p + 2);
  out->key = (fv & kGreKeyPresent) ? LoadBe32(p + key_off) : 0;
  out->sequence = (fv & kGreSequencePresent) ? LoadBe32(p + seq_off) : 0;
  out->header_len = static_cast<uint8_t>(need);
  return GreParseError::kOk;
}

}  // namespace hashi::tun
