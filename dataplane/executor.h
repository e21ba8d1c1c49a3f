// Executor: the worker-side engine behind ProcessBurst and ProcessPacketOut,
// shared by pipeline.cc (stages, classification, the cache) and
// pipeline_actions.cc (actions, groups, meters, delivery to ports, tunnels
// and the controller). Internal to those two files; the API is pipeline.h.
//
// Nothing here allocates from the heap, locks, throws or logs; the only
// allocations are mbuf copies from the packet's own mempool when an edit (or
// an encapsulation) must not be seen by an earlier output.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/packet_parser.h"
#include "dataplane/pipeline.h"
#include "dataplane/port_move.h"
#include "tunnel/gre_encap.h"

namespace hashi::dp::detail {


inline constexpr int kStop = -1;     // the packet is gone (dropped); stop processing

// Puts m, held at tsc, in ctx's ring of move, or drops it as hold_overflow.
// waits: the port is Hold, or older packets still wait (counted as held);
// otherwise the packet only passes through the ring (queued).
inline void HoldInMove(WorkerContext& ctx, PortMove& move, rte_mbuf* m, uint64_t tsc, bool waits) {
  MoveCounters& c = move.counters(ctx.index);
  if (HASHI_UNLIKELY(!move.Hold(ctx.index, m, tsc))) {
    Bump(c.overflow);
    Bump(ctx.stats.drops[static_cast<int>(DropReason::kHoldOverflow)]);
    rte_pktmbuf_free(m);
    return;
  }
  if (waits) {
    Bump(c.held);
    Bump(ctx.stats.held);
  } else {
    Bump(c.queued);
  }
}
inline constexpr int kNoSlotOut = -1;

struct Packet {
  rte_mbuf* m;
  FlowKey key;
  PacketLayout layout;
  uint32_t in_port;
  uint16_t in_slot;
  int32_t pending;   // binding slot of the deferred last output, or kNoSlotOut
  uint16_t outputs;  // outputs taken so far (to tell "no action" drops)
  bool gone;         // mbuf already released

  // Begins processing m, received on (or injected as from) in_port.
  void Start(rte_mbuf* mbuf, uint32_t port, uint16_t slot) {
    m = mbuf;
    in_port = port;
    in_slot = slot;
    pending = kNoSlotOut;
    outputs = 0;
    gone = false;
  }
};

// The OpenFlow action set. Reset() clears it without touching sets[], so a
// fresh set costs five stores.
struct ActionSet {
  void Reset() {
    pop = push = dec_ttl = output = group = nullptr;
    nsets = 0;
  }
  const Action* pop;
  const Action* push;
  const Action* dec_ttl;
  const Action* output;
  const Action* group;
  const Action* sets[8];
  uint8_t nsets;

  void Add(const Action& a) {
    switch (a.type) {
      case ActionType::kPopVlan: pop = &a; break;
      case ActionType::kPushVlan: push = &a; break;
      case ActionType::kDecTtl: dec_ttl = &a; break;
      case ActionType::kOutput: output = &a; break;
      case ActionType::kGroup: group = &a; break;
      case ActionType::kMeter: break;  // never in an action set
      case ActionType::kSetField:
        for (uint8_t i = 0; i < nsets; ++i) {
          if (sets[i]->field == a.field) { sets[i] = &a; return; }
        }
        if (nsets < 8) sets[nsets++] = &a; else sets[7] = &a;
        break;
    }
  }
};

class Executor {
 public:
  Executor(WorkerContext& ctx, const TableSet& ts, const PortMap& ports, const tun::TunnelTable* tunnels)
      : ctx_(ctx), ts_(ts), ports_(ports), tunnels_(tunnels), counter_slot_(ctx.index * kCounterStride),
        table_counters_(ts.table_counters(ctx.index)) {}

  // tun_ids: the tunnel id of each packet (decapsulated bursts), or null.
  void ProcessBatch(Packet* pkts, uint16_t n, const uint64_t* tun_ids);
  // TableSet::in_port_only(): parses (and so validates) every packet, then
  // forwards those whose in_port has a rule without the exact-match cache or
  // a classifier lookup per packet; returns how many remain (moved to the
  // front of pkts, their tunnel ids to tun_ids) for the full path.
  uint16_t ForwardByInPort(Packet* pkts, uint16_t n, uint64_t* tun_ids);
  // Packet-out: runs an action list on one parsed packet (OFPP_TABLE sends
  // it through the flow tables), then hands it to its outputs.
  void RunPacketOut(Packet& p, const Action* actions, uint16_t n);
  // Sends what this context still holds for bindings that end a move
  // (PortMap::flush_slots), oldest first (DrainHeld in pipeline.h).
  void DrainHeld();

 private:
  void Drop(Packet& p, DropReason r) {
    Bump(ctx_.stats.drops[static_cast<int>(r)]);
    if (p.pending != kNoSlotOut) {  // an earlier output still takes the packet
      Deliver(p, p.pending);
      p.pending = kNoSlotOut;
    } else {
      rte_pktmbuf_free(p.m);
    }
    p.gone = true;
  }
  // Hands p's mbuf to binding slot `slot` (the packet's key supplies the
  // tunnel id for a key=flow tunnel).
  HASHI_ALWAYS_INLINE void Deliver(const Packet& p, int slot) {
    const PortBinding& b = ports_.slot(static_cast<uint16_t>(slot));
    if (HASHI_LIKELY(b.kind == BindingKind::kLocal && b.move == nullptr && b.admin_up)) {
      QueueTx(b.eth_port, p.m);
    } else if (b.kind == BindingKind::kTunnel && b.admin_up) {
      DeliverTunnel(b.ofport, p.m, p.key.Get(Field::kTunnelId));
    } else {
      DeliverSlow(b, p.m);
    }
  }
  __attribute__((noinline)) void DeliverSlow(const PortBinding& b, rte_mbuf* m);
  void HoldPacket(PortMove& move, rte_mbuf* m, bool waits) { HoldInMove(ctx_, move, m, rte_rdtsc(), waits); }
  void DrainToDevice(const PortBinding& b, PortMove& move);
  unsigned DrainBatchToDevice(const PortBinding& b, PortMove& move);
  void DrainToTunnel(const PortBinding& b, PortMove& move);
  void DeliverTunnel(uint32_t ofport, rte_mbuf* m, uint64_t tun_id);
  // Encapsulates m for tunnel t and queues it on the uplink, or, while the
  // next hop is unresolved, on the pending ring that the control thread
  // sends from once ARP answers. A shared mbuf (another output still holds
  // it) or one without headroom is copied first.
  HASHI_ALWAYS_INLINE void Encapsulate(const tun::TunnelEntry& t, rte_mbuf* m, uint64_t tun_id) {
    if (HASHI_UNLIKELY(rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) ||
                       rte_pktmbuf_headroom(m) < t.encap.len)) {
      rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
      rte_pktmbuf_free(m);
      if (copy == nullptr) return DropMbuf(copy, DropReason::kNoBuffer);
      m = copy;
    }
    const uint32_t inner = rte_pktmbuf_pkt_len(m);
    const tun::EncapResult r = tun::GreEncap(m, t.encap, static_cast<uint32_t>(tun_id), ctx_.ip_id++);
    if (HASHI_UNLIKELY(r != tun::EncapResult::kOk)) {
      return DropMbuf(m, r == tun::EncapResult::kTooBig ? DropReason::kTunnelTooBig : DropReason::kNoBuffer);
    }
    PortCounters& pc = ctx_.stats.ports[t.stats_index];
    Bump(pc.tx_packets);
    Bump(pc.tx_bytes, inner);
    if (HASHI_LIKELY(t.resolved)) {
      QueueTx(t.uplink_port, m);
    } else {
      DivertUntilResolved(t, m);
    }
  }
  void DivertUntilResolved(const tun::TunnelEntry& t, rte_mbuf* m);
  void DropMbuf(rte_mbuf* m, DropReason r) {
    Bump(ctx_.stats.drops[static_cast<int>(r)]);
    rte_pktmbuf_free(m);
  }
  void QueueTx(uint16_t eth_port, rte_mbuf* m) { QueueForTx(ctx_, eth_port, m); }
  void Emit(Packet& p, int slot) {
    if (p.pending != kNoSlotOut) {
      rte_mbuf_refcnt_update(p.m, 1);
      Deliver(p, p.pending);
    }
    p.pending = slot;
    p.outputs++;
  }
  bool PrepareEdit(Packet& p);
  // Output to a numbered logical port: unknown ports and the ingress port
  // are counted drops (OpenFlow needs IN_PORT to send a packet back).
  HASHI_ALWAYS_INLINE void OutputToPort(Packet& p, uint32_t port) {
    const uint16_t s = ports_.SlotOf(port);
    if (HASHI_UNLIKELY(s == kNoSlot)) {
      Bump(ctx_.stats.drops[static_cast<int>(DropReason::kNoSuchPort)]);
    } else if (HASHI_UNLIKELY(port == p.in_port)) {
      Bump(ctx_.stats.drops[static_cast<int>(DropReason::kOutputToInPort)]);
    } else {
      Emit(p, s);
    }
  }
  bool Output(Packet& p, uint32_t port, uint64_t max_len);
  void Flood(Packet& p, bool all);
  void Normal(Packet& p);
  void ToController(Packet& p, uint8_t reason, uint8_t table, uint64_t cookie, uint16_t max_len);
  void ActionToController(Packet& p, uint64_t max_len);
  bool Apply(Packet& p, const Action& a);
  void ExecuteGroup(Packet& p, uint64_t index);
  bool Meter(Packet& p, MeterState* meter);
  void RunBucket(const Packet& p, const BucketRef& b);
  HASHI_ALWAYS_INLINE int RunRule(Packet& p, const RuleRef& ref, ActionSet& set);
  void ExecuteSet(Packet& p, const ActionSet& set);
  void Miss(Packet& p, uint8_t table);
  // original: the key to cache the path under, or null to skip the cache.
  // When have_first, first is table 0's lookup result, already done.
  void Classify(Packet& p, const FlowKey* original, uint32_t hash, bool have_first,
                const RuleRef* first);
  void Replay(Packet& p, const EmcEntry& e);
  void Finish(Packet& p);

  WorkerContext& ctx_;
  const TableSet& ts_;
  const PortMap& ports_;
  const tun::TunnelTable* tunnels_;  // null: no tunnels
  uint32_t last_tunnel_port_ = 0;    // the tunnel DeliverTunnel looked up last
  const tun::TunnelEntry* last_tunnel_ = nullptr;
  unsigned counter_slot_;  // this worker's slot in every rule's counter block
  TableCounters* table_counters_;
  const RuleRef* rule_ = nullptr;  // the last rule that ran actions (for packet-in)
  bool packet_out_ = false;        // running a packet-out's action list
};

}  // namespace hashi::dp::detail
