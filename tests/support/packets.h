// Test frames built byte by byte (Ethernet, VLAN, IPv4/IPv6, TCP/UDP/ICMP,
// ARP, GRE) with correct checksums, and checksum verifiers, shared by the
// unit tests. Independent of the parser under test.
#pragma once

#include <cstdint>
#include <vector>

namespace hashi::test {

using Bytes = std::vector<uint8_t>;

inline void Put16(Bytes& b, uint16_t v) { b.push_back(v >> 8); b.push_back(v & 0xff); }
inline void Put32(Bytes& b, uint32_t v) { Put16(b, v >> 16); Put16(b, v & 0xffff); }
inline void PutMac(Bytes& b, uint64_t m) { for (int i = 5; i >= 0; --i) b.push_back((m >> (8 * i)) & 0xff); }
inline uint16_t Get16(const Bytes& b, size_t o) { return static_cast<uint16_t>(b[o] << 8 | b[o + 1]); }

inline uint32_t SumWords(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
inline uint16_t Fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

struct L2 {
  uint64_t dst = 0x020000000002;
  uint64_t src = 0x020000000001;
  std::vector<uint16_t> vlan_tcis;  // outermost first, TPID 0x8100
};

inline Bytes Ethernet(const L2& l2, uint16_t type, const Bytes& payload) {
  Bytes b;
  PutMac(b, l2.dst);
  PutMac(b, l2.src);
  for (uint16_t tci : l2.vlan_tcis) { Put16(b, 0x8100); Put16(b, tci); }
  Put16(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  while (b.size() < 60) b.push_back(0);  // Ethernet minimum, as a NIC pads
  return b;
}

// L4 segment with checksum over an IPv4 pseudo header.
inline Bytes L4Segment(uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                       uint16_t payload_len, uint8_t tcp_flags = 0x02) {
  Bytes s;
  if (proto == 6) {
    Put16(s, sport); Put16(s, dport); Put32(s, 1000); Put32(s, 0);
    s.push_back(0x50); s.push_back(tcp_flags); Put16(s, 65535); Put16(s, 0); Put16(s, 0);
  } else if (proto == 17) {
    Put16(s, sport); Put16(s, dport); Put16(s, static_cast<uint16_t>(8 + payload_len)); Put16(s, 0);
  } else if (proto == 1) {
    s.push_back(static_cast<uint8_t>(sport)); s.push_back(static_cast<uint8_t>(dport));
    Put16(s, 0); Put32(s, 0x00010001);
  }
  for (uint16_t i = 0; i < payload_len; ++i) s.push_back(static_cast<uint8_t>(i * 7));
  uint16_t csum;
  if (proto == 1) {
    csum = Fold(SumWords(s.data(), s.size()));
    s[2] = csum >> 8; s[3] = csum & 0xff;
  } else {
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + s.size();
    csum = Fold(SumWords(s.data(), s.size(), sum));
    if (proto == 17 && csum == 0) csum = 0xffff;
    const size_t o = proto == 6 ? 16 : 6;
    s[o] = csum >> 8; s[o + 1] = csum & 0xff;
  }
  return s;
}

inline Bytes Ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4, uint8_t ttl = 64,
                  uint8_t tos = 0, uint16_t frag = 0) {
  Bytes h;
  h.push_back(0x45); h.push_back(tos); Put16(h, static_cast<uint16_t>(20 + l4.size()));
  Put16(h, 0x1234); Put16(h, frag); h.push_back(ttl); h.push_back(proto); Put16(h, 0);
  Put32(h, src); Put32(h, dst);
  const uint16_t c = Fold(SumWords(h.data(), 20));
  h[10] = c >> 8; h[11] = c & 0xff;
  h.insert(h.end(), l4.begin(), l4.end());
  return h;
}

inline Bytes Udp4Frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, L2 l2 = {},
                       uint16_t payload = 18) {
  return Ethernet(l2, 0x0800, Ipv4(src, dst, 17, L4Segment(17, src, dst, sport, dport, payload)));
}
inline Bytes Tcp4Frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, L2 l2 = {},
                       uint8_t flags = 0x02) {
  return Ethernet(l2, 0x0800, Ipv4(src, dst, 6, L4Segment(6, src, dst, sport, dport, 10, flags)));
}

inline Bytes ArpFrame(uint16_t op, uint64_t sha, uint32_t spa, uint64_t tha, uint32_t tpa, L2 l2 = {}) {
  Bytes a;
  Put16(a, 1); Put16(a, 0x0800); a.push_back(6); a.push_back(4); Put16(a, op);
  PutMac(a, sha); Put32(a, spa); PutMac(a, tha); Put32(a, tpa);
  return Ethernet(l2, 0x0806, a);
}

// IPv6 with optional hop-by-hop header, carrying UDP.
inline Bytes Udp6Frame(const uint8_t src[16], const uint8_t dst[16], uint16_t sport, uint16_t dport,
                       bool hop_by_hop = false, L2 l2 = {}) {
  Bytes udp;
  Put16(udp, sport); Put16(udp, dport); Put16(udp, 12); Put16(udp, 0);
  Put32(udp, 0xdeadbeef);
  uint32_t sum = 17 + static_cast<uint32_t>(udp.size());
  sum = SumWords(src, 16, sum);
  sum = SumWords(dst, 16, sum);
  uint16_t c = Fold(SumWords(udp.data(), udp.size(), sum));
  udp[6] = c >> 8; udp[7] = c & 0xff;
  Bytes ext;
  if (hop_by_hop) { ext = {17, 0, 1, 4, 0, 0, 0, 0}; }
  Bytes h;
  Put32(h, 0x60012345);  // version 6, traffic class 0x00, label 0x12345
  Put16(h, static_cast<uint16_t>(ext.size() + udp.size()));
  h.push_back(hop_by_hop ? 0 : 17); h.push_back(64);
  h.insert(h.end(), src, src + 16);
  h.insert(h.end(), dst, dst + 16);
  h.insert(h.end(), ext.begin(), ext.end());
  h.insert(h.end(), udp.begin(), udp.end());
  return Ethernet(l2, 0x86dd, h);
}

inline Bytes GreFrame(uint32_t src, uint32_t dst, uint16_t flags, uint32_t key, const Bytes& inner) {
  Bytes g;
  Put16(g, flags); Put16(g, 0x6558);
  if (flags & 0x8000) Put32(g, 0);
  if (flags & 0x2000) Put32(g, key);
  if (flags & 0x1000) Put32(g, 7);
  g.insert(g.end(), inner.begin(), inner.end());
  return Ethernet(L2{}, 0x0800, Ipv4(src, dst, 47, g));
}

// True if the IPv4 header checksum and the TCP/UDP checksum of an untagged
// or tagged IPv4 frame verify.
inline bool Ipv4ChecksumsOk(const Bytes& f) {
  size_t o = 12;
  while (Get16(f, o) == 0x8100) o += 4;
  o += 2;
  const size_t ihl = (f[o] & 0xf) * 4u;
  if (Fold(SumWords(f.data() + o, ihl)) != 0) return false;
  const uint16_t total = Get16(f, o + 2);
  const uint8_t proto = f[o + 9];
  const size_t l4 = o + ihl, len = total - ihl;
  if (proto != 6 && proto != 17) return true;
  if (proto == 17 && Get16(f, l4 + 6) == 0) return true;
  uint32_t sum = proto + static_cast<uint32_t>(len);
  sum = SumWords(f.data() + o + 12, 8, sum);
  return Fold(SumWords(f.data() + l4, len, sum)) == 0;
}

}  // namespace hashi::test
