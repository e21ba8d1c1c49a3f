// Datapath: snapshot publication, worker launch and the poll-mode loop.
#include "dataplane/datapath.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_ring.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>

#include "common/compiler.h"
#include "common/log.h"
#include "common/per_lcore.h"
#include "dataplane/packet_in_meta.h"

namespace hashi::dp {

int g_packet_in_meta_offset = -1;

bool RegisterPacketInMeta() {
  if (g_packet_in_meta_offset >= 0) return true;
  static const rte_mbuf_dynfield desc = {"hashi_packet_in_meta", sizeof(PacketInMeta),
                                         alignof(PacketInMeta), 0};
  g_packet_in_meta_offset = rte_mbuf_dynfield_register(&desc);
  return g_packet_in_meta_offset >= 0;
}

namespace {

struct LaunchArg {
  Datapath* dp;
  unsigned worker;
};
LaunchArg g_launch_args[hashi::kMaxWorkers];

void DeletePortMap(void* p) { delete static_cast<PortMap*>(p); }
void DeleteTunnelTable(void* p) { delete static_cast<tun::TunnelTable*>(p); }

}  // namespace

Result<std::unique_ptr<Datapath>> Datapath::Create(unsigned num_workers) {
  if (num_workers == 0 || num_workers > hashi::kMaxWorkers) {
    return Status::Error("worker count " + std::to_string(num_workers) + " out of range 1.." +
                         std::to_string(hashi::kMaxWorkers));
  }
  if (!RegisterPacketInMeta()) {
    return Status::Error("rte_mbuf_dynfield_register(hashi_packet_in_meta): " + std::to_string(rte_errno));
  }
  auto rcu = dpdk::Rcu::Create(num_workers);
  if (!rcu.ok()) return rcu.status();
  std::unique_ptr<Datapath> dp(new Datapath(num_workers, std::move(rcu).value()));
  dp->set_tx_retry_ms(kDefaultTxRetryMs);
  dp->started_tsc_ = rte_rdtsc();
  static int instance = 0;
  const int id = instance++;
  // One packet-in ring per worker, and one for control's own context.
  for (unsigned w = 0; w <= num_workers; ++w) {
    auto ring = dpdk::Ring::Create("pktin" + std::to_string(id) + "_" + std::to_string(w), 1024,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring.ok()) return ring.status();
    (w < num_workers ? *dp->workers_[w] : *dp->control_).packet_in = ring->get();
    dp->packet_in_rings_.push_back(std::move(ring).value());
  }
  auto handoff = dpdk::Ring::Create("txhand" + std::to_string(id), 1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!handoff.ok()) return handoff.status();
  dp->control_->tx_handoff = handoff->get();
  dp->workers_[0]->inject = handoff->get();
  dp->handoff_rings_.push_back(std::move(handoff).value());
  // Start with an empty pipeline (table 0 misses to NORMAL) and no ports.
  std::array<TableMiss, kMaxTables> miss{};
  miss.fill(TableMiss::kDrop);
  miss[0] = TableMiss::kNormal;
  dp->tables_.store(TableSet::Build({}, miss, dp->counter_slots(), 1).release());
  dp->ports_.store(new PortMap());
  dp->tunnels_.store(new tun::TunnelTable(nullptr, nullptr));
  return dp;
}

Datapath::Datapath(unsigned num_workers, dpdk::Rcu rcu)
    : rcu_(std::move(rcu)) {
  for (unsigned w = 0; w < num_workers; ++w) {
    auto ctx = std::make_unique<WorkerContext>();
    ctx->index = w;
    ctx->txq = static_cast<uint16_t>(w);
    ctx->macs = &macs_;
    ctx->invalid_ttl_to_controller = &invalid_ttl_to_controller_;
    workers_.push_back(std::move(ctx));
  }
  control_ = std::make_unique<WorkerContext>();
  control_->index = num_workers;
  control_->txq = static_cast<uint16_t>(num_workers);
  control_->macs = &macs_;
  control_->invalid_ttl_to_controller = &invalid_ttl_to_controller_;
}

Datapath::~Datapath() {
  Stop();
  for (auto& w : workers_) DiscardTx(*w);
  DiscardTx(*control_);
  rte_mbuf* m[64];
  unsigned n;
  while ((n = DrainPacketIn(m, 64)) != 0) rte_pktmbuf_free_bulk(m, n);
  for (auto& ring : handoff_rings_) {
    while ((n = rte_ring_sc_dequeue_burst(ring.get(), reinterpret_cast<void**>(m), 64, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(m, n);
    }
  }
  rcu_.Drain();
  delete tables_.exchange(nullptr);
  delete ports_.exchange(nullptr);
  delete tunnels_.exchange(nullptr);
}

std::unique_ptr<TableSet> Datapath::PublishTables(std::unique_ptr<TableSet> ts) {
  const TableSet* old = tables_.exchange(ts.release(), std::memory_order_acq_rel);
  rcu_.Synchronize();
  return std::unique_ptr<TableSet>(const_cast<TableSet*>(old));
}

void Datapath::PublishPorts(std::unique_ptr<PortMap> pm) {
  const PortMap* old = ports_.exchange(pm.release(), std::memory_order_acq_rel);
  rcu_.DeferFree(const_cast<PortMap*>(old), DeletePortMap);
  rcu_.Reclaim();
}

void Datapath::PublishTunnels(std::unique_ptr<tun::TunnelTable> tt) {
  tt->Seal();
  const tun::TunnelTable* old = tunnels_.exchange(tt.release(), std::memory_order_acq_rel);
  rcu_.DeferFree(const_cast<tun::TunnelTable*>(old), DeleteTunnelTable);
  rcu_.Reclaim();
}

void Datapath::DrainControlHeld() {
  const PortMap* pm = ports();
  if (pm->flush_slots().empty()) return;
  DrainHeld(*control_, *tables(), *pm, tunnels());
  FlushTx(*control_);
}

void Datapath::ResetPortCounters(uint16_t index) {
  counter_base_[index] = PortCounters{};
  counter_base_[index] = PortTotals(index);
}

void Datapath::set_tx_retry_ms(uint32_t ms) {
  for (auto& w : workers_) w->tx_retry_cycles = rte_get_tsc_hz() / 1000 * ms;
}

bool Datapath::PollOnce(unsigned w) {
  WorkerContext& ctx = *workers_[w];
  const uint64_t start = rte_rdtsc();
  ctx.now_sec = static_cast<uint32_t>(start / rte_get_tsc_hz());
  if (HASHI_LIKELY(ctx.stats.last_loop_tsc != 0) &&
      start - ctx.stats.last_loop_tsc > __atomic_load_n(&ctx.stats.max_gap_cycles, __ATOMIC_RELAXED)) {
    __atomic_store_n(&ctx.stats.max_gap_cycles, start - ctx.stats.last_loop_tsc, __ATOMIC_RELAXED);
  }
  ctx.stats.last_loop_tsc = start;
  const TableSet* ts = tables_.load(std::memory_order_acquire);
  const PortMap* pm = ports_.load(std::memory_order_acquire);
  const tun::TunnelTable* tt = tunnels_.load(std::memory_order_acquire);
  bool busy = false;
  if (ctx.inject != nullptr && !rte_ring_empty(ctx.inject)) TakeInjected(ctx);
  if (HASHI_UNLIKELY(ctx.tx_backlog != 0)) RehomeBacklog(ctx, *pm);
  if (HASHI_UNLIKELY(!pm->flush_slots().empty())) DrainHeld(ctx, *ts, *pm, tt);
  for (const RxQueueRef& q : pm->rx_queues(w)) {
    rte_mbuf* pkts[kMaxBurst];
    const uint16_t n = rte_eth_rx_burst(q.port, q.queue, pkts, kMaxBurst);
    if (n == 0) continue;
    busy = true;
    ProcessBurst(ctx, *ts, *pm, q.port, pkts, n, tt);
  }
  FlushTx(ctx);
  Bump(ctx.stats.loops);
  if (busy) {
    const uint64_t cycles = rte_rdtsc() - start;
    Bump(ctx.stats.busy_loops);
    Bump(ctx.stats.busy_cycles, cycles);
    if (cycles > ctx.stats.max_loop_cycles) {
      __atomic_store_n(&ctx.stats.max_loop_cycles, cycles, __ATOMIC_RELAXED);
    }
  }
  if (ctx.stats.snapshot_version != ts->version()) {
    __atomic_store_n(&ctx.stats.snapshot_version, ts->version(), __ATOMIC_RELAXED);
  }
  // A port still moving keeps the worker polling flat out, as does a device
  // that refused packets (they are retried every loop).
  return busy || ctx.tx_backlog != 0 || !pm->flush_slots().empty();
}

void Datapath::RunWorker(unsigned w) {
  if (Status s = rcu_.Register(w); !s.ok()) {
    HASHI_LOG_ERROR("worker", "%s", s.message().c_str());
    return;
  }
  HASHI_LOG_INFO("worker", "worker %u on lcore %u polls %zu rx queues", w, rte_lcore_id(),
                 ports()->rx_queues(w).size());
  // Adaptive polling (as OVS's pmd-maxsleep): after kSpinLoops empty loops
  // the worker sleeps 1 us, then twice as long each further empty loop, up
  // to max_sleep_us_; the first loop with work resets it. While asleep it is
  // offline for RCU, so publishers never wait on a sleeping worker.
  constexpr unsigned kSpinLoops = 200;
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 1 us: the default 50 us would stretch every sleep
  WorkerContext& ctx = *workers_[w];
  unsigned empty = 0;
  uint32_t sleep_us = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    const bool work = PollOnce(w);
    rcu_.Quiescent(w);
    if (work || max_sleep_us_ == 0) {
      empty = 0;
      sleep_us = 0;
      continue;
    }
    if (++empty < kSpinLoops) continue;
    sleep_us = sleep_us == 0 ? 1 : std::min(sleep_us * 2, max_sleep_us_);
    rcu_.Offline(w);
    const uint64_t before = rte_rdtsc();
    const timespec ts{0, static_cast<long>(sleep_us) * 1000};
    nanosleep(&ts, nullptr);
    const uint64_t after = rte_rdtsc();
    rcu_.Online(w);
    Bump(ctx.stats.sleeps);
    Bump(ctx.stats.sleep_cycles, after - before);
    ctx.stats.last_loop_tsc = after;  // a chosen sleep is not a gap in polling
  }
  rcu_.Unregister(w);
}

int Datapath::WorkerMain(void* arg) {
  auto* a = static_cast<LaunchArg*>(arg);
  a->dp->RunWorker(a->worker);
  return 0;
}

Status Datapath::Start(const std::vector<unsigned>& lcores) {
  if (lcores.size() != workers_.size()) {
    return Status::Error("need " + std::to_string(workers_.size()) + " worker lcores, got " +
                         std::to_string(lcores.size()));
  }
  stop_.store(false);
  for (unsigned w = 0; w < lcores.size(); ++w) {
    g_launch_args[w] = LaunchArg{this, w};
    const int ret = rte_eal_remote_launch(WorkerMain, &g_launch_args[w], lcores[w]);
    if (ret != 0) {
      Stop();
      return Status::Error("rte_eal_remote_launch(lcore " + std::to_string(lcores[w]) +
                           "): " + std::to_string(ret));
    }
    lcores_.push_back(lcores[w]);
  }
  running_ = true;
  return Status::Ok();
}

void Datapath::ClearLoopMaxima() {
  for (auto& w : workers_) {
    __atomic_store_n(&w->stats.max_loop_cycles, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&w->stats.max_gap_cycles, 0, __ATOMIC_RELAXED);
  }
}

void Datapath::Stop() {
  stop_.store(true);
  for (unsigned lcore : lcores_) rte_eal_wait_lcore(lcore);
  lcores_.clear();
  running_ = false;
}

unsigned Datapath::DrainPacketIn(rte_mbuf** out, unsigned max) {
  unsigned total = 0;
  for (auto& ring : packet_in_rings_) {
    if (total == max) break;
    total += rte_ring_sc_dequeue_burst(ring.get(), reinterpret_cast<void**>(out + total),
                                       max - total, nullptr);
  }
  return total;
}

DatapathTotals Datapath::Totals() const {
  DatapathTotals t{};
  for (unsigned i = 0; i <= workers_.size(); ++i) {
    const WorkerStats& s = i < workers_.size() ? workers_[i]->stats : control_->stats;
    for (int r = 0; r < kDropReasonCount; ++r) t.drops[r] += ReadCounter(s.drops[r]);
    t.packets += ReadCounter(s.packets);
    t.emc_hits += ReadCounter(s.emc_hits);
    t.classified += ReadCounter(s.classified);
    t.held += ReadCounter(s.held);
    t.packet_in += ReadCounter(s.packet_in);
    t.loops += ReadCounter(s.loops);
    t.busy_loops += ReadCounter(s.busy_loops);
    t.busy_cycles += ReadCounter(s.busy_cycles);
    t.sleeps += ReadCounter(s.sleeps);
    t.sleep_cycles += ReadCounter(s.sleep_cycles);
    t.max_loop_cycles = std::max(t.max_loop_cycles, ReadCounter(s.max_loop_cycles));
    t.max_gap_cycles = std::max(t.max_gap_cycles, ReadCounter(s.max_gap_cycles));
  }
  for (uint16_t p = 0; p < kMaxCounterPorts; ++p) t.ports[p] = PortTotals(p);
  return t;
}

PortCounters Datapath::PortTotals(uint16_t index) const {
  PortCounters t{};
  for (unsigned i = 0; i <= workers_.size(); ++i) {
    AddPortCounters(t, (i < workers_.size() ? workers_[i]->stats : control_->stats).ports[index]);
  }
  AddPortCounters(t, counter_base_[index], -1);
  return t;
}

}  // namespace hashi::dp
