// In-place packet edits used by actions: set-field with incremental checksum
// updates (RFC 1624), push/pop VLAN, decrement TTL. Inline: they run per
// packet. Each edit keeps the FlowKey and PacketLayout in step with the
// bytes, so later tables and actions see the rewritten packet.
#pragma once

#include <rte_mbuf.h>

#include <cstring>

#include "common/compiler.h"
#include "dataplane/flow_key.h"
#include "dataplane/packet_parser.h"

namespace hashi::dp::edit {

HASHI_ALWAYS_INLINE uint16_t Load16(const uint8_t* p) { return tun::LoadBe16(p); }
HASHI_ALWAYS_INLINE void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
HASHI_ALWAYS_INLINE void Store32(uint8_t* p, uint32_t v) {
  Store16(p, static_cast<uint16_t>(v >> 16));
  Store16(p + 2, static_cast<uint16_t>(v));
}
HASHI_ALWAYS_INLINE void StoreMac(uint8_t* p, uint64_t mac) {
  for (int i = 5; i >= 0; --i, mac >>= 8) p[i] = static_cast<uint8_t>(mac);
}

// RFC 1624: HC' = ~(~HC + ~m + m') over 16-bit words.
HASHI_ALWAYS_INLINE uint16_t CsumReplace16(uint16_t csum, uint16_t old_v, uint16_t new_v) {
  uint32_t s = static_cast<uint16_t>(~csum) + static_cast<uint16_t>(~old_v) + new_v;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
HASHI_ALWAYS_INLINE uint16_t CsumReplace32(uint16_t csum, uint32_t old_v, uint32_t new_v) {
  csum = CsumReplace16(csum, static_cast<uint16_t>(old_v >> 16), static_cast<uint16_t>(new_v >> 16));
  return CsumReplace16(csum, static_cast<uint16_t>(old_v), static_cast<uint16_t>(new_v));
}

// Fixes the L4 checksum after a pseudo-header or port word changed.
HASHI_ALWAYS_INLINE void FixL4Csum32(uint8_t* pkt, const PacketLayout& l, uint32_t old_v,
                                     uint32_t new_v) {
  if (l.l4_ofs == 0) return;
  uint8_t* l4 = pkt + l.l4_ofs;
  const uint32_t avail = l.l3_end > l.l4_ofs ? l.l3_end - l.l4_ofs : 0;
  if (l.l4_proto == kIpProtoTcp && avail >= 18) {
    Store16(l4 + 16, CsumReplace32(Load16(l4 + 16), old_v, new_v));
  } else if (l.l4_proto == kIpProtoUdp && avail >= 8 && Load16(l4 + 6) != 0) {
    uint16_t c = CsumReplace32(Load16(l4 + 6), old_v, new_v);
    Store16(l4 + 6, c == 0 ? 0xffff : c);
  } else if (l.l4_proto == kIpProtoIcmpv6 && avail >= 4) {
    Store16(l4 + 2, CsumReplace32(Load16(l4 + 2), old_v, new_v));
  }
}

HASHI_ALWAYS_INLINE void SetIpv4Addr(uint8_t* pkt, const PacketLayout& l, int off, uint32_t v) {
  uint8_t* ip = pkt + l.l3_ofs;
  const uint32_t old_v = tun::LoadBe32(ip + off);
  Store32(ip + off, v);
  Store16(ip + 10, CsumReplace32(Load16(ip + 10), old_v, v));
  FixL4Csum32(pkt, l, old_v, v);
}

HASHI_ALWAYS_INLINE void SetIpv6Half(uint8_t* pkt, const PacketLayout& l, int off, uint64_t v) {
  uint8_t* p = pkt + l.l3_ofs + off;
  const uint64_t old_v = static_cast<uint64_t>(tun::LoadBe32(p)) << 32 | tun::LoadBe32(p + 4);
  Store32(p, static_cast<uint32_t>(v >> 32));
  Store32(p + 4, static_cast<uint32_t>(v));
  FixL4Csum32(pkt, l, static_cast<uint32_t>(old_v >> 32), static_cast<uint32_t>(v >> 32));
  FixL4Csum32(pkt, l, static_cast<uint32_t>(old_v), static_cast<uint32_t>(v));
}

// Writes field f (already merged with its old value) into the packet and key.
// Fields that do not apply to this packet (an IPv4 field on ARP-less L2, a
// port on a non-TCP/UDP packet) only change the key, as OVS does.
HASHI_ALWAYS_INLINE void SetField(uint8_t* pkt, PacketLayout& l, FlowKey& key, Field f, uint64_t v) {
  key.Set(f, v);
  const uint16_t type = static_cast<uint16_t>(key.Get(Field::kEthType));
  const bool ipv4 = type == kEthTypeIpv4 && l.l3_ofs != 0;
  const bool ipv6 = type == kEthTypeIpv6 && l.l3_ofs != 0;
  const bool arp = type == kEthTypeArp && l.l3_ofs != 0 && l.l3_end >= l.l3_ofs + 28;
  switch (f) {
    case Field::kEthDst: StoreMac(pkt, v); break;
    case Field::kEthSrc: StoreMac(pkt + 6, v); break;
    case Field::kVlanTci:
      if (l.vlan_tags) Store16(pkt + 14, static_cast<uint16_t>(v & ~kVlanPresent));
      break;
    case Field::kIpTos:
      if (ipv4) {
        uint8_t* ip = pkt + l.l3_ofs;
        const uint16_t old_w = Load16(ip);
        ip[1] = static_cast<uint8_t>(v);
        Store16(ip + 10, CsumReplace16(Load16(ip + 10), old_w, Load16(ip)));
      } else if (ipv6) {
        uint8_t* ip = pkt + l.l3_ofs;
        const uint32_t w = tun::LoadBe32(ip);
        Store32(ip, (w & 0xf00fffffu) | (static_cast<uint32_t>(v & 0xff) << 20));
      }
      break;
    case Field::kIpTtl:
      if (ipv4) {
        uint8_t* ip = pkt + l.l3_ofs;
        const uint16_t old_w = Load16(ip + 8);
        ip[8] = static_cast<uint8_t>(v);
        Store16(ip + 10, CsumReplace16(Load16(ip + 10), old_w, Load16(ip + 8)));
      } else if (ipv6) {
        pkt[l.l3_ofs + 7] = static_cast<uint8_t>(v);
      }
      break;
    case Field::kNwSrc:
      if (ipv4) SetIpv4Addr(pkt, l, 12, static_cast<uint32_t>(v));
      else if (arp) Store32(pkt + l.l3_ofs + 14, static_cast<uint32_t>(v));
      break;
    case Field::kNwDst:
      if (ipv4) SetIpv4Addr(pkt, l, 16, static_cast<uint32_t>(v));
      else if (arp) Store32(pkt + l.l3_ofs + 24, static_cast<uint32_t>(v));
      break;
    case Field::kTpSrc:
    case Field::kTpDst: {
      if (l.l4_ofs == 0 || l.l3_end < l.l4_ofs + 8) break;
      if (l.l4_proto != kIpProtoTcp && l.l4_proto != kIpProtoUdp) break;
      uint8_t* p = pkt + l.l4_ofs + (f == Field::kTpSrc ? 0 : 2);
      const uint16_t old_v = Load16(p);
      Store16(p, static_cast<uint16_t>(v));
      FixL4Csum32(pkt, l, old_v, static_cast<uint16_t>(v));
      break;
    }
    case Field::kArpOp: if (arp) Store16(pkt + l.l3_ofs + 6, static_cast<uint16_t>(v)); break;
    case Field::kArpSha:
      if (arp) StoreMac(pkt + l.l3_ofs + 8, v);
      else if (ipv6) SetIpv6Half(pkt, l, 8, key.w[7]);
      break;
    case Field::kArpTha:
      if (arp) StoreMac(pkt + l.l3_ofs + 18, v);
      else if (ipv6) SetIpv6Half(pkt, l, 24, key.w[9]);
      break;
    case Field::kIpv6SrcHi: if (ipv6) SetIpv6Half(pkt, l, 8, v); break;
    case Field::kIpv6SrcLo: if (ipv6) SetIpv6Half(pkt, l, 16, v); break;
    case Field::kIpv6DstHi: if (ipv6) SetIpv6Half(pkt, l, 24, v); break;
    case Field::kIpv6DstLo: if (ipv6) SetIpv6Half(pkt, l, 32, v); break;
    case Field::kIpv6Label:
      if (ipv6) {
        uint8_t* ip = pkt + l.l3_ofs;
        Store32(ip, (tun::LoadBe32(ip) & 0xfff00000u) | static_cast<uint32_t>(v & 0xfffff));
      }
      break;
    default: break;  // metadata, tunnel id: key only
  }
}

// Pushes a VLAN tag (OpenFlow 1.3: the new tag copies the outer VID/PCP).
// Returns false when the mbuf has no headroom.
HASHI_ALWAYS_INLINE bool PushVlan(rte_mbuf* m, PacketLayout& l, FlowKey& key, uint16_t tpid) {
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (p == nullptr) return false;
  std::memmove(p, p + 4, 12);
  const uint16_t tci = static_cast<uint16_t>(key.Get(Field::kVlanTci) & ~kVlanPresent);
  Store16(p + 12, tpid);
  Store16(p + 14, tci);
  key.Set(Field::kVlanTci, tci | kVlanPresent);
  l.vlan_tags++;
  if (l.l3_ofs) l.l3_ofs += 4;
  if (l.l4_ofs) l.l4_ofs += 4;
  l.l3_end += 4;
  return true;
}

HASHI_ALWAYS_INLINE void PopVlan(rte_mbuf* m, PacketLayout& l, FlowKey& key) {
  if (l.vlan_tags == 0) return;
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memmove(p + 4, p, 12);
  rte_pktmbuf_adj(m, 4);
  p += 4;
  l.vlan_tags--;
  const uint16_t inner_type = Load16(p + 12);
  const bool inner = l.vlan_tags > 0 && (inner_type == kEthTypeVlan || inner_type == kEthTypeQinQ);
  key.Set(Field::kVlanTci, inner ? (Load16(p + 14) | kVlanPresent) : 0);
  if (l.l3_ofs) l.l3_ofs -= 4;
  if (l.l4_ofs) l.l4_ofs -= 4;
  l.l3_end -= 4;
}

// Decrements the IP TTL / hop limit; returns false if the packet must be
// dropped because its TTL was already 0 or 1. Non-IP packets pass untouched.
HASHI_ALWAYS_INLINE bool DecTtl(uint8_t* pkt, PacketLayout& l, FlowKey& key) {
  const uint16_t type = static_cast<uint16_t>(key.Get(Field::kEthType));
  if ((type != kEthTypeIpv4 && type != kEthTypeIpv6) || l.l3_ofs == 0) return true;
  const uint64_t ttl = key.Get(Field::kIpTtl);
  if (ttl <= 1) return false;
  SetField(pkt, l, key, Field::kIpTtl, ttl - 1);
  return true;
}

}  // namespace hashi::dp::edit
