// The per-burst fast path: parse, exact-match cache, table pipeline, actions,
// tx buffering. Nothing here allocates from the heap, locks, throws or logs;
// the only allocations are mbuf copies from the packet's own mempool when an
// edit must not be seen by an earlier output.
#include "dataplane/pipeline.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dataplane/packet_edit.h"
#include "dataplane/packet_in_meta.h"
#include "dataplane/packet_parser.h"
#include "dataplane/tunnel_path.h"
#include "tunnel/gre_encap.h"

namespace hashi::dp {
namespace {

constexpr int kStop = -1;     // the packet is gone (dropped); stop processing
constexpr int kNoSlotOut = -1;

struct Packet {
  rte_mbuf* m;
  FlowKey key;
  PacketLayout layout;
  uint32_t in_port;
  uint16_t in_slot;
  int32_t pending;   // binding slot of the deferred last output, or kNoSlotOut
  uint16_t outputs;  // outputs taken so far (to tell "no action" drops)
  bool gone;         // mbuf already released
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
  // Packet-out: runs an action list on one parsed packet (OFPP_TABLE sends
  // it through the flow tables), then hands it to its outputs.
  void RunPacketOut(Packet& p, const Action* actions, uint16_t n);

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
    if (HASHI_LIKELY(b.kind == BindingKind::kLocal && b.hold == nullptr && b.admin_up)) {
      QueueTx(b.eth_port, p.m);
    } else if (b.kind == BindingKind::kTunnel && b.admin_up) {
      DeliverTunnel(b.ofport, p.m, p.key.Get(Field::kTunnelId));
    } else {
      DeliverSlow(b, p.m);
    }
  }
  __attribute__((noinline)) void DeliverSlow(const PortBinding& b, rte_mbuf* m);
  void DeliverTunnel(uint32_t ofport, rte_mbuf* m, uint64_t tun_id);
  void DropMbuf(rte_mbuf* m, DropReason r) {
    Bump(ctx_.stats.drops[static_cast<int>(r)]);
    rte_pktmbuf_free(m);
  }
  void QueueTx(uint16_t eth_port, rte_mbuf* m) {
    TxBuffer& tb = ctx_.tx[eth_port];
    if (HASHI_UNLIKELY(tb.count == kTxBufferSize)) FlushTx(ctx_);
    tb.pkts[tb.count++] = m;
    ctx_.tx_dirty |= 1u << eth_port;
  }
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

// Encapsulates m for the tunnel on OpenFlow port ofport and queues it on the
// uplink, or, while the next hop is unresolved, on the pending ring that the
// control thread sends from once ARP answers.
void Executor::DeliverTunnel(uint32_t ofport, rte_mbuf* m, uint64_t tun_id) {
  if (HASHI_UNLIKELY(ofport != last_tunnel_port_)) {  // a burst mostly goes to one tunnel
    last_tunnel_ = tunnels_ != nullptr ? tunnels_->FindByOfport(ofport) : nullptr;
    last_tunnel_port_ = ofport;
  }
  const tun::TunnelEntry* t = last_tunnel_;
  if (HASHI_UNLIKELY(t == nullptr)) return DropMbuf(m, DropReason::kNoSuchPort);
  // Another output still shares this mbuf (or it has no room in front):
  // encapsulate a private copy.
  if (HASHI_UNLIKELY(rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) || rte_pktmbuf_headroom(m) < t->encap.len)) {
    rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
    rte_pktmbuf_free(m);
    if (copy == nullptr) return DropMbuf(copy, DropReason::kNoBuffer);
    m = copy;
  }
  const uint32_t inner = rte_pktmbuf_pkt_len(m);
  const tun::EncapResult r = tun::GreEncap(m, t->encap, static_cast<uint32_t>(tun_id), ctx_.ip_id++);
  if (HASHI_UNLIKELY(r != tun::EncapResult::kOk)) {
    return DropMbuf(m, r == tun::EncapResult::kTooBig ? DropReason::kTunnelTooBig : DropReason::kNoBuffer);
  }
  PortCounters& pc = ctx_.stats.ports[t->stats_index];
  Bump(pc.tx_packets);
  Bump(pc.tx_bytes, inner);
  if (HASHI_LIKELY(t->resolved)) {
    QueueTx(t->uplink_port, m);
    return;
  }
  m->hash.usr = t->next_hop;  // read by the tunnel manager
  m->port = t->uplink_port;
  if (rte_ring_mp_enqueue(tunnels_->pending(), m) != 0) DropMbuf(m, DropReason::kTunnelArpQueueFull);
}

void Executor::DeliverSlow(const PortBinding& b, rte_mbuf* m) {
  if (!b.admin_up) {
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kPortDown)]);
    rte_pktmbuf_free(m);
    return;
  }
  if (b.kind == BindingKind::kHold) {
    if (rte_ring_mp_enqueue(b.hold, m) != 0) {
      Bump(ctx_.stats.drops[static_cast<int>(DropReason::kHoldOverflow)]);
      rte_pktmbuf_free(m);
    } else {
      Bump(ctx_.stats.held);
    }
    return;
  }
  // Rebound from Hold: packets held before the rebind leave first, in order.
  rte_mbuf* held[kMaxBurst];
  unsigned got;
  while ((got = rte_ring_mc_dequeue_burst(b.hold, reinterpret_cast<void**>(held), kMaxBurst,
                                          nullptr)) != 0) {
    for (unsigned i = 0; i < got; ++i) QueueTx(b.eth_port, held[i]);
  }
  QueueTx(b.eth_port, m);
}

bool Executor::PrepareEdit(Packet& p) {
  if (p.pending != kNoSlotOut) {
    rte_mbuf_refcnt_update(p.m, 1);
    Deliver(p, p.pending);
    p.pending = kNoSlotOut;
  }
  if (HASHI_LIKELY(rte_mbuf_refcnt_read(p.m) == 1 && RTE_MBUF_DIRECT(p.m))) return true;
  rte_mbuf* copy = rte_pktmbuf_copy(p.m, p.m->pool, 0, UINT32_MAX);
  if (copy == nullptr) {
    Drop(p, DropReason::kNoBuffer);
    return false;
  }
  rte_pktmbuf_free(p.m);
  p.m = copy;
  return true;
}

void Executor::ToController(Packet& p, uint8_t reason, uint8_t table, uint64_t cookie, uint16_t max_len) {
  if (ctx_.packet_in == nullptr) {
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kControllerQueueFull)]);
    return;
  }
  rte_mbuf_refcnt_update(p.m, 1);
  PacketInMeta* meta = PacketInMetaOf(p.m);
  meta->cookie = cookie;
  meta->metadata = p.key.Get(Field::kMetadata);
  meta->in_port = p.in_port;
  meta->max_len = max_len;
  meta->reason = reason;
  meta->table_id = table;
  p.outputs++;  // a full queue is counted below, not as "no action" too
  if (rte_ring_sp_enqueue(ctx_.packet_in, p.m) != 0) {
    rte_mbuf_refcnt_update(p.m, -1);
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kControllerQueueFull)]);
    return;
  }
  Bump(ctx_.stats.packet_in);
}

// An output:CONTROLLER action. A table-miss rule (priority 0, matching
// everything) reports NO_MATCH, as OpenFlow 1.3 defines.
void Executor::ActionToController(Packet& p, uint64_t max_len) {
  uint8_t reason = kPacketInAction;
  uint64_t cookie = 0;
  if (rule_ != nullptr) {
    const FlowRule& r = *rule_->rule;
    cookie = r.cookie;
    if (r.priority == 0) {
      uint64_t any = 0;
      for (int w = 0; w < kFlowKeyWords; ++w) any |= r.mask.w[w];
      if (any == 0) reason = kPacketInNoMatch;
    }
  }
  ToController(p, reason, rule_ ? rule_->table_id : 0, cookie, static_cast<uint16_t>(max_len));
}

void Executor::Flood(Packet& p, bool all) {
  const uint16_t n = ports_.slot_count();
  for (uint16_t s = 0; s < n; ++s) {
    if (s == p.in_slot) continue;
    const PortBinding& b = ports_.slot(s);
    if (!b.admin_up || (!all && !b.flood)) continue;
    Emit(p, s);
  }
}

void Executor::Normal(Packet& p) {
  const uint64_t tci = p.key.Get(Field::kVlanTci);
  const uint16_t vid = static_cast<uint16_t>(tci & kVlanVidMask);
  const uint64_t src = p.key.Get(Field::kEthSrc);
  const uint64_t dst = p.key.Get(Field::kEthDst);
  if (((src >> 40) & 1) == 0) ctx_.macs->Learn(vid, src, p.in_port, ctx_.now_sec);
  if ((dst >> 40) & 1) {
    Flood(p, false);
    return;
  }
  const uint32_t port = ctx_.macs->Lookup(vid, dst, ctx_.now_sec);
  if (port == 0) {
    Flood(p, false);
  } else if (port != p.in_port) {
    const uint16_t s = ports_.SlotOf(port);
    if (s != kNoSlot) Emit(p, s); else Flood(p, false);
  }
}

bool Executor::Output(Packet& p, uint32_t port, uint64_t max_len) {
  switch (port) {
    case kPortInPort:
      if (p.in_slot != kNoSlot) Emit(p, p.in_slot);
      return true;
    case kPortFlood: Flood(p, false); return true;
    case kPortAll: Flood(p, true); return true;
    case kPortNormal: Normal(p); return true;
    case kPortController: ActionToController(p, max_len); return true;
    case kPortTable:  // packet-out only (the codec rejects it in flows)
      if (packet_out_) {
        packet_out_ = false;
        Classify(p, nullptr, 0, false, nullptr);
        packet_out_ = true;
        return !p.gone;
      }
      return true;
    default: break;
  }
  OutputToPort(p, port);
  return true;
}

bool Executor::Apply(Packet& p, const Action& a) {
  switch (a.type) {
    case ActionType::kOutput:
      return Output(p, a.port, a.value);
    case ActionType::kSetField: {
      if (!PrepareEdit(p)) return false;
      const uint64_t v = (p.key.Get(a.field) & ~a.mask) | (a.value & a.mask);
      edit::SetField(rte_pktmbuf_mtod(p.m, uint8_t*), p.layout, p.key, a.field, v);
      return true;
    }
    case ActionType::kPushVlan:
      if (!PrepareEdit(p)) return false;
      if (!edit::PushVlan(p.m, p.layout, p.key, a.ethertype)) {
        Drop(p, DropReason::kNoBuffer);
        return false;
      }
      return true;
    case ActionType::kPopVlan:
      if (!PrepareEdit(p)) return false;
      edit::PopVlan(p.m, p.layout, p.key);
      return true;
    case ActionType::kGroup:
      ExecuteGroup(p, a.value);
      return true;
    case ActionType::kMeter:
      return Meter(p, reinterpret_cast<MeterState*>(a.value));
    case ActionType::kDecTtl:
      if (!PrepareEdit(p)) return false;
      if (!edit::DecTtl(rte_pktmbuf_mtod(p.m, uint8_t*), p.layout, p.key)) {
        if (ctx_.invalid_ttl_to_controller != nullptr &&
            ctx_.invalid_ttl_to_controller->load(std::memory_order_relaxed)) {
          ToController(p, kPacketInInvalidTtl, rule_ ? rule_->table_id : 0, rule_ ? rule_->rule->cookie : 0,
                       kMissSendLen);
        }
        Drop(p, DropReason::kTtlExpired);
        return false;
      }
      return true;
  }
  return true;
}

HASHI_ALWAYS_INLINE int Executor::RunRule(Packet& p, const RuleRef& ref, ActionSet& set) {
  RuleCounters& c = ref.counters[counter_slot_];
  Bump(c.packets);
  Bump(c.bytes, rte_pktmbuf_pkt_len(p.m));
  if (HASHI_LIKELY(ref.only_output != 0)) {
    OutputToPort(p, ref.only_output);
    return kNoGoto;
  }
  rule_ = &ref;
  for (uint16_t i = 0; i < ref.n_apply; ++i) {
    const Action& a = ref.apply[i];
    if (HASHI_LIKELY(a.type == ActionType::kOutput && a.port < kPortMax)) {
      OutputToPort(p, a.port);  // the common case, without Apply's dispatch
      continue;
    }
    if (!Apply(p, a)) return kStop;
  }
  if (HASHI_UNLIKELY(ref.clear_actions)) set.Reset();
  for (uint16_t i = 0; i < ref.n_write; ++i) set.Add(ref.write[i]);
  if (ref.write_metadata) p.key.SetMasked(Field::kMetadata, ref.metadata_value, ref.metadata_mask);
  return ref.goto_table;
}

void Executor::ExecuteSet(Packet& p, const ActionSet& set) {
  if (set.pop && !Apply(p, *set.pop)) return;
  if (set.push && !Apply(p, *set.push)) return;
  if (set.dec_ttl && !Apply(p, *set.dec_ttl)) return;
  for (uint8_t i = 0; i < set.nsets; ++i) {
    if (!Apply(p, *set.sets[i])) return;
  }
  if (set.group) {
    ExecuteGroup(p, set.group->value);  // a group in the action set overrides output
  } else if (set.output) {
    Apply(p, *set.output);
  }
}

// Polices p with a meter: false when a drop band applies (p is dropped). A
// DSCP_REMARK band adds its precedence level to the DSCP's drop precedence
// (the low bits of an AF code point), as RFC 2597 defines it.
bool Executor::Meter(Packet& p, MeterState* meter) {
  if (HASHI_UNLIKELY(meter == nullptr)) return true;  // deleted with the rule in flight
  const int band = meter->Police(rte_pktmbuf_pkt_len(p.m), rte_rdtsc());
  if (band < 0) return true;
  const MeterBand& b = meter->config().bands[static_cast<size_t>(band)];
  if (b.type == MeterBandType::kDrop) {
    Drop(p, DropReason::kMeterDrop);
    return false;
  }
  const uint64_t tos = p.key.Get(Field::kIpTos);
  const uint64_t type = p.key.Get(Field::kEthType);
  if ((type == kEthTypeIpv4 || type == kEthTypeIpv6) && b.prec_level != 0) {
    uint64_t dscp = tos >> 2;
    const uint64_t af_class = dscp >> 3, drop_prec = (dscp >> 1) & 3;  // AFxy = 8x + 2y
    if ((dscp & 1) == 0 && af_class >= 1 && af_class <= 4 && drop_prec >= 1) {
      const uint64_t raised = drop_prec + b.prec_level > 3 ? 3 : drop_prec + b.prec_level;
      dscp = af_class << 3 | raised << 1;
      if (!PrepareEdit(p)) return false;
      edit::SetField(rte_pktmbuf_mtod(p.m, uint8_t*), p.layout, p.key, Field::kIpTos, (dscp << 2) | (tos & 3));
    }
  }
  return true;
}

// Runs a bucket on its own view of the packet: a second reference to the
// same mbuf, so edits copy it first and never reach p or another bucket.
void Executor::RunBucket(const Packet& p, const BucketRef& b) {
  Packet q = p;
  q.pending = kNoSlotOut;
  q.outputs = 0;
  q.gone = false;
  rte_mbuf_refcnt_update(p.m, 1);
  for (uint16_t i = 0; i < b.n_actions && !q.gone; ++i) {
    if (!Apply(q, b.actions[i])) break;
  }
  Finish(q);
}

void Executor::ExecuteGroup(Packet& p, uint64_t index) {
  if (HASHI_UNLIKELY(index >= ts_.group_count())) {
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kNoSuchGroup)]);
    return;
  }
  const GroupRef& g = ts_.group(index);
  RuleCounters* gc = ts_.group_counters(ctx_.index) + g.counter_index;
  const uint32_t len = rte_pktmbuf_pkt_len(p.m);
  Bump(gc[0].packets);
  Bump(gc[0].bytes, len);
  p.outputs++;  // the group took the packet, even if no bucket outputs it
  int chosen = -1;
  switch (g.type) {
    case GroupType::kAll:
      for (uint16_t b = 0; b < g.n_buckets; ++b) {
        Bump(gc[1 + b].packets);
        Bump(gc[1 + b].bytes, len);
        RunBucket(p, g.buckets[b]);
      }
      return;
    case GroupType::kIndirect:
      chosen = g.n_buckets ? 0 : -1;
      break;
    case GroupType::kFastFailover:
      for (uint16_t b = 0; b < g.n_buckets && chosen < 0; ++b) {
        if (g.buckets[b].live) chosen = b;
      }
      break;
    case GroupType::kSelect:
      if (g.total_weight != 0) {
        const uint32_t pick = HashFullKey(p.key) % g.total_weight;
        for (uint16_t b = 0; b < g.n_buckets && chosen < 0; ++b) {
          if (g.buckets[b].live && pick < g.buckets[b].weight_end) chosen = b;
        }
      }
      break;
  }
  if (chosen < 0) {
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kGroupNoLiveBucket)]);
    return;
  }
  Bump(gc[1 + chosen].packets);
  Bump(gc[1 + chosen].bytes, len);
  RunBucket(p, g.buckets[chosen]);
}

void Executor::Miss(Packet& p, uint8_t table) {
  Bump(table_counters_[table].missed);
  switch (ts_.miss(table)) {
    case TableMiss::kController: ToController(p, kPacketInNoMatch, table, ~0ull, kMissSendLen); break;
    case TableMiss::kNormal: Normal(p); break;
    case TableMiss::kDrop:
    case TableMiss::kContinue:
      Drop(p, DropReason::kTableMiss);
      break;
  }
}

void Executor::Classify(Packet& p, const FlowKey* original, uint32_t hash, bool have_first,
                        const RuleRef* first) {
  const RuleRef* path[kEmcMaxDepth];
  uint8_t depth = 0;
  ActionSet set;
  set.Reset();
  int t = 0;
  for (;;) {
    const RuleRef* ref;
    if (t == 0 && have_first) {
      ref = first;
    } else {
      ref = ts_.Lookup(static_cast<uint8_t>(t), p.key);
    }
    if (ref == nullptr) {
      if (ts_.miss(static_cast<uint8_t>(t)) == TableMiss::kContinue && t + 1 < kMaxTables) {
        Bump(table_counters_[t].missed);
        ++t;
        continue;
      }
      Miss(p, static_cast<uint8_t>(t));
      if (original) ctx_.emc.MaybeInsert(*original, hash, ts_.version(), path, depth, static_cast<uint8_t>(t));
      return;
    }
    if (depth < kEmcMaxDepth) path[depth] = ref;
    ++depth;
    const int next = RunRule(p, *ref, set);
    if (next == kStop) return;
    if (next == kNoGoto) break;
    if (HASHI_UNLIKELY(next <= t)) {  // flow db forbids this; never loop
      Drop(p, DropReason::kPipelineTooDeep);
      return;
    }
    t = next;
  }
  ExecuteSet(p, set);
  if (original) ctx_.emc.MaybeInsert(*original, hash, ts_.version(), path, depth, kNoMissTable);
}

void Executor::Replay(Packet& p, const EmcEntry& e) {
  ActionSet set;
  set.Reset();
  for (uint8_t i = 0; i < e.depth; ++i) {
    if (RunRule(p, *e.path[i], set) == kStop) return;
  }
  if (e.miss_table != kNoMissTable) {
    Miss(p, e.miss_table);
  } else {
    ExecuteSet(p, set);
  }
}

// The burst runs in stages so that each stage's cache misses (packet data,
// EMC entries, classifier slots, rule entries) overlap across packets
// instead of stalling one packet at a time.
void Executor::ProcessBatch(Packet* pkts, uint16_t n, const uint64_t* tun_ids) {
  const EmcEntry* cached[kMaxBurst];
  const RuleRef* first[kMaxBurst];
  uint32_t hash[kMaxBurst];
  // Stage 1: parse.
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) HASHI_PREFETCH(rte_pktmbuf_mtod(pkts[i + 1].m, void*));
    Packet& p = pkts[i];
    const DropReason r = ParsePacket(rte_pktmbuf_mtod(p.m, const uint8_t*), rte_pktmbuf_data_len(p.m),
                                     p.in_port, &p.key, &p.layout);
    if (HASHI_UNLIKELY(r != DropReason::kCount)) Drop(p, r);
    if (tun_ids != nullptr) p.key.Set(Field::kTunnelId, tun_ids[i]);
  }
  // Stage 2: exact-match cache, unless it is being bypassed.
  const bool use_emc = ctx_.emc.Use(n);
  const uint64_t version = ts_.version();
  int prev = -1;  // the last live packet: bursts often repeat a flow
  for (uint16_t i = 0; i < n; ++i) {
    cached[i] = nullptr;
    first[i] = nullptr;
    if (pkts[i].gone || !use_emc) continue;
    if (prev >= 0 && pkts[i].key == pkts[prev].key) {
      hash[i] = hash[prev];
      cached[i] = cached[prev];
    } else {
      hash[i] = HashFullKey(pkts[i].key);
      cached[i] = ctx_.emc.Lookup(pkts[i].key, hash[i], version);
    }
    ctx_.emc.Record(cached[i] != nullptr);
    prev = i;
  }
  // Stage 3: table 0 for the misses: prefetch every first probe, then look up
  // and prefetch what executing the matched rule will touch.
  const TableSet::Levels t0s = ts_.levels(0);  // hoisted: one load per burst
  const bool t0 = ts_.has_table(0);
  if (t0) {
    if (t0s[0] != nullptr) {
      for (uint16_t i = 0; i < n; ++i) {
        if (!pkts[i].gone && cached[i] == nullptr) t0s[0]->Prefetch(pkts[i].key);
      }
    }
    for (uint16_t i = 0; i < n; ++i) {
      if (pkts[i].gone || cached[i] != nullptr) continue;
      first[i] = TableSet::LookupIn(t0s, pkts[i].key);
      if (first[i] != nullptr) HASHI_PREFETCH(first[i]);
    }
    for (uint16_t i = 0; i < n; ++i) {
      if (first[i] == nullptr) continue;
      HASHI_PREFETCH(&first[i]->counters[counter_slot_]);
      if (first[i]->only_output == 0) HASHI_PREFETCH(first[i]->apply);
    }
  }
  // Stage 4: execute and hand each packet to its outputs.
  const uint64_t inserts_before = ctx_.emc.inserts();
  for (uint16_t i = 0; i < n; ++i) {
    Packet& p = pkts[i];
    if (p.gone) continue;
    bool have_first = t0;
    if (cached[i] != nullptr && HASHI_UNLIKELY(ctx_.emc.inserts() != inserts_before) &&
        !Emc::StillHolds(cached[i], p.key, hash[i], version)) {
      // An earlier packet of this burst replaced the entry: look again.
      cached[i] = ctx_.emc.Lookup(p.key, hash[i], version);
      have_first = false;  // stage 3 skipped this packet
    }
    if (cached[i] != nullptr) {
      Bump(ctx_.stats.emc_hits);
      Replay(p, *cached[i]);
    } else if (use_emc) {
      Bump(ctx_.stats.classified);
      const FlowKey original = p.key;
      Classify(p, &original, hash[i], have_first, first[i]);
    } else {
      Bump(ctx_.stats.classified);
      Classify(p, nullptr, 0, t0, first[i]);
    }
    Finish(p);
  }
}

// Hands a processed packet to its last output, or frees it.
void Executor::Finish(Packet& p) {
  if (p.gone) return;
  if (p.pending != kNoSlotOut) {
    Deliver(p, p.pending);
  } else {
    if (p.outputs == 0) Bump(ctx_.stats.drops[static_cast<int>(DropReason::kNoAction)]);
    rte_pktmbuf_free(p.m);
  }
}

void Executor::RunPacketOut(Packet& p, const Action* actions, uint16_t n) {
  packet_out_ = true;
  for (uint16_t i = 0; i < n && !p.gone; ++i) {
    rule_ = nullptr;  // actions of the packet-out itself, not of a rule
    if (!Apply(p, actions[i])) break;
  }
  packet_out_ = false;
  Finish(p);
}

}  // namespace

bool ProcessPacketOut(WorkerContext& ctx, const TableSet& tables, const PortMap& ports, uint32_t in_port,
                      rte_mbuf* m, const Action* actions, uint16_t n, const tun::TunnelTable* tunnels) {
  Packet p;
  p.m = m;
  p.in_port = in_port;
  p.in_slot = ports.SlotOf(in_port);
  p.pending = kNoSlotOut;
  p.outputs = 0;
  p.gone = false;
  const DropReason r = ParsePacket(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                                   in_port, &p.key, &p.layout);
  if (r != DropReason::kCount) {
    Bump(ctx.stats.drops[static_cast<int>(r)]);
    rte_pktmbuf_free(m);
    return false;
  }
  Executor exec(ctx, tables, ports, tunnels);
  exec.RunPacketOut(p, actions, n);
  return true;
}

namespace {

// A burst from an uplink: decapsulate, then run the inner frames, each
// entering on its tunnel's port with its tunnel id.
void ProcessUplinkBurst(WorkerContext& ctx, const TableSet& tables, const PortMap& ports,
                        const tun::TunnelTable& tunnels, uint16_t rx_port, rte_mbuf** pkts, uint16_t n) {
  Executor exec(ctx, tables, ports, &tunnels);
  for (uint16_t base = 0; base < n; base += kMaxBurst) {
    const uint16_t count = static_cast<uint16_t>(n - base < kMaxBurst ? n - base : kMaxBurst);
    uint32_t in_ports[kMaxBurst];
    uint64_t tun_ids[kMaxBurst];
    const uint16_t kept = DecapBurst(ctx, tunnels, rx_port, pkts + base, count, in_ports, tun_ids);
    Packet batch[kMaxBurst];
    for (uint16_t i = 0; i < kept; ++i) {
      Packet& p = batch[i];
      p.m = pkts[base + i];
      p.in_port = in_ports[i];
      p.in_slot = ports.SlotOf(in_ports[i]);
      p.pending = kNoSlotOut;
      p.outputs = 0;
      p.gone = false;
    }
    if (kept) exec.ProcessBatch(batch, kept, tun_ids);
  }
}

}  // namespace

void ProcessBurst(WorkerContext& ctx, const TableSet& tables, const PortMap& ports,
                  uint16_t rx_port, rte_mbuf** pkts, uint16_t n, const tun::TunnelTable* tunnels) {
  PortCounters& pc = ctx.stats.ports[rx_port];
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  Bump(pc.rx_packets, n);
  Bump(pc.rx_bytes, bytes);
  Bump(ctx.stats.packets, n);

  if (tunnels != nullptr && tunnels->IsUplink(rx_port)) {
    ProcessUplinkBurst(ctx, tables, ports, *tunnels, rx_port, pkts, n);
    return;
  }
  const uint32_t in_port = ports.RxOfport(rx_port);
  if (HASHI_UNLIKELY(in_port == 0)) {
    Bump(ctx.stats.drops[static_cast<int>(DropReason::kNoSuchPort)], n);
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  const uint16_t in_slot = ports.SlotOf(in_port);
  Executor exec(ctx, tables, ports, tunnels);
  for (uint16_t base = 0; base < n; base += kMaxBurst) {
    const uint16_t count = static_cast<uint16_t>(n - base < kMaxBurst ? n - base : kMaxBurst);
    Packet batch[kMaxBurst];
    for (uint16_t i = 0; i < count; ++i) {
      Packet& p = batch[i];
      p.m = pkts[base + i];
      p.in_port = in_port;
      p.in_slot = in_slot;
      p.pending = kNoSlotOut;
      p.outputs = 0;
      p.gone = false;
    }
    exec.ProcessBatch(batch, count, nullptr);
  }
}

void FlushTx(WorkerContext& ctx) {
  uint32_t dirty = ctx.tx_dirty;
  while (dirty) {
    const int port = __builtin_ctz(dirty);
    dirty &= dirty - 1;
    TxBuffer& tb = ctx.tx[port];
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < tb.count; ++i) bytes += rte_pktmbuf_pkt_len(tb.pkts[i]);
    const bool own = (ctx.own_txq_ports >> port) & 1;
    uint16_t sent;
    if (HASHI_LIKELY(own)) {
      sent = rte_eth_tx_burst(static_cast<uint16_t>(port), ctx.txq, tb.pkts, tb.count);
    } else {  // control without a queue on this device: a worker sends them
      for (uint16_t i = 0; i < tb.count; ++i) tb.pkts[i]->port = static_cast<uint16_t>(port);
      sent = static_cast<uint16_t>(rte_ring_sp_enqueue_burst(ctx.tx_handoff, reinterpret_cast<void**>(tb.pkts),
                                                               tb.count, nullptr));
    }
    PortCounters& pc = ctx.stats.ports[port];
    if (HASHI_UNLIKELY(sent < tb.count)) {
      for (uint16_t i = sent; i < tb.count; ++i) bytes -= rte_pktmbuf_pkt_len(tb.pkts[i]);
      const uint16_t lost = tb.count - sent;
      rte_pktmbuf_free_bulk(tb.pkts + sent, lost);
      Bump(pc.tx_dropped, lost);
      Bump(ctx.stats.drops[static_cast<int>(DropReason::kTxFull)], lost);
    }
    Bump(pc.tx_packets, sent);
    Bump(pc.tx_bytes, bytes);
    tb.count = 0;
  }
  ctx.tx_dirty = 0;
}

void QueueForTx(WorkerContext& ctx, uint16_t eth_port, rte_mbuf* m) {
  TxBuffer& tb = ctx.tx[eth_port];
  if (tb.count == kTxBufferSize) FlushTx(ctx);
  tb.pkts[tb.count++] = m;
  ctx.tx_dirty |= 1u << eth_port;
}

void TakeInjected(WorkerContext& ctx) {
  rte_mbuf* pkts[kMaxBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(ctx.inject, reinterpret_cast<void**>(pkts), kMaxBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) QueueForTx(ctx, pkts[i]->port, pkts[i]);
}

void DiscardTx(WorkerContext& ctx) {
  for (auto& tb : ctx.tx) {
    if (tb.count) rte_pktmbuf_free_bulk(tb.pkts, tb.count);
    tb.count = 0;
  }
  ctx.tx_dirty = 0;
}

}  // namespace hashi::dp
