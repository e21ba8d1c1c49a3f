// PortMap: an immutable snapshot of the logical ports, mapping each OpenFlow
// port number to its binding, and each receiving DPDK port back to the
// logical port its packets enter on.
//
// Actions never name a DPDK port: "output:5" resolves through the PortMap
// current for that burst. A binding is
//   Local    a DPDK port (each worker uses its own tx queue on it);
//   Tunnel   the GRE tunnel of the same OpenFlow port number in the current
//            TunnelTable (tunnel/tunnel_table.h);
//   Hold     packets wait, in order, in the binding's PortMove (a VM paused
//            for the last step of a live migration);
//   Remote   a VM that moved away: packets go into the tunnel on OpenFlow
//            port remote_tunnel (the source host's forwarding pointer);
//   Reserved a VM expected here, not yet running: packets are dropped and
//            counted as port_reserved.
// Migration moves a VM's port Local -> Hold -> Remote on the source and
// Reserved -> Hold -> Local on the destination, each step one publish of a
// new PortMap (one pointer store, exactly as flow changes publish a
// TableSet). Workers see it at their next burst; the old map is freed after
// a grace period. A Local or Remote binding that still carries the PortMove
// of its Hold makes each worker send what it held, in order, before anything
// newer (dataplane/port_move.h).
//
// It also lists the rx queues each worker polls, so adding or removing a
// port is one more publish.
//
// Who reads, who writes: built by control, read by workers, never modified
// after publication.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "tunnel/tunnel_table.h"

namespace hashi::dp {

inline constexpr uint32_t kMaxOfPort = 4096;  // OpenFlow port numbers 1..4095
inline constexpr uint16_t kMaxEthPorts = 32;  // RTE_MAX_ETHPORTS in Debian's DPDK
inline constexpr uint16_t kNoSlot = 0xffff;
// Counter slots in WorkerStats::ports: DPDK ports first, then tunnel ports.
inline constexpr uint16_t kMaxCounterPorts = kMaxEthPorts + tun::kMaxTunnels;
static_assert(kMaxOfPort == tun::kMaxTunnelOfport && kMaxEthPorts == tun::kMaxUplinkPorts);

enum class BindingKind : uint8_t { kLocal, kHold, kTunnel, kRemote, kReserved };

class PortMove;

// One (DPDK port, rx queue) pair a worker polls.
struct RxQueueRef {
  uint16_t port;
  uint16_t queue;
};

struct PortBinding {
  uint32_t ofport = 0;
  BindingKind kind = BindingKind::kLocal;
  uint16_t eth_port = 0;      // kLocal: the DPDK port id
  // kHold: where packets wait. kLocal, kRemote: if set, the move this
  // binding ends; workers send what they held there before anything newer.
  PortMove* move = nullptr;
  // kLocal with a move: every packet goes through the hold ring, so the
  // device may push back (true), or only while older ones still wait
  // there (false: the move is being detached).
  bool hold_all = true;
  uint32_t remote_tunnel = 0;  // kRemote: OpenFlow port of the tunnel
  uint32_t remote_key = 0;     // kRemote: the key, if that tunnel has key=flow
  bool admin_up = true;
  bool flood = true;          // included in FLOOD (OFPPC_NO_FLOOD clears it)
  bool receive = true;        // kTunnel: decapsulated packets enter (OFPPC_NO_RECV clears it)
  std::string name;
};

class PortMap {
 public:
  PortMap() { slot_of_ofport_.fill(kNoSlot); rx_ofport_.fill(0); }

  // Adds or replaces the binding for binding.ofport. A Local binding also
  // makes its DPDK port's received packets enter on this logical port.
  Status Bind(const PortBinding& binding);
  Status Unbind(uint32_t ofport);

  const PortBinding* Find(uint32_t ofport) const {
    if (ofport >= kMaxOfPort || slot_of_ofport_[ofport] == kNoSlot) return nullptr;
    return &bindings_[slot_of_ofport_[ofport]];
  }
  uint16_t SlotOf(uint32_t ofport) const {
    return ofport < kMaxOfPort ? slot_of_ofport_[ofport] : kNoSlot;
  }
  const PortBinding& slot(uint16_t s) const { return bindings_[s]; }
  // Slots whose binding ends a move (Local or Remote with a PortMove): each
  // worker sends what it still holds there at the start of every loop.
  const std::vector<uint16_t>& flush_slots() const { return flush_slots_; }

  uint16_t slot_count() const { return static_cast<uint16_t>(bindings_.size()); }
  // Logical port that packets received on a DPDK port enter on (0 = none).
  uint32_t RxOfport(uint16_t eth_port) const { return rx_ofport_[eth_port]; }
  // Makes packets received on eth_port enter on ofport (used when a logical
  // port's receive side is not its own transmit side, e.g. after a rebind).
  void SetRxOfport(uint16_t eth_port, uint32_t ofport) { rx_ofport_[eth_port] = ofport; }

  // Which rx queues each worker polls: part of the snapshot, so ports can
  // come and go while workers run.
  void AddRxQueue(unsigned worker, RxQueueRef q) {
    if (rx_queues_.size() <= worker) rx_queues_.resize(worker + 1);
    rx_queues_[worker].push_back(q);
  }
  void RemoveRxQueues(uint16_t eth_port) {
    for (auto& list : rx_queues_) {
      std::erase_if(list, [eth_port](const RxQueueRef& q) { return q.port == eth_port; });
    }
  }
  const std::vector<RxQueueRef>& rx_queues(unsigned worker) const {
    static const std::vector<RxQueueRef> kNone;
    return worker < rx_queues_.size() ? rx_queues_[worker] : kNone;
  }

 private:
  void Reindex();

  std::vector<PortBinding> bindings_;
  std::vector<uint16_t> flush_slots_;
  std::array<uint16_t, kMaxOfPort> slot_of_ofport_;
  std::array<uint32_t, kMaxEthPorts> rx_ofport_;
  std::vector<std::vector<RxQueueRef>> rx_queues_;
};

}  // namespace hashi::dp
