// Tunnels, uplinks, routes and ARP on the control thread.
#include "control/tunnel_manager.h"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstring>

#include "common/log.h"
#include "tunnel/underlay_frames.h"

namespace hashi::ctl {
namespace {

std::atomic<unsigned> g_ring_id{0};

}  // namespace

TunnelManager::~TunnelManager() { Shutdown(); }

Status TunnelManager::Init() {
  const std::string id = std::to_string(g_ring_id++);
  auto punt = dpdk::Ring::Create("tnl_punt" + id, 512, RING_F_SC_DEQ);
  if (!punt.ok()) return punt.status();
  auto pending = dpdk::Ring::Create("tnl_pend" + id, 1024, RING_F_SC_DEQ);
  if (!pending.ok()) return pending.status();
  punt_.emplace(std::move(punt).value());
  pending_.emplace(std::move(pending).value());
  Republish();
  return Status::Ok();
}

Status TunnelManager::AddUplink(const tun::UplinkSpec& spec) {
  for (const Uplink& u : uplinks_) {
    if (u.spec.address.addr == spec.address.addr) {
      return Status::Error("uplink address " + tun::FormatIpv4(spec.address.addr) + " is used by " + u.spec.name);
    }
  }
  auto dev = ports_.OpenUplink(spec.name, spec.devargs);
  if (!dev.ok()) return dev.status();
  routes_.AddConnected(static_cast<unsigned>(uplinks_.size()), spec.address);
  uplinks_.push_back(Uplink{spec, *dev});
  HASHI_LOG_INFO("tunnel", "uplink %s: %s, mac %s, mtu %u", spec.name.c_str(),
                 tun::FormatIpv4Prefix(spec.address).c_str(), tun::FormatMac(dev->mac).c_str(), dev->mtu);
  Republish();
  return Status::Ok();
}

Status TunnelManager::AddRoute(const tun::RouteSpec& spec) {
  HASHI_RETURN_IF_ERROR(routes_.Add(spec));
  Republish();
  return Status::Ok();
}

Status TunnelManager::DeleteRoute(const tun::Ipv4Prefix& prefix) {
  HASHI_RETURN_IF_ERROR(routes_.Remove(prefix));
  Republish();
  return Status::Ok();
}

int TunnelManager::UplinkForNeighbor(uint32_t ip) const {
  for (size_t i = 0; i < uplinks_.size(); ++i) {
    if (uplinks_[i].spec.address.Contains(ip)) return static_cast<int>(i);
  }
  return -1;
}

int TunnelManager::UplinkByEthPort(uint16_t eth_port) const {
  for (size_t i = 0; i < uplinks_.size(); ++i) {
    if (uplinks_[i].dev.eth_port == eth_port) return static_cast<int>(i);
  }
  return -1;
}

Status TunnelManager::AddNeighbor(const tun::NeighborSpec& spec) {
  const int u = UplinkForNeighbor(spec.ip);
  if (u < 0) return Status::Error("neighbor " + tun::FormatIpv4(spec.ip) + " is not on any uplink's subnet");
  if (neighbors_.SetStatic(spec.ip, spec.mac, static_cast<unsigned>(u))) OnNeighborChanged(spec.ip);
  return Status::Ok();
}

Status TunnelManager::DeleteNeighbor(uint32_t ip) {
  if (!neighbors_.Remove(ip)) return Status::Error("no neighbor " + tun::FormatIpv4(ip));
  Republish();
  return Status::Ok();
}

Status TunnelManager::AddTunnel(const tun::TunnelSpec& spec) {
  if (tunnels_.count(spec.name)) return Status::Error("tunnel '" + spec.name + "' exists");
  if (spec.local_ip != 0) {
    bool ours = false;
    for (const Uplink& u : uplinks_) ours |= u.spec.address.addr == spec.local_ip;
    if (!ours) return Status::Error("local_ip " + tun::FormatIpv4(spec.local_ip) + " is not an uplink address");
  }
  int slot = -1;
  for (int i = 0; i < tun::kMaxTunnels && slot < 0; ++i) {
    if (!(slots_in_use_[i / 64] >> (i % 64) & 1)) slot = i;
  }
  if (slot < 0) return Status::Error("at most " + std::to_string(tun::kMaxTunnels) + " tunnels");
  const uint16_t counter = static_cast<uint16_t>(dp::kMaxEthPorts + slot);
  // The tunnel first, so that the port's binding never names a missing one;
  // the table refuses one whose (remote, local, key) another tunnel has.
  const Tunnel added{spec, static_cast<uint16_t>(slot)};
  Status refused;
  auto table = BuildTable(&added, &refused);
  if (!refused.ok()) return refused;
  tunnels_[spec.name] = added;
  datapath_.PublishTunnels(std::move(table));
  datapath_.ResetPortCounters(counter);
  if (Status s = ports_.AddTunnelPort(spec.name, spec.ofport, counter); !s.ok()) {
    tunnels_.erase(spec.name);
    Republish();
    return s;
  }
  slots_in_use_[slot / 64] |= 1ull << (slot % 64);
  HASHI_LOG_INFO("tunnel", "tunnel %s: OpenFlow %u, %s", spec.name.c_str(), spec.ofport,
                 tun::FormatTunnelOptions(spec).c_str());
  return Status::Ok();
}

Status TunnelManager::DeleteTunnel(const std::string& name) {
  auto it = tunnels_.find(name);
  if (it == tunnels_.end()) return Status::Error("no tunnel named '" + name + "'");
  HASHI_RETURN_IF_ERROR(ports_.DeleteTunnelPort(name));  // unbound, grace period passed
  slots_in_use_[it->second.counter_slot / 64] &= ~(1ull << (it->second.counter_slot % 64));
  tunnels_.erase(it);
  Republish();
  return Status::Ok();
}

TunnelManager::TunnelView TunnelManager::Resolve(const Tunnel& t) const {
  TunnelView v{t.spec, t.spec.local_ip, "", 0, false, 0};
  const auto hop = routes_.Lookup(t.spec.remote_ip);
  if (hop) {
    const Uplink& u = uplinks_[hop->uplink];
    v.uplink = u.spec.name;
    if (v.local_ip == 0) v.local_ip = u.spec.address.addr;
    v.next_hop = hop->ip;
    if (const tun::Neighbor* n = neighbors_.Find(hop->ip); n && n->state != tun::NeighborState::kIncomplete) {
      v.resolved = true;
      v.next_hop_mac = n->mac;
    }
  } else if (v.local_ip == 0 && uplinks_.size() == 1) {
    v.local_ip = uplinks_[0].spec.address.addr;  // decap still works without a route
  }
  return v;
}

void TunnelManager::Republish() { datapath_.PublishTunnels(BuildTable(nullptr, nullptr)); }

std::unique_ptr<tun::TunnelTable> TunnelManager::BuildTable(const Tunnel* extra, Status* refused) const {
  auto table = std::make_unique<tun::TunnelTable>(punt_ring(), pending_ring());
  for (const Uplink& u : uplinks_) table->AddUplink(u.dev.eth_port, u.spec.address.addr);
  std::vector<const Tunnel*> all;
  for (const auto& [name, t] : tunnels_) all.push_back(&t);
  if (extra != nullptr) all.push_back(extra);
  for (const Tunnel* tp : all) {
    const Tunnel& t = *tp;
    const TunnelView v = Resolve(t);
    tun::TunnelEntry e;
    e.ofport = t.spec.ofport;
    e.stats_index = static_cast<uint16_t>(dp::kMaxEthPorts + t.counter_slot);
    e.remote_ip = t.spec.remote_ip;
    e.local_ip = v.local_ip;
    e.key_mode = t.spec.key_mode;
    e.key = t.spec.key;
    e.next_hop = v.next_hop;
    e.resolved = v.resolved;
    uint64_t src_mac = 0;
    uint16_t mtu = 1500;
    for (const Uplink& u : uplinks_) {
      if (u.spec.name == v.uplink) src_mac = u.dev.mac, mtu = u.dev.mtu, e.uplink_port = u.dev.eth_port;
    }
    tun::BuildEncapTemplate(&e.encap, t.spec, v.local_ip, src_mac, v.next_hop_mac, mtu);
    if (Status s = table->AddTunnel(e); !s.ok()) {
      if (tp == extra) {
        *refused = Status::Error("tunnel " + t.spec.name + ": " + s.message());
      } else {
        HASHI_LOG_ERROR("tunnel", "tunnel %s left out: %s", t.spec.name.c_str(), s.message().c_str());
      }
    }
  }
  return table;
}

void TunnelManager::ResolveNextHops(uint64_t now_ns) {
  for (const auto& [name, t] : tunnels_) {
    const TunnelView v = Resolve(t);
    if (!v.uplink.empty() && !v.resolved) {
      const int u = UplinkForNeighbor(v.next_hop);
      if (u >= 0 && neighbors_.Want(v.next_hop, static_cast<unsigned>(u), now_ns)) {
        SendArpRequest(static_cast<unsigned>(u), v.next_hop);
      }
    }
  }
}

void TunnelManager::Transmit(uint16_t eth_port, rte_mbuf* m) {
  dp::QueueForTx(datapath_.control_context(), eth_port, m);
  dirty_tx_ = true;
}

void TunnelManager::SendArpRequest(unsigned uplink, uint32_t target) {
  auto pool = ports_.ControlPool();
  if (!pool.ok()) return;
  rte_mbuf* m = rte_pktmbuf_alloc(*pool);
  if (m == nullptr) return;
  const Uplink& u = uplinks_[uplink];
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));
  std::memset(p, 0, 60);  // padded to the Ethernet minimum
  tun::BuildArpRequest(p, u.dev.mac, u.spec.address.addr, target);
  Transmit(u.dev.eth_port, m);
  counters_.arp_requests_sent++;
}

void TunnelManager::OnNeighborChanged(uint32_t ip) {
  Republish();
  // Workers that still read the old table may queue more packets for ip:
  // wait them out, then take everything pending before releasing.
  datapath_.rcu().Synchronize();
  rte_mbuf* pkts[64];
  unsigned n;
  while ((n = rte_ring_sc_dequeue_burst(pending_ring(), reinterpret_cast<void**>(pkts), 64, nullptr)) != 0) {
    for (unsigned i = 0; i < n; ++i) HoldOrSend(pkts[i], 0);
  }
  ReleaseHeld(ip, true);
}

void TunnelManager::ReleaseHeld(uint32_t ip, bool send) {
  auto it = held_.find(ip);
  if (it == held_.end()) return;
  const tun::Neighbor* n = neighbors_.Find(ip);
  for (rte_mbuf* m : it->second) {
    if (send && n != nullptr && n->state != tun::NeighborState::kIncomplete) {
      tun::StoreMac(rte_pktmbuf_mtod(m, uint8_t*), n->mac);
      Transmit(m->port, m);
      counters_.held_sent++;
    } else {
      rte_pktmbuf_free(m);
      counters_.held_dropped++;
    }
  }
  held_.erase(it);
}

void TunnelManager::HoldOrSend(rte_mbuf* m, uint64_t now_ns) {
  const uint32_t nh = m->hash.usr;
  const tun::Neighbor* n = neighbors_.Find(nh);
  if (n != nullptr && n->state != tun::NeighborState::kIncomplete) {
    tun::StoreMac(rte_pktmbuf_mtod(m, uint8_t*), n->mac);
    Transmit(m->port, m);
    return;
  }
  const int u = nh == 0 ? -1 : UplinkForNeighbor(nh);
  std::deque<rte_mbuf*>& q = held_[nh];
  if (u < 0 || q.size() >= kHeldPerNeighbor) {
    rte_pktmbuf_free(m);
    counters_.held_dropped++;
    if (q.empty()) held_.erase(nh);
    return;
  }
  q.push_back(m);
  counters_.held++;
  if (now_ns != 0 && neighbors_.Want(nh, static_cast<unsigned>(u), now_ns)) {
    SendArpRequest(static_cast<unsigned>(u), nh);
  }
}

void TunnelManager::HandlePunted(rte_mbuf* m, uint64_t now_ns) {
  const int ui = UplinkByEthPort(m->port);
  if (ui < 0 || rte_pktmbuf_data_len(m) != rte_pktmbuf_pkt_len(m)) {
    counters_.punted_ignored++;
    rte_pktmbuf_free(m);
    return;
  }
  const Uplink& u = uplinks_[static_cast<size_t>(ui)];
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  const size_t len = rte_pktmbuf_data_len(m);
  tun::ArpInfo arp;
  if (tun::ParseArp(p, len, &arp)) {
    const uint32_t me = u.spec.address.addr;
    if (u.spec.address.Contains(arp.spa) && arp.spa != me && arp.spa != 0 && !((arp.sha >> 40) & 1)) {
      const bool for_us = arp.tpa == me;
      if (neighbors_.Learn(arp.spa, arp.sha, static_cast<unsigned>(ui), now_ns, for_us)) {
        HASHI_LOG_INFO("tunnel", "neighbor %s is-at %s", tun::FormatIpv4(arp.spa).c_str(),
                       tun::FormatMac(arp.sha).c_str());
        OnNeighborChanged(arp.spa);
      }
    }
    if (arp.op == 1 && arp.tpa == me) {
      std::memset(p, 0, len);
      tun::BuildArpReply(p, u.dev.mac, me, arp.sha, arp.spa);
      Transmit(u.dev.eth_port, m);
      counters_.arp_replies_sent++;
      return;
    }
  } else if (tun::MakeEchoReply(p, len, u.dev.mac, u.spec.address.addr)) {
    Transmit(u.dev.eth_port, m);
    counters_.echo_replies_sent++;
    return;
  }
  counters_.punted_ignored++;
  rte_pktmbuf_free(m);
}

void TunnelManager::Poll(uint64_t now_ns) {
  if (punt_ring() == nullptr) return;
  rte_mbuf* pkts[32];
  unsigned n = rte_ring_sc_dequeue_burst(punt_ring(), reinterpret_cast<void**>(pkts), 32, nullptr);
  for (unsigned i = 0; i < n; ++i) HandlePunted(pkts[i], now_ns);
  n = rte_ring_sc_dequeue_burst(pending_ring(), reinterpret_cast<void**>(pkts), 32, nullptr);
  for (unsigned i = 0; i < n; ++i) HoldOrSend(pkts[i], now_ns);
  const tun::NeighborTable::Timers t = neighbors_.Advance(now_ns);
  for (uint32_t ip : t.probe) {
    const tun::Neighbor* nb = neighbors_.Find(ip);
    if (nb != nullptr) SendArpRequest(nb->uplink, ip);
  }
  for (uint32_t ip : t.failed) {
    HASHI_LOG_WARN("tunnel", "no ARP answer from %s", tun::FormatIpv4(ip).c_str());
    ReleaseHeld(ip, false);
  }
  if (!t.expired.empty()) Republish();
  ResolveNextHops(now_ns);
  if (dirty_tx_) {
    dp::FlushTx(datapath_.control_context());
    dirty_tx_ = false;
  }
}

void TunnelManager::Shutdown() {
  for (auto& [ip, q] : held_) {
    for (rte_mbuf* m : q) rte_pktmbuf_free(m);
  }
  held_.clear();
  rte_mbuf* pkts[64];
  unsigned n;
  for (rte_ring* r : {punt_ring(), pending_ring()}) {
    if (r == nullptr) continue;
    while ((n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), 64, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(pkts, n);
    }
  }
}

size_t TunnelManager::held_now() const {
  size_t n = 0;
  for (const auto& [ip, q] : held_) n += q.size();
  return n;
}

std::vector<TunnelManager::UplinkView> TunnelManager::Uplinks() const {
  std::vector<UplinkView> out;
  for (const Uplink& u : uplinks_) {
    out.push_back(UplinkView{u.spec.name, u.spec.address, u.dev.eth_port, u.dev.mac, u.dev.mtu});
  }
  return out;
}

std::vector<TunnelManager::TunnelView> TunnelManager::Tunnels() const {
  std::vector<TunnelView> out;
  for (const auto& [name, t] : tunnels_) out.push_back(Resolve(t));
  return out;
}

}  // namespace hashi::ctl
