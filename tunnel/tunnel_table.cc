// TunnelTable construction and encap templates (control thread).
#include "tunnel/tunnel_table.h"

#include <cstring>

#include "tunnel/underlay_frames.h"

namespace hashi::tun {

void TunnelTable::AddUplink(uint16_t eth_port, uint32_t ip) {
  if (eth_port < kMaxUplinkPorts) uplink_ip_[eth_port] = ip;
}

Status TunnelTable::AddTunnel(const TunnelEntry& e) {
  if (e.ofport == 0 || e.ofport >= kMaxTunnelOfport) return Status::Error("tunnel port number out of range");
  if (by_ofport_[e.ofport] != kNoTunnel) return Status::Error("OpenFlow port " + std::to_string(e.ofport) + " has a tunnel already");
  if (entries_.size() >= kMaxTunnels) return Status::Error("at most " + std::to_string(kMaxTunnels) + " tunnels");
  for (const TunnelEntry& o : entries_) {
    if (o.remote_ip == e.remote_ip && o.local_ip == e.local_ip && TagKeyOf(o) == TagKeyOf(e)) {
      return Status::Error("a tunnel with remote_ip " + FormatIpv4(e.remote_ip) + ", local_ip " +
                           FormatIpv4(e.local_ip) + " and the same key exists (OpenFlow port " +
                           std::to_string(o.ofport) + ")");
    }
  }
  by_ofport_[e.ofport] = static_cast<uint16_t>(entries_.size());
  entries_.push_back(e);
  return Status::Ok();
}

void TunnelTable::Seal() {
  size_t size = 16;
  while (size < entries_.size() * 2) size *= 2;
  index_.assign(size, Slot{0, 0, 0, kNoTunnel});
  const uint32_t mask = static_cast<uint32_t>(size - 1);
  for (uint32_t s = 0; s < entries_.size(); ++s) {
    const TunnelEntry& e = entries_[s];
    const uint64_t tag_key = TagKeyOf(e);
    if (tag_key >> 32 == 2) has_flow_key_ = true;
    uint32_t i = HashOf(e.remote_ip, e.local_ip, tag_key) & mask;
    while (index_[i].entry != kNoTunnel) i = (i + 1) & mask;
    index_[i] = Slot{e.remote_ip, e.local_ip, tag_key, s};
  }
}

void BuildEncapTemplate(EncapTemplate* t, const TunnelSpec& spec, uint32_t local_ip, uint64_t src_mac,
                        uint64_t dst_mac, uint16_t mtu) {
  *t = EncapTemplate{};
  uint8_t* b = t->bytes;
  std::memset(b, 0, sizeof t->bytes);
  StoreMac(b, dst_mac);
  StoreMac(b + 6, src_mac);
  StoreBe16(b + 12, 0x0800);
  uint8_t* ip = b + kOuterIpOfs;
  ip[0] = 0x45;
  ip[1] = spec.tos_inherit ? 0 : spec.tos;
  ip[6] = 0x40;  // DF: never fragment the underlay
  ip[8] = spec.ttl_inherit ? 0 : spec.ttl;
  ip[9] = kIpProtoGre;
  StoreBe32(ip + 12, local_ip);
  StoreBe32(ip + 16, spec.remote_ip);
  t->ip_sum = OnesSum(ip, 20);
  uint8_t* gre = b + kGreOfs;
  uint16_t flags = 0;
  size_t len = 4;
  if (spec.csum) {
    flags |= kGreChecksumPresent;
    t->csum_ofs = static_cast<uint8_t>(kGreOfs + len);
    len += 4;
  }
  if (spec.key_mode != KeyMode::kNone) {
    flags |= kGreKeyPresent;
    t->key_ofs = static_cast<uint8_t>(kGreOfs + len);
    const uint32_t k = spec.key_mode == KeyMode::kFixed ? spec.key : 0;
    StoreBe32(gre + len, k);
    len += 4;
  }
  StoreBe16(gre, flags);
  StoreBe16(gre + 2, kGreProtoTransparentEthernet);
  t->len = static_cast<uint8_t>(kGreOfs + len);
  t->key_from_flow = spec.key_mode == KeyMode::kFlow;
  t->tos_inherit = spec.tos_inherit;
  t->ttl_inherit = spec.ttl_inherit;
  t->default_tos = spec.tos;
  t->default_ttl = spec.ttl;
  const uint32_t overhead = t->len - kOuterIpOfs;  // outer IPv4 + GRE
  t->max_inner = mtu > overhead ? mtu - overhead : 0;
}

}  // namespace hashi::tun
