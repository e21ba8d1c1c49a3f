// TunnelTable: an immutable snapshot of the GRE tunnels and uplinks, read by
// the workers, published by the control thread (the tunnel manager) exactly
// as TableSet and PortMap are: built aside, published with one release
// store, freed after an RCU grace period. Workers load it once per burst.
//
// Encap: a tunnel's logical OpenFlow port has a kTunnel binding in the
// PortMap; the worker finds the TunnelEntry by OpenFlow port number and
// prepends its EncapTemplate. While the next hop's MAC is unknown the entry
// is unresolved: packets are still encapsulated, then queued on the pending
// ring for the control thread, which sends them when ARP answers.
//
// Decap: a packet from an uplink addressed to the uplink's IPv4 address with
// GRE inside is matched to a tunnel by (remote, local, key): first a tunnel
// with exactly that key (or without a key, for a keyless packet), then a
// tunnel whose key comes from the flow (key=flow accepts any key). The index
// is an open-addressing hash table sized to twice the tunnel count.
//
// Who reads, who writes: control builds and seals, workers only read. The
// rings are owned by the tunnel manager and outlive every snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "tunnel/gre_encap.h"
#include "tunnel/tunnel_config.h"

struct rte_ring;

namespace hashi::tun {

inline constexpr uint32_t kMaxTunnelOfport = 4096;  // = dp::kMaxOfPort
inline constexpr uint16_t kMaxUplinkPorts = 32;     // = dp::kMaxEthPorts
inline constexpr uint16_t kMaxTunnels = 256;
inline constexpr uint16_t kNoTunnel = 0xffff;

struct alignas(64) TunnelEntry {
  EncapTemplate encap;       // hot: read for every packet sent
  uint32_t ofport = 0;
  uint16_t uplink_port = 0;  // DPDK port the tunnel's packets leave by
  uint16_t stats_index = 0;  // the tunnel port's slot in the workers' port counters
  bool resolved = false;     // the template's destination MAC is known
  uint32_t next_hop = 0;     // neighbour to resolve while unresolved
  uint32_t remote_ip = 0;
  uint32_t local_ip = 0;
  KeyMode key_mode = KeyMode::kNone;
  uint32_t key = 0;
};

class TunnelTable {
 public:
  TunnelTable(rte_ring* punt, rte_ring* pending) : punt_(punt), pending_(pending) {
    by_ofport_.fill(kNoTunnel);
    uplink_ip_.fill(0);
  }

  // Building (control thread).
  void AddUplink(uint16_t eth_port, uint32_t ip);
  Status AddTunnel(const TunnelEntry& e);
  // Builds the decap index; call once after the last AddTunnel.
  void Seal();

  // Reading (workers).
  const TunnelEntry* FindByOfport(uint32_t ofport) const {
    if (ofport >= kMaxTunnelOfport || by_ofport_[ofport] == kNoTunnel) return nullptr;
    return &entries_[by_ofport_[ofport]];
  }
  const TunnelEntry* FindForDecap(uint32_t remote, uint32_t local, bool has_key, uint32_t key) const {
    if (entries_.empty()) return nullptr;
    const TunnelEntry* e = Probe(remote, local, has_key ? TagKey(1, key) : TagKey(0, 0));
    if (e == nullptr && has_key && has_flow_key_) e = Probe(remote, local, TagKey(2, 0));
    return e;
  }
  bool IsUplink(uint16_t eth_port) const { return eth_port < kMaxUplinkPorts && uplink_ip_[eth_port] != 0; }
  uint32_t UplinkIp(uint16_t eth_port) const { return uplink_ip_[eth_port]; }
  rte_ring* punt() const { return punt_; }
  rte_ring* pending() const { return pending_; }
  const std::vector<TunnelEntry>& entries() const { return entries_; }

 private:
  // A decap index slot: the lookup key inline, so a probe touches one line.
  struct Slot {
    uint32_t remote;
    uint32_t local;
    uint64_t tag_key;  // tag (0 keyless, 1 fixed key, 2 key=flow) << 32 | key
    uint32_t entry;    // index into entries_, or kNoTunnel
  };
  static uint64_t TagKey(uint32_t tag, uint32_t key) { return static_cast<uint64_t>(tag) << 32 | key; }
  static uint32_t HashOf(uint32_t remote, uint32_t local, uint64_t tag_key) {
#if defined(__SSE4_2__)
    uint64_t h = __builtin_ia32_crc32di(0x9E3779B9u, static_cast<uint64_t>(remote) << 32 | local);
    return static_cast<uint32_t>(__builtin_ia32_crc32di(h, tag_key));
#else
    uint64_t x = (static_cast<uint64_t>(remote) << 32 | local) * 0x9E3779B97F4A7C15ull;
    x ^= tag_key * 0xC2B2AE3D27D4EB4Full;
    return static_cast<uint32_t>(x ^ (x >> 29));
#endif
  }
  static uint64_t TagKeyOf(const TunnelEntry& e) {
    return TagKey(e.key_mode == KeyMode::kNone ? 0 : e.key_mode == KeyMode::kFixed ? 1 : 2,
                  e.key_mode == KeyMode::kFixed ? e.key : 0);
  }
  const TunnelEntry* Probe(uint32_t remote, uint32_t local, uint64_t tag_key) const {
    const uint32_t mask = static_cast<uint32_t>(index_.size() - 1);
    for (uint32_t i = HashOf(remote, local, tag_key) & mask;; i = (i + 1) & mask) {
      const Slot& s = index_[i];
      if (s.entry == kNoTunnel) return nullptr;
      if (s.remote == remote && s.local == local && s.tag_key == tag_key) return &entries_[s.entry];
    }
  }

  rte_ring* punt_;
  rte_ring* pending_;
  std::vector<TunnelEntry> entries_;
  std::vector<Slot> index_;  // power-of-two open-addressing slots
  bool has_flow_key_ = false;
  std::array<uint16_t, kMaxTunnelOfport> by_ofport_;
  std::array<uint32_t, kMaxUplinkPorts> uplink_ip_;
};

// Fills t for a tunnel from local_ip to spec.remote_ip leaving by an uplink
// with MAC src_mac and MTU mtu, towards next-hop MAC dst_mac (0 while
// unresolved).
void BuildEncapTemplate(EncapTemplate* t, const TunnelSpec& spec, uint32_t local_ip, uint64_t src_mac,
                        uint64_t dst_mac, uint16_t mtu);

}  // namespace hashi::tun
