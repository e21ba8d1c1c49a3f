// PortMove: what a logical port's binding carries while it moves (VM live
// migration): the hold queue that keeps packets for a paused VM, and the
// counters that tell control how the move went.
//
// Hold. Each context (every worker, and control's packet-out context) has
// its own single-producer ring, so each keeps the order in which it handled
// the packets; a shared count bounds the total (max_packets, overflow is
// dropped as hold_overflow). An entry remembers the TSC at which it was held.
// When a PortMap binds the port somewhere again (Local or Remote) with the
// same PortMove attached, each worker sends what it held, in order, at the
// start of each loop (DrainHeld, pipeline.h), before anything newer:
//   Local: every packet for the port goes through the ring while the move is
//   attached, so a device that refuses packets (a vhost queue not yet ready,
//   a full guest ring) leaves them held for the next loop instead of
//   dropping them. Once the VM keeps up, control detaches the move in two
//   publishes: first only packets behind held ones use the ring
//   (PortBinding::hold_all false); when the rings are empty, no move.
//   Remote: while the worker's ring is not empty, newer packets queue behind
//   it; then they go straight into the tunnel.
// Entries older than max_ms are dropped at the drain as hold_expired.
//
// Forwarded. Packets a Remote binding (the forwarding pointer a source host
// keeps after switchover) sent into the tunnel; control tells that traffic
// for a moved port has gone quiet when this stops growing.
//
// Threads: made and freed by control (freed only after the PortMaps naming
// it are gone); a context writes only its own ring and its own counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_ring.h>

#include "common/status.h"
#include "dataplane/dpdk/ring.h"

struct rte_mbuf;

namespace hashi::dp {

struct HoldLimits {
  uint32_t max_packets = 4096;  // held at once, over all contexts
  uint32_t max_ms = 2000;       // a packet held longer is dropped at the flush
};

// One context's view of a move (single writer: that context).
struct HeldPacket {
  rte_mbuf* m;
  uint64_t tsc;  // when it was held
};

struct alignas(64) MoveCounters {
  uint64_t held;             // packets that waited: the port was Hold, or a settling or Remote
                             // binding still had older ones
  uint64_t queued;           // packets that passed through the ring of a Local binding (device
                             // backpressure); what the device refused waited there too
  uint64_t flushed;          // packets sent on from the ring (held or queued)
  uint64_t expired;          // held packets dropped as older than max_ms
  uint64_t overflow;         // packets dropped because max_packets were held
  uint64_t forwarded;        // packets a Remote binding sent into its tunnel
  uint64_t first_flush_tsc;  // when this context first sent a packet from the ring (0: never)
  uint64_t first_tunnel_tsc; // ... into a Remote binding's tunnel (0: never)
};

class PortMove {
 public:
  // contexts: workers + 1 (control's packet-out context is the last).
  static Result<std::unique_ptr<PortMove>> Create(unsigned contexts, HoldLimits limits);
  ~PortMove();  // frees what is still held
  PortMove(const PortMove&) = delete;
  PortMove& operator=(const PortMove&) = delete;

  // Context ctx: holds m (held at now_tsc). False when max_packets are held;
  // the caller drops m and counts it.
  bool Hold(unsigned ctx, rte_mbuf* m, uint64_t now_tsc);
  // Context ctx: whether it holds anything.
  bool pending(unsigned ctx) const { return !rte_ring_empty(rings_[ctx].get()); }
  // Context ctx: shows up to n (at most 32) of its held packets, oldest
  // first, without taking them; Release(ctx, k) then takes the first k.
  unsigned Peek(unsigned ctx, HeldPacket* out, unsigned n);
  void Release(unsigned ctx, unsigned k);

  MoveCounters& counters(unsigned ctx) { return counters_[ctx]; }
  // Sums over all contexts (control; racy reads of worker counters).
  MoveCounters Totals() const;
  // Packets held now, over all contexts.
  unsigned held_now() const { return count_.load(std::memory_order_relaxed); }
  uint64_t max_age_cycles() const { return max_age_cycles_; }
  const HoldLimits& limits() const { return limits_; }
  unsigned contexts() const { return static_cast<unsigned>(rings_.size()); }

 private:
  PortMove(HoldLimits limits, uint64_t max_age_cycles, unsigned contexts)
      : limits_(limits), max_age_cycles_(max_age_cycles), counters_(contexts) {}

  HoldLimits limits_;
  uint64_t max_age_cycles_;
  std::vector<dpdk::Ring> rings_;  // one per context, entries are HeldPacket
  std::vector<MoveCounters> counters_;
  std::atomic<uint32_t> count_{0};
};

}  // namespace hashi::dp
