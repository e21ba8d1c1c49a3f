// PortMove: per-context hold rings of (mbuf, TSC) pairs and their bound.
#include "dataplane/port_move.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>

namespace hashi::dp {

Result<std::unique_ptr<PortMove>> PortMove::Create(unsigned contexts, HoldLimits limits) {
  if (limits.max_packets == 0 || limits.max_ms == 0) {
    return Status::Error("hold limits must be at least one packet and one millisecond");
  }
  static std::atomic<unsigned> next_id{0};
  const unsigned id = next_id.fetch_add(1);
  const uint64_t max_age = rte_get_tsc_hz() / 1000 * limits.max_ms;
  std::unique_ptr<PortMove> move(new PortMove(limits, max_age, contexts));
  for (unsigned c = 0; c < contexts; ++c) {
    // Each ring can take the whole bound, so the shared count decides.
    auto ring = dpdk::Ring::Create("hold" + std::to_string(id) + "_" + std::to_string(c), limits.max_packets,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ, sizeof(HeldPacket));
    if (!ring.ok()) return ring.status();
    move->rings_.push_back(std::move(ring).value());
  }
  return move;
}

PortMove::~PortMove() {
  for (unsigned c = 0; c < rings_.size(); ++c) {
    HeldPacket h[32];
    unsigned n;
    while ((n = Peek(c, h, 32)) != 0) {
      for (unsigned i = 0; i < n; ++i) rte_pktmbuf_free(h[i].m);
      Release(c, n);
    }
  }
}

bool PortMove::Hold(unsigned ctx, rte_mbuf* m, uint64_t now_tsc) {
  if (count_.fetch_add(1, std::memory_order_relaxed) >= limits_.max_packets) {
    count_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  HeldPacket e{m, now_tsc};
  if (rte_ring_sp_enqueue_elem(rings_[ctx].get(), &e, sizeof(e)) != 0) {  // cannot happen: sized to the bound
    count_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

unsigned PortMove::Peek(unsigned ctx, HeldPacket* out, unsigned n) {
  if (n > 32) n = 32;
  return rte_ring_dequeue_burst_elem_start(rings_[ctx].get(), out, sizeof(HeldPacket), n, nullptr);
}

void PortMove::Release(unsigned ctx, unsigned k) {
  rte_ring_dequeue_elem_finish(rings_[ctx].get(), k);
  if (k) count_.fetch_sub(k, std::memory_order_relaxed);
}

MoveCounters PortMove::Totals() const {
  MoveCounters t{};
  for (const MoveCounters& c : counters_) {
    auto read = [](const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); };
    t.held += read(c.held);
    t.queued += read(c.queued);
    t.flushed += read(c.flushed);
    t.expired += read(c.expired);
    t.overflow += read(c.overflow);
    t.forwarded += read(c.forwarded);
    auto earliest = [](uint64_t& into, uint64_t v) {
      if (v != 0 && (into == 0 || v < into)) into = v;
    };
    earliest(t.first_flush_tsc, read(c.first_flush_tsc));
    earliest(t.first_tunnel_tsc, read(c.first_tunnel_tsc));
  }
  return t;
}

}  // namespace hashi::dp
