// The per-burst fast path: uplink decap, the in_port-only shortcut, parse,
// exact-match cache, table pipeline and tx buffering (the actions are in
// pipeline_actions.cc). Nothing here allocates from the heap, locks, throws
// or logs; the only allocations are mbuf copies from the packet's own
// mempool when an edit must not be seen by an earlier output.
#include "dataplane/pipeline.h"

#include <cstring>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dataplane/executor.h"
#include "dataplane/packet_parser.h"
#include "dataplane/tunnel_path.h"

namespace hashi::dp {
namespace detail {
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
uint16_t Executor::ForwardByInPort(Packet* pkts, uint16_t n, uint64_t* tun_ids) {
  uint32_t port = 0;
  const RuleRef* ref = nullptr;
  // Where ref's output goes, resolved once per run: a local device, a
  // tunnel, or (anything else) the general output path.
  const PortBinding* local = nullptr;
  const tun::TunnelEntry* tunnel = nullptr;
  uint64_t run_packets = 0, run_bytes = 0;  // counted for ref, added when ref changes
  auto settle = [&] {
    if (run_packets == 0) return;
    RuleCounters& c = ref->counters[counter_slot_];
    Bump(c.packets, run_packets);
    Bump(c.bytes, run_bytes);
    run_packets = run_bytes = 0;
  };
  uint16_t left = 0, forwarded = 0;
  for (uint16_t i = 0; i < n; ++i) {
    Packet& p = pkts[i];
    if (p.in_port != port || i == 0) {
      settle();
      FlowKey k;
      k.Clear();
      k.Set(Field::kInPort, p.in_port);
      ref = ts_.Lookup(0, k);
      port = p.in_port;
      local = nullptr;
      tunnel = nullptr;
      const uint16_t s = ref != nullptr && ref->only_output != port ? ports_.SlotOf(ref->only_output) : kNoSlot;
      if (s != kNoSlot) {
        const PortBinding& b = ports_.slot(s);
        if (b.kind == BindingKind::kLocal && b.move == nullptr && b.admin_up) local = &b;
        if (b.kind == BindingKind::kTunnel && b.admin_up && tunnels_ != nullptr) tunnel = tunnels_->FindByOfport(b.ofport);
      }
    }
    if (HASHI_UNLIKELY(ref == nullptr)) {  // a miss: the full path decides
      if (tun_ids != nullptr) tun_ids[left] = tun_ids[i];
      pkts[left++] = p;
      continue;
    }
    if (i + 1 < n) HASHI_PREFETCH(rte_pktmbuf_mtod(pkts[i + 1].m, void*));
    DropReason r;
    {  // validation only: the rule reads no field, so the key is scratch
      FlowKey scratch;
      PacketLayout scratch_layout;
      r = ParsePacket(rte_pktmbuf_mtod(p.m, const uint8_t*), rte_pktmbuf_data_len(p.m), p.in_port, &scratch,
                      &scratch_layout);
    }
    if (HASHI_UNLIKELY(r != DropReason::kCount)) {
      Drop(p, r);
      continue;
    }
    const uint64_t tun_id = tun_ids != nullptr ? tun_ids[i] : 0;
    ++run_packets;
    run_bytes += rte_pktmbuf_pkt_len(p.m);
    ++forwarded;
    if (tunnel != nullptr) {
      Encapsulate(*tunnel, p.m, tun_id);
    } else if (local != nullptr) {
      QueueTx(local->eth_port, p.m);
    } else {  // down, moving, unknown or the ingress port: as the full path does it
      p.key.Set(Field::kTunnelId, tun_id);  // all that delivery reads
      OutputToPort(p, ref->only_output);
      Finish(p);
    }
  }
  settle();
  Bump(ctx_.stats.classified, forwarded);
  return left;
}

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

}  // namespace detail

using detail::Executor;
using detail::Packet;
using detail::kNoSlotOut;

bool ProcessPacketOut(WorkerContext& ctx, const TableSet& tables, const PortMap& ports, uint32_t in_port,
                      rte_mbuf* m, const Action* actions, uint16_t n, const tun::TunnelTable* tunnels) {
  Packet p;
  p.Start(m, in_port, ports.SlotOf(in_port));
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
    uint16_t kept = DecapBurst(ctx, tunnels, rx_port, pkts + base, count, in_ports, tun_ids);
    Packet batch[kMaxBurst];
    uint16_t live = 0;
    for (uint16_t i = 0; i < kept; ++i) {
      const uint16_t slot = ports.SlotOf(in_ports[i]);
      if (HASHI_UNLIKELY(slot == kNoSlot || !ports.slot(slot).receive)) {  // unbound, or OFPPC_NO_RECV
        Bump(ctx.stats.drops[static_cast<int>(DropReason::kNoSuchPort)]);
        rte_pktmbuf_free(pkts[base + i]);
        continue;
      }
      batch[live].Start(pkts[base + i], in_ports[i], slot);
      tun_ids[live++] = tun_ids[i];
    }
    kept = live;
    const uint16_t left = tables.in_port_only() ? exec.ForwardByInPort(batch, kept, tun_ids) : kept;
    if (left) exec.ProcessBatch(batch, left, tun_ids);
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
    for (uint16_t i = 0; i < count; ++i) batch[i].Start(pkts[base + i], in_port, in_slot);
    const uint16_t left = tables.in_port_only() ? exec.ForwardByInPort(batch, count, nullptr) : count;
    if (left) exec.ProcessBatch(batch, left, nullptr);
  }
}

void DrainHeld(WorkerContext& ctx, const TableSet& tables, const PortMap& ports,
               const tun::TunnelTable* tunnels) {
  Executor exec(ctx, tables, ports, tunnels);
  exec.DrainHeld();
}

void FlushTx(WorkerContext& ctx) {
  uint32_t dirty = ctx.tx_dirty;
  while (dirty) {
    const int port = __builtin_ctz(dirty);
    dirty &= dirty - 1;
    FlushPort(ctx, static_cast<uint16_t>(port));
  }
}

namespace {

// Port port's buffer is empty now (sent, dropped or moved elsewhere).
void Emptied(WorkerContext& ctx, uint16_t port) {
  ctx.tx[port].count = 0;
  ctx.tx[port].refused = 0;
  ctx.tx_dirty &= ~(1u << port);
  ctx.tx_backlog &= ~(1u << port);
}

}  // namespace

void FlushPort(WorkerContext& ctx, uint16_t port) {
  TxBuffer& tb = ctx.tx[port];
  uint16_t sent = 0;
  if (tb.count != 0) {
    if (HASHI_LIKELY((ctx.own_txq_ports >> port) & 1)) {
      sent = rte_eth_tx_burst(port, ctx.txq, tb.pkts, tb.count);
    } else {  // control without a queue on this device: a worker sends them
      for (uint16_t i = 0; i < tb.count; ++i) tb.pkts[i]->port = port;
      sent = static_cast<uint16_t>(rte_ring_sp_enqueue_burst(ctx.tx_handoff, reinterpret_cast<void**>(tb.pkts),
                                                               tb.count, nullptr));
    }
  }
  PortCounters& pc = ctx.stats.ports[port];
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; ++i) bytes += rte_pktmbuf_pkt_len(tb.pkts[i]);
  Bump(pc.tx_packets, sent);
  Bump(pc.tx_bytes, bytes);
  if (HASHI_LIKELY(sent == tb.count)) return Emptied(ctx, port);
  // The device refused some: keep them, in order, unless it has taken
  // nothing for too long (or this context does not retry).
  const uint16_t left = tb.count - sent;
  const uint64_t now = rte_rdtsc();
  if (sent != 0 || tb.refused == 0) tb.progress_tsc = now;
  if (ctx.tx_retry_cycles == 0 || now - tb.progress_tsc > ctx.tx_retry_cycles) {
    rte_pktmbuf_free_bulk(tb.pkts + sent, left);
    CountTxFull(ctx, port, left);
    return Emptied(ctx, port);
  }
  const uint16_t seen = tb.refused > sent ? tb.refused - sent : 0;  // refused before, still here
  Bump(pc.tx_refused, left - seen);
  if (sent != 0) memmove(tb.pkts, tb.pkts + sent, left * sizeof(rte_mbuf*));
  tb.count = left;
  tb.refused = left;
  ctx.tx_dirty |= 1u << port;
  ctx.tx_backlog |= 1u << port;
}

void RehomeBacklog(WorkerContext& ctx, const PortMap& ports) {
  uint32_t backlog = ctx.tx_backlog;
  while (backlog) {
    const uint16_t port = static_cast<uint16_t>(__builtin_ctz(backlog));
    backlog &= backlog - 1;
    const PortBinding* b = ports.Find(ports.RxOfport(port));
    if (b == nullptr || b->move == nullptr || b->eth_port != port) continue;
    if (b->kind == BindingKind::kLocal && !b->hold_all) continue;  // a settling move: the buffer retries
    if (b->move->pending(ctx.index)) continue;  // newer packets wait there already: cannot go behind them
    const TxBuffer& tb = ctx.tx[port];
    const uint64_t now = rte_rdtsc();
    for (uint16_t i = 0; i < tb.count; ++i) detail::HoldInMove(ctx, *b->move, tb.pkts[i], now, true);
    Emptied(ctx, port);
  }
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
    tb.refused = 0;
  }
  ctx.tx_dirty = 0;
  ctx.tx_backlog = 0;
}

}  // namespace hashi::dp
