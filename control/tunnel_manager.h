// TunnelManager: the control side of GRE tunnels and the underlay.
//
// It owns the operator's tunnel specs, the uplinks (hashi's IPv4 address on
// each), the route table and the ARP cache, and derives from them the
// TunnelTable the workers read: each tunnel's route and next hop, and its
// encap template with the next hop's MAC. Whenever a neighbour is learned,
// changes or ages out, or a tunnel or route changes, it builds a new table
// and publishes it (one pointer store; RCU frees the old one).
//
// It also answers for the underlay address: workers punt ARP and ICMP for it
// through a bounded ring, and Poll() replies to ARP requests and echo
// requests and learns neighbours from ARP. Packets a worker encapsulated for
// an unresolved next hop arrive on the pending ring; they wait here in a
// bounded per-neighbour queue (kHeldPerNeighbor) while ARP is asked for, and
// leave, in order, when the reply arrives, so the first packets into a
// tunnel are not lost. Resolution fails after three unanswered requests and
// the waiting packets are counted as dropped.
//
// Control thread only; Poll() runs from the main loop.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "control/port_manager.h"
#include "dataplane/datapath.h"
#include "dataplane/dpdk/ring.h"
#include "tunnel/neighbor_table.h"
#include "tunnel/route_table.h"
#include "tunnel/tunnel_config.h"

struct rte_mbuf;

namespace hashi::ctl {

struct UnderlayCounters {
  uint64_t arp_requests_sent = 0;
  uint64_t arp_replies_sent = 0;
  uint64_t echo_replies_sent = 0;
  uint64_t held = 0;             // packets that waited for ARP
  uint64_t held_sent = 0;        // ... and were sent once it answered
  uint64_t held_dropped = 0;     // queue full, resolution failed, or no route
  uint64_t punted_ignored = 0;   // punted frames needing no answer
};

class TunnelManager {
 public:
  static constexpr unsigned kHeldPerNeighbor = 128;

  TunnelManager(dp::Datapath& datapath, PortManager& ports) : datapath_(datapath), ports_(ports), neighbors_(300ull * 1000000000) {}
  ~TunnelManager();
  TunnelManager(const TunnelManager&) = delete;
  TunnelManager& operator=(const TunnelManager&) = delete;

  // Creates the punt and pending rings and publishes an empty table.
  Status Init();
  void set_neighbor_aging_sec(uint32_t sec) { neighbors_.set_aging_ns(uint64_t{sec} * 1000000000); }

  Status AddUplink(const tun::UplinkSpec& spec);
  Status AddRoute(const tun::RouteSpec& spec);
  Status DeleteRoute(const tun::Ipv4Prefix& prefix);
  Status AddNeighbor(const tun::NeighborSpec& spec);
  Status DeleteNeighbor(uint32_t ip);
  Status AddTunnel(const tun::TunnelSpec& spec);
  Status DeleteTunnel(const std::string& name);

  // Answers punted frames, takes packets waiting for ARP, runs ARP timers.
  void Poll(uint64_t now_ns);
  // Frees everything still queued (after the workers stopped).
  void Shutdown();

  struct UplinkView {
    std::string name;
    tun::Ipv4Prefix address;
    uint16_t eth_port;
    uint64_t mac;
    uint16_t mtu;
  };
  struct TunnelView {
    tun::TunnelSpec spec;
    uint32_t local_ip;
    std::string uplink;      // "" without a route
    uint32_t next_hop;
    bool resolved;
    uint64_t next_hop_mac;
  };
  std::vector<UplinkView> Uplinks() const;
  std::vector<TunnelView> Tunnels() const;
  std::vector<tun::Neighbor> Neighbors() const { return neighbors_.List(); }
  const std::vector<tun::Route>& Routes() const { return routes_.routes(); }
  const UnderlayCounters& counters() const { return counters_; }
  size_t held_now() const;

 private:
  struct Uplink {
    tun::UplinkSpec spec;
    PortManager::UplinkDevice dev;
  };
  struct Tunnel {
    tun::TunnelSpec spec;
    uint16_t counter_slot;
  };
  // Where tunnel t's packets go, from the current routes and neighbours.
  TunnelView Resolve(const Tunnel& t) const;
  // The TunnelTable for tunnels_ and extra (added last). A tunnel the table
  // refuses (another has its remote, local address and key) is left out:
  // extra's refusal goes to *refused, the others' to the log.
  std::unique_ptr<tun::TunnelTable> BuildTable(const Tunnel* extra, Status* refused) const;
  void Republish();
  // Asks ARP for every tunnel's unresolved next hop.
  void ResolveNextHops(uint64_t now_ns);
  void HandlePunted(rte_mbuf* m, uint64_t now_ns);
  void HoldOrSend(rte_mbuf* m, uint64_t now_ns);
  // Sends packets held for ip now that it resolved (or drops them: failed).
  void ReleaseHeld(uint32_t ip, bool send);
  void OnNeighborChanged(uint32_t ip);
  void SendArpRequest(unsigned uplink, uint32_t target);
  void Transmit(uint16_t eth_port, rte_mbuf* m);
  int UplinkByEthPort(uint16_t eth_port) const;
  int UplinkForNeighbor(uint32_t ip) const;

  dp::Datapath& datapath_;
  PortManager& ports_;
  std::optional<dpdk::Ring> punt_;    // workers -> control: ARP/ICMP for us
  std::optional<dpdk::Ring> pending_;  // workers -> control: waiting for ARP
  rte_ring* punt_ring() const { return punt_ ? punt_->get() : nullptr; }
  rte_ring* pending_ring() const { return pending_ ? pending_->get() : nullptr; }
  std::vector<Uplink> uplinks_;
  tun::RouteTable routes_;
  tun::NeighborTable neighbors_;
  std::map<std::string, Tunnel> tunnels_;
  std::map<uint32_t, std::deque<rte_mbuf*>> held_;  // by next hop
  uint64_t slots_in_use_[tun::kMaxTunnels / 64] = {};
  UnderlayCounters counters_;
  bool dirty_tx_ = false;
};

}  // namespace hashi::ctl
