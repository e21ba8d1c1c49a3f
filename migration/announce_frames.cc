// Gratuitous ARP and RARP frames.
#include "migration/announce_frames.h"

#include "tunnel/gre_header.h"
#include "tunnel/underlay_frames.h"

namespace hashi::mig {

std::vector<std::vector<uint8_t>> AnnounceFrames(uint64_t mac, const std::vector<uint32_t>& ipv4) {
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t ip : ipv4) {  // who-has IP, tell IP: the sender's own address
    std::vector<uint8_t> f(kAnnounceFrameLen, 0);
    tun::BuildArpRequest(f.data(), mac, ip, ip);
    out.push_back(std::move(f));
  }
  if (ipv4.empty()) {  // RFC 903 "request reverse", sender and target the VM's MAC
    std::vector<uint8_t> f(kAnnounceFrameLen, 0);
    uint8_t* p = f.data();
    tun::StoreMac(p, 0xffffffffffffull);
    tun::StoreMac(p + 6, mac);
    tun::StoreBe16(p + 12, 0x8035);
    tun::StoreBe16(p + 14, 1);       // Ethernet
    tun::StoreBe16(p + 16, 0x0800);  // IPv4
    p[18] = 6;
    p[19] = 4;
    tun::StoreBe16(p + 20, 3);       // request reverse
    tun::StoreMac(p + 22, mac);
    tun::StoreMac(p + 32, mac);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace hashi::mig
