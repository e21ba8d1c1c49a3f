// Actions on the fast path: outputs and delivery (local, hold, tunnel),
// set-field and VLAN edits, dec_ttl, groups, meters, NORMAL and FLOOD,
// packet-in, and table-miss behaviour (see executor.h).
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dataplane/executor.h"
#include "dataplane/packet_edit.h"
#include "dataplane/packet_in_meta.h"

namespace hashi::dp::detail {

// Encapsulates m for the tunnel on OpenFlow port ofport (Encapsulate).
void Executor::DeliverTunnel(uint32_t ofport, rte_mbuf* m, uint64_t tun_id) {
  if (HASHI_UNLIKELY(ofport != last_tunnel_port_)) {  // a burst mostly goes to one tunnel
    last_tunnel_ = tunnels_ != nullptr ? tunnels_->FindByOfport(ofport) : nullptr;
    last_tunnel_port_ = ofport;
  }
  if (HASHI_UNLIKELY(last_tunnel_ == nullptr)) return DropMbuf(m, DropReason::kNoSuchPort);
  Encapsulate(*last_tunnel_, m, tun_id);
}

void Executor::DivertUntilResolved(const tun::TunnelEntry& t, rte_mbuf* m) {
  m->hash.usr = t.next_hop;  // read by the tunnel manager
  m->port = t.uplink_port;
  if (rte_ring_mp_enqueue(tunnels_->pending(), m) != 0) DropMbuf(m, DropReason::kTunnelArpQueueFull);
}

void Executor::DeliverSlow(const PortBinding& b, rte_mbuf* m) {
  if (!b.admin_up) return DropMbuf(m, DropReason::kPortDown);
  switch (b.kind) {
    case BindingKind::kHold:
      return HoldPacket(*b.move, m, true);
    case BindingKind::kReserved:
      return DropMbuf(m, DropReason::kPortReserved);
    case BindingKind::kRemote:
      if (b.move != nullptr) {
        if (b.move->pending(ctx_.index)) return HoldPacket(*b.move, m, true);  // behind what still waits
        Bump(b.move->counters(ctx_.index).forwarded);
      }
      return DeliverTunnel(b.remote_tunnel, m, b.remote_key);
    case BindingKind::kLocal:  // a move still attached: through the ring, so the device may push back
      if (b.move != nullptr) {
        if (b.hold_all) return HoldPacket(*b.move, m, false);
        if (b.move->pending(ctx_.index)) return HoldPacket(*b.move, m, true);  // behind what still waits
      }
      return QueueTx(b.eth_port, m);
    case BindingKind::kTunnel:  // up tunnels take the fast path
      return DeliverTunnel(b.ofport, m, 0);
  }
}

void Executor::DrainHeld() {
  for (const uint16_t s : ports_.flush_slots()) {
    const PortBinding& b = ports_.slot(s);
    if (!b.move->pending(ctx_.index)) continue;
    if (b.kind == BindingKind::kLocal) {
      DrainToDevice(b, *b.move);
    } else {
      DrainToTunnel(b, *b.move);
    }
  }
}

// Sends held packets straight to the device, a batch at a time while it
// takes them all. What it refuses (a vhost queue not ready yet, a full guest
// ring) stays held, in order, for the next loop; newer packets queue behind
// (DeliverSlow).
void Executor::DrainToDevice(const PortBinding& b, PortMove& move) {
  for (int batch = 0; batch < 8; ++batch) {
    if (DrainBatchToDevice(b, move) < kMaxBurst) return;
  }
}

// One batch; returns how many packets it took off the ring (sent or dropped).
unsigned Executor::DrainBatchToDevice(const PortBinding& b, PortMove& move) {
  MoveCounters& c = move.counters(ctx_.index);
  HeldPacket h[kMaxBurst];
  const unsigned n = move.Peek(ctx_.index, h, kMaxBurst);
  const uint64_t now = rte_rdtsc();
  unsigned expired = 0;
  while (expired < n && now - h[expired].tsc > move.max_age_cycles()) {  // oldest first
    DropMbuf(h[expired].m, DropReason::kHoldExpired);
    Bump(c.expired);
    ++expired;
  }
  rte_mbuf* pkts[kMaxBurst];
  uint64_t bytes = 0;
  for (unsigned i = expired; i < n; ++i) {
    pkts[i - expired] = h[i].m;
    bytes += rte_pktmbuf_pkt_len(h[i].m);
  }
  const uint16_t want = static_cast<uint16_t>(n - expired);
  uint16_t sent;
  if (!b.admin_up) {  // dropped as any output to a down port is, not flushed
    rte_pktmbuf_free_bulk(pkts, want);
    Bump(ctx_.stats.drops[static_cast<int>(DropReason::kPortDown)], want);
    move.Release(ctx_.index, n);
    return n;
  }
  if ((ctx_.own_txq_ports >> b.eth_port) & 1) {
    if (ctx_.tx_dirty & (1u << b.eth_port)) {  // nothing queued earlier may follow
      FlushPort(ctx_, b.eth_port);
      if (ctx_.tx[b.eth_port].count != 0) {  // the device still refuses those: everything here waits
        move.Release(ctx_.index, expired);
        return 0;
      }
    }
    sent = rte_eth_tx_burst(b.eth_port, ctx_.txq, pkts, want);
    for (uint16_t i = sent; i < want; ++i) bytes -= rte_pktmbuf_pkt_len(pkts[i]);
    PortCounters& pc = ctx_.stats.ports[b.eth_port];
    Bump(pc.tx_packets, sent);
    Bump(pc.tx_bytes, bytes);
  } else {  // control without its own queue: the handoff keeps the order
    for (uint16_t i = 0; i < want; ++i) QueueTx(b.eth_port, pkts[i]);
    sent = want;
  }
  if (sent != 0) {
    Bump(c.flushed, sent);
    if (c.first_flush_tsc == 0) Bump(c.first_flush_tsc, now);
  }
  move.Release(ctx_.index, expired + sent);
  return expired + sent;
}

// Held packets for a moved VM go into its tunnel, all at once (the uplink
// queues them; the destination holds them until the VM runs there).
void Executor::DrainToTunnel(const PortBinding& b, PortMove& move) {
  MoveCounters& c = move.counters(ctx_.index);
  HeldPacket h[kMaxBurst];
  unsigned n;
  while ((n = move.Peek(ctx_.index, h, kMaxBurst)) != 0) {
    const uint64_t now = rte_rdtsc();
    for (unsigned i = 0; i < n; ++i) {
      if (now - h[i].tsc > move.max_age_cycles()) {
        DropMbuf(h[i].m, DropReason::kHoldExpired);
        Bump(c.expired);
        continue;
      }
      if (!b.admin_up) {
        DropMbuf(h[i].m, DropReason::kPortDown);
        continue;
      }
      Bump(c.flushed);
      Bump(c.forwarded);
      if (c.first_flush_tsc == 0) Bump(c.first_flush_tsc, now);
      if (c.first_tunnel_tsc == 0) Bump(c.first_tunnel_tsc, now);
      DeliverTunnel(b.remote_tunnel, h[i].m, b.remote_key);
    }
    move.Release(ctx_.index, n);
  }
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

// A moving VM's port bound Hold or Remote leads into the tunnel to its new
// host: a frame that came out of that tunnel must not go back into it (B
// would learn the VM's MAC behind the tunnel, and NORMAL could loop).
static inline bool LeadsBackInto(const PortBinding& b, uint32_t in_port) {
  return (b.kind == BindingKind::kRemote || b.kind == BindingKind::kHold) && b.remote_tunnel != 0 &&
         b.remote_tunnel == in_port;
}

void Executor::Flood(Packet& p, bool all) {
  const uint16_t n = ports_.slot_count();
  for (uint16_t s = 0; s < n; ++s) {
    if (s == p.in_slot) continue;
    const PortBinding& b = ports_.slot(s);
    if (!b.admin_up || (!all && !b.flood)) continue;
    if (HASHI_UNLIKELY(b.kind != BindingKind::kLocal) &&
        (b.kind == BindingKind::kReserved || LeadsBackInto(b, p.in_port))) {
      continue;  // a VM expected here (Reserved) is no flood member yet, nor a port leading back
    }
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
    if (s == kNoSlot) {
      Flood(p, false);
    } else if (HASHI_UNLIKELY(LeadsBackInto(ports_.slot(s), p.in_port))) {
      Bump(ctx_.stats.drops[static_cast<int>(DropReason::kTunnelHairpin)]);
      p.outputs++;  // counted here, not as "no action" too
    } else {
      Emit(p, s);
    }
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

}  // namespace hashi::dp::detail
