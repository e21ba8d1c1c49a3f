// ARP cache state and timers (control thread).
#include "tunnel/neighbor_table.h"

namespace hashi::tun {

bool NeighborTable::Learn(uint32_t ip, uint64_t mac, unsigned uplink, uint64_t now_ns, bool create) {
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    if (!create) return false;
    it = entries_.emplace(ip, Neighbor{ip, 0, NeighborState::kIncomplete, uplink, 0, 0, 0}).first;
  }
  Neighbor& n = it->second;
  if (n.state == NeighborState::kStatic) return false;  // the operator's word wins
  const bool changed = n.state == NeighborState::kIncomplete || n.mac != mac;
  n.mac = mac;
  n.state = NeighborState::kReachable;
  n.uplink = uplink;
  n.updated_ns = now_ns;
  n.probes = 0;
  return changed;
}

bool NeighborTable::SetStatic(uint32_t ip, uint64_t mac, unsigned uplink) {
  Neighbor& n = entries_[ip];
  const bool changed = n.state == NeighborState::kIncomplete || n.mac != mac;
  n = Neighbor{ip, mac, NeighborState::kStatic, uplink, 0, 0, 0};
  return changed;
}

bool NeighborTable::Want(uint32_t ip, unsigned uplink, uint64_t now_ns) {
  if (entries_.count(ip)) return false;
  entries_.emplace(ip, Neighbor{ip, 0, NeighborState::kIncomplete, uplink, now_ns, now_ns, 1});
  return true;
}

NeighborTable::Timers NeighborTable::Advance(uint64_t now_ns) {
  Timers t;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Neighbor& n = it->second;
    bool erase = false;
    if (n.state == NeighborState::kIncomplete) {
      if (now_ns - n.last_probe_ns >= kProbeIntervalNs) {
        if (n.probes >= kMaxProbes) {
          t.failed.push_back(n.ip);
          erase = true;
        } else {
          n.probes++;
          n.last_probe_ns = now_ns;
          t.probe.push_back(n.ip);
        }
      }
    } else if (n.state == NeighborState::kReachable) {
      const uint64_t age = now_ns - n.updated_ns;
      if (age >= aging_ns_) {
        t.expired.push_back(n.ip);
        erase = true;
      } else if (age >= aging_ns_ / 4 * 3 && n.probes < kMaxProbes &&
                 now_ns - n.last_probe_ns >= kProbeIntervalNs) {
        n.probes++;
        n.last_probe_ns = now_ns;
        t.probe.push_back(n.ip);
      }
    }
    it = erase ? entries_.erase(it) : std::next(it);
  }
  return t;
}

std::vector<Neighbor> NeighborTable::List() const {
  std::vector<Neighbor> out;
  for (const auto& [ip, n] : entries_) out.push_back(n);
  return out;
}

}  // namespace hashi::tun
