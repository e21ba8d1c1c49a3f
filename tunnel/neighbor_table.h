// NeighborTable: the underlay's ARP cache (control thread only).
//
// An entry is Incomplete (an ARP request is out; packets for it wait in the
// tunnel manager's bounded queue), Reachable (learned from ARP, ages out) or
// Static (set by the operator, never ages). Advance() drives the timers:
// an Incomplete entry is probed once a second and fails after kMaxProbes
// unanswered requests; a Reachable entry is refreshed by a new request once
// three quarters of its lifetime have passed and removed if the refresh goes
// unanswered until it expires, so a neighbour that changed its MAC or went
// away stops receiving traffic within one aging period. The table is pure
// state: the caller sends the requests it asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace hashi::tun {

enum class NeighborState : uint8_t { kIncomplete, kReachable, kStatic };

struct Neighbor {
  uint32_t ip = 0;
  uint64_t mac = 0;          // valid unless kIncomplete
  NeighborState state = NeighborState::kIncomplete;
  unsigned uplink = 0;
  uint64_t updated_ns = 0;   // last confirmation (or creation)
  uint64_t last_probe_ns = 0;
  unsigned probes = 0;       // requests sent since the last confirmation
};

class NeighborTable {
 public:
  static constexpr unsigned kMaxProbes = 3;
  static constexpr uint64_t kProbeIntervalNs = 1'000'000'000;

  explicit NeighborTable(uint64_t aging_ns) : aging_ns_(aging_ns) {}
  void set_aging_ns(uint64_t ns) { aging_ns_ = ns; }
  uint64_t aging_ns() const { return aging_ns_; }

  const Neighbor* Find(uint32_t ip) const {
    auto it = entries_.find(ip);
    return it == entries_.end() ? nullptr : &it->second;
  }
  bool Resolved(uint32_t ip) const {
    const Neighbor* n = Find(ip);
    return n != nullptr && n->state != NeighborState::kIncomplete;
  }
  // An ARP packet from ip with hardware address mac. Updates an existing
  // dynamic entry; creates one only when `create` (the packet was addressed
  // to us). Returns true when ip's usable MAC changed (callers rebuild
  // whatever embeds it).
  bool Learn(uint32_t ip, uint64_t mac, unsigned uplink, uint64_t now_ns, bool create);
  // Makes ip a static neighbour. Returns true when its MAC changed.
  bool SetStatic(uint32_t ip, uint64_t mac, unsigned uplink);
  // Removes ip; returns whether it existed.
  bool Remove(uint32_t ip) { return entries_.erase(ip) != 0; }
  // Starts resolving ip if it is unknown. Returns true when a request should
  // be sent now (a new entry, or a due retry is left to Advance()).
  bool Want(uint32_t ip, unsigned uplink, uint64_t now_ns);

  struct Timers {
    std::vector<uint32_t> probe;    // send an ARP request for these now
    std::vector<uint32_t> failed;   // resolution failed: entry removed
    std::vector<uint32_t> expired;  // a reachable entry aged out: removed
  };
  Timers Advance(uint64_t now_ns);
  std::vector<Neighbor> List() const;
  size_t size() const { return entries_.size(); }

 private:
  uint64_t aging_ns_;
  std::map<uint32_t, Neighbor> entries_;
};

}  // namespace hashi::tun
