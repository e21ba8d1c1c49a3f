// ARP and ICMP echo frames for the underlay address (control thread).
#include "tunnel/underlay_frames.h"

#include <cstring>

#include "tunnel/gre_header.h"

namespace hashi::tun {
namespace {

size_t BuildArp(uint8_t* out, uint16_t op, uint64_t eth_dst, uint64_t sha, uint32_t spa, uint64_t tha,
                uint32_t tpa) {
  StoreMac(out, eth_dst);
  StoreMac(out + 6, sha);
  StoreBe16(out + 12, 0x0806);
  StoreBe16(out + 14, 1);       // Ethernet
  StoreBe16(out + 16, 0x0800);  // IPv4
  out[18] = 6;
  out[19] = 4;
  StoreBe16(out + 20, op);
  StoreMac(out + 22, sha);
  StoreBe32(out + 28, spa);
  StoreMac(out + 32, tha);
  StoreBe32(out + 38, tpa);
  return kArpFrameLen;
}

}  // namespace

uint16_t OnesSum(const uint8_t* p, size_t len, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < len) sum += static_cast<uint32_t>(p[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

bool ParseArp(const uint8_t* f, size_t len, ArpInfo* out) {
  if (len < kArpFrameLen || LoadBe16(f + 12) != 0x0806) return false;
  if (LoadBe16(f + 14) != 1 || LoadBe16(f + 16) != 0x0800 || f[18] != 6 || f[19] != 4) return false;
  out->op = LoadBe16(f + 20);
  out->sha = LoadMac(f + 22);
  out->spa = LoadBe32(f + 28);
  out->tha = LoadMac(f + 32);
  out->tpa = LoadBe32(f + 38);
  return out->op == 1 || out->op == 2;
}

size_t BuildArpRequest(uint8_t* out, uint64_t my_mac, uint32_t my_ip, uint32_t target_ip) {
  return BuildArp(out, 1, 0xffffffffffffull, my_mac, my_ip, 0, target_ip);
}

size_t BuildArpReply(uint8_t* out, uint64_t my_mac, uint32_t my_ip, uint64_t dst_mac, uint32_t dst_ip) {
  return BuildArp(out, 2, dst_mac, my_mac, my_ip, dst_mac, dst_ip);
}

bool MakeEchoReply(uint8_t* f, size_t len, uint64_t my_mac, uint32_t my_ip) {
  if (len < 14 + 20 + 8 || LoadBe16(f + 12) != 0x0800) return false;
  uint8_t* ip = f + 14;
  const size_t ihl = (ip[0] & 15u) * 4u;
  const size_t total = LoadBe16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl + 8 || 14 + total > len) return false;
  if (ip[9] != 1 || (LoadBe16(ip + 6) & 0x3fff) != 0) return false;  // ICMP, not a fragment
  if (LoadBe32(ip + 16) != my_ip || LoadMac(f) != my_mac) return false;
  if (OnesSum(ip, ihl) != 0xffff) return false;
  uint8_t* icmp = ip + ihl;
  const size_t icmp_len = total - ihl;
  if (icmp[0] != 8 || icmp[1] != 0 || OnesSum(icmp, icmp_len) != 0xffff) return false;
  const uint32_t src = LoadBe32(ip + 12);
  if (src == 0 || src == ~0u || (src >> 28) == 14 || (f[6] & 1)) return false;
  uint8_t mac[6];
  std::memcpy(mac, f + 6, 6);
  std::memcpy(f + 6, f, 6);
  std::memcpy(f, mac, 6);
  StoreBe32(ip + 12, my_ip);
  StoreBe32(ip + 16, src);
  ip[8] = 64;
  StoreBe16(ip + 10, 0);
  StoreBe16(ip + 10, static_cast<uint16_t>(~OnesSum(ip, ihl)));
  icmp[0] = 0;
  StoreBe16(icmp + 2, 0);
  StoreBe16(icmp + 2, static_cast<uint16_t>(~OnesSum(icmp, icmp_len)));
  return true;
}

}  // namespace hashi::tun
