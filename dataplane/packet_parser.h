// Packet parsing into a FlowKey, for the fast path.
//
// ParsePacket reads at most len bytes from data and fills key and layout:
// Ethernet, up to four 802.1Q/802.1ad tags (the outermost becomes vlan_tci,
// as OpenFlow 1.3 matches only the outer tag), ARP, IPv4 (options skipped,
// fragments marked in ip_frag), IPv6 (hop-by-hop, routing, destination
// options, fragment and AH headers walked), TCP, UDP, SCTP, ICMP, ICMPv6
// (type/code in tp_src/tp_dst, as OVS does) and the GRE header of an outer
// packet (validated; decap is the tunnel layer's job). A packet whose headers
// are truncated or inconsistent returns the DropReason to count and is never
// read beyond len; a successful parse returns DropReason::kCount.
// Everything here is inline: it runs once per packet.
#pragma once

#include <cstdint>

#include "common/compiler.h"
#include "dataplane/drop_reason.h"
#include "dataplane/flow_key.h"
#include "tunnel/gre_header.h"

namespace hashi::dp {

// Where the headers of a parsed packet start (offsets from the frame start);
// 0 means absent. Actions use this to rewrite fields without reparsing.
struct PacketLayout {
  uint16_t l3_ofs;
  uint16_t l4_ofs;
  uint16_t l3_end;  // end of the L3 datagram (excludes Ethernet padding)
  uint8_t vlan_tags;
  uint8_t l4_proto;
};

inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthTypeVlan = 0x8100;
inline constexpr uint16_t kEthTypeQinQ = 0x88a8;
inline constexpr uint16_t kEthTypeNone = 0x05ff;  // 802.3 frame without Ethernet II type
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoSctp = 132;

namespace parse_detail {

using tun::LoadMac;
HASHI_ALWAYS_INLINE uint64_t LoadBe64(const uint8_t* p) {
  return static_cast<uint64_t>(tun::LoadBe32(p)) << 32 | tun::LoadBe32(p + 4);
}

// Parses the L4 header at p with avail bytes of datagram left.
HASHI_ALWAYS_INLINE DropReason ParseL4(const uint8_t* p, uint32_t avail, uint8_t proto,
                                       FlowKey* key) {
  switch (proto) {
    case kIpProtoTcp:
      if (avail < 20) return DropReason::kL4Truncated;
      key->Set(Field::kTpSrc, tun::LoadBe16(p));
      key->Set(Field::kTpDst, tun::LoadBe16(p + 2));
      key->Set(Field::kTcpFlags, tun::LoadBe16(p + 12) & 0x0fff);
      return DropReason::kCount;
    case kIpProtoUdp:
      if (avail < 8) return DropReason::kL4Truncated;
      [[fallthrough]];
    case kIpProtoSctp:
      if (avail < 8) return DropReason::kL4Truncated;
      key->Set(Field::kTpSrc, tun::LoadBe16(p));
      key->Set(Field::kTpDst, tun::LoadBe16(p + 2));
      return DropReason::kCount;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
      if (avail < 4) return DropReason::kL4Truncated;
      key->Set(Field::kTpSrc, p[0]);
      key->Set(Field::kTpDst, p[1]);
      return DropReason::kCount;
    case tun::kIpProtoGre: {
      tun::GreInfo gre;
      if (tun::ParseGre(p, avail, &gre) != tun::GreParseError::kOk) return DropReason::kGreMalformed;
      return DropReason::kCount;
    }
    default:
      return DropReason::kCount;
  }
}

HASHI_ALWAYS_INLINE DropReason ParseIpv4(const uint8_t* p, uint32_t avail, uint16_t ofs,
                                         FlowKey* key, PacketLayout* layout) {
  if (avail < 20) return DropReason::kIpv4Truncated;
  const uint8_t ver_ihl = p[0];
  const uint32_t ihl = (ver_ihl & 0x0f) * 4u;
  if ((ver_ihl >> 4) != 4 || ihl < 20) return DropReason::kIpv4BadHeader;
  const uint32_t total = tun::LoadBe16(p + 2);
  if (ihl > avail || total > avail) return DropReason::kIpv4Truncated;
  if (total < ihl) return DropReason::kIpv4BadHeader;
  const uint16_t frag = tun::LoadBe16(p + 6);
  const uint8_t proto = p[9];
  key->Set(Field::kIpTos, p[1]);
  key->Set(Field::kIpTtl, p[8]);
  key->Set(Field::kIpProto, proto);
  key->w[5] = static_cast<uint64_t>(tun::LoadBe32(p + 16)) << 32 | tun::LoadBe32(p + 12);
  layout->l3_end = static_cast<uint16_t>(ofs + total);
  layout->l4_proto = proto;
  if (frag & 0x3fff) {  // MF set or offset non-zero
    const bool later = (frag & 0x1fff) != 0;
    key->Set(Field::kIpFrag, later ? (kFragAny | kFragLater) : kFragAny);
    if (later) return DropReason::kCount;
  }
  layout->l4_ofs = static_cast<uint16_t>(ofs + ihl);
  return ParseL4(p + ihl, total - ihl, proto, key);
}

HASHI_ALWAYS_INLINE DropReason ParseIpv6(const uint8_t* p, uint32_t avail, uint16_t ofs,
                                         FlowKey* key, PacketLayout* layout) {
  if (avail < 40) return DropReason::kIpv6Truncated;
  const uint32_t vtcfl = tun::LoadBe32(p);
  if ((vtcfl >> 28) != 6) return DropReason::kIpv6BadHeader;
  const uint32_t payload = tun::LoadBe16(p + 4);
  if (40 + payload > avail) return DropReason::kIpv6Truncated;
  key->Set(Field::kIpv6Label, vtcfl & 0xfffff);
  key->Set(Field::kIpTos, (vtcfl >> 20) & 0xff);
  key->Set(Field::kIpTtl, p[7]);
  key->w[7] = LoadBe64(p + 8);
  key->w[8] = LoadBe64(p + 16);
  key->w[9] = LoadBe64(p + 24);
  key->w[10] = LoadBe64(p + 32);
  layout->l3_end = static_cast<uint16_t>(ofs + 40 + payload);
  uint8_t next = p[6];
  uint32_t pos = 40;
  const uint32_t end = 40 + payload;
  for (int hops = 0; hops < 8; ++hops) {
    if (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
      if (pos + 8 > end) return DropReason::kIpv6BadHeader;
      const uint8_t* h = p + pos;
      uint32_t len;
      if (next == 44) {
        const uint16_t off_flags = tun::LoadBe16(h + 2);
        const bool later = (off_flags & 0xfff8) != 0;
        key->Set(Field::kIpFrag, later ? (kFragAny | kFragLater) : kFragAny);
        len = 8;
        if (later) {
          key->Set(Field::kIpProto, h[0]);
          layout->l4_proto = h[0];
          return DropReason::kCount;
        }
      } else {
        len = (next == 51) ? (h[1] + 2u) * 4u : (h[1] + 1u) * 8u;
      }
      if (pos + len > end) return DropReason::kIpv6BadHeader;
      next = h[0];
      pos += len;
      continue;
    }
    break;
  }
  key->Set(Field::kIpProto, next);
  layout->l4_proto = next;
  layout->l4_ofs = static_cast<uint16_t>(ofs + pos);
  return ParseL4(p + pos, end - pos, next, key);
}

}  // namespace parse_detail

HASHI_ALWAYS_INLINE DropReason ParsePacket(const uint8_t* data, uint32_t len, uint32_t in_port,
                                           FlowKey* key, PacketLayout* layout) {
  using namespace parse_detail;
  key->Clear();
  *layout = PacketLayout{};
  key->w[0] = in_port;
  if (HASHI_UNLIKELY(len < 14)) return DropReason::kRunt;
  key->w[1] = LoadMac(data);
  key->w[2] = LoadMac(data + 6);
  uint16_t type = tun::LoadBe16(data + 12);
  uint32_t ofs = 14;
  uint16_t tci = 0;
  while (type == kEthTypeVlan || type == kEthTypeQinQ) {
    if (ofs + 4 > len) return DropReason::kVlanTruncated;
    if (layout->vlan_tags == 0) tci = tun::LoadBe16(data + ofs) | kVlanPresent;
    if (++layout->vlan_tags > 4) return DropReason::kVlanTruncated;
    type = tun::LoadBe16(data + ofs + 2);
    ofs += 4;
  }
  if (type < 0x0600) type = kEthTypeNone;
  key->w[0] |= static_cast<uint64_t>(type) << 32 | static_cast<uint64_t>(tci) << 48;
  layout->l3_ofs = static_cast<uint16_t>(ofs);
  layout->l3_end = static_cast<uint16_t>(len);
  const uint8_t* l3 = data + ofs;
  const uint32_t avail = len - ofs;
  switch (type) {
    case kEthTypeIpv4:
      return ParseIpv4(l3, avail, static_cast<uint16_t>(ofs), key, layout);
    case kEthTypeIpv6:
      return ParseIpv6(l3, avail, static_cast<uint16_t>(ofs), key, layout);
    case kEthTypeArp:
      if (avail < 28) return DropReason::kArpTruncated;
      if (tun::LoadBe16(l3) == 1 && tun::LoadBe16(l3 + 2) == kEthTypeIpv4 && l3[4] == 6 &&
          l3[5] == 4) {
        key->Set(Field::kArpOp, tun::LoadBe16(l3 + 6));
        key->Set(Field::kArpSha, LoadMac(l3 + 8));
        key->Set(Field::kNwSrc, tun::LoadBe32(l3 + 14));
        key->Set(Field::kArpTha, LoadMac(l3 + 18));
        key->Set(Field::kNwDst, tun::LoadBe32(l3 + 24));
      }
      return DropReason::kCount;
    default:
      layout->l3_ofs = 0;
      return DropReason::kCount;
  }
}

}  // namespace hashi::dp
