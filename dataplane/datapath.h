// Datapath: the shared state between control and the workers, and the worker
// lcores' life cycle.
//
// It owns the published snapshots (TableSet, PortMap, TunnelTable), the RCU domain that
// tells control when an old snapshot is no longer read, the shared MAC
// learning table, and one WorkerContext per worker. Control publishes with
// PublishTables/PublishPorts (one release store each); workers load both once
// per burst. A worker polls the (DPDK port, rx queue) pairs the PortMap assigns it,
// flushes its tx buffers and reports a quiescent state every loop.
//
// Threads: every method not marked "worker" is for the control thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "dataplane/dpdk/rcu.h"
#include "dataplane/dpdk/ring.h"
#include "dataplane/mac_table.h"
#include "dataplane/pipeline.h"
#include "dataplane/port_map.h"
#include "dataplane/table_set.h"

namespace hashi::dp {

inline constexpr uint32_t kDefaultTxRetryMs = 500;
inline constexpr uint32_t kDefaultMaxSleepUs = 200;

// Totals over all workers, read by control.
struct DatapathTotals {
  PortCounters ports[kMaxCounterPorts];
  uint64_t drops[kDropReasonCount];
  uint64_t packets, emc_hits, classified, held, packet_in, loops, busy_loops, busy_cycles, sleeps, sleep_cycles;
  uint64_t max_loop_cycles, max_gap_cycles;
};

class Datapath {
 public:
  static Result<std::unique_ptr<Datapath>> Create(unsigned num_workers);
  ~Datapath();

  unsigned num_workers() const { return static_cast<unsigned>(workers_.size()); }
  // The tx queue control uses on every port (one past the workers').
  uint16_t control_txq() const { return static_cast<uint16_t>(workers_.size()); }
  WorkerContext& worker(unsigned i) { return *workers_[i]; }
  const WorkerContext& worker(unsigned i) const { return *workers_[i]; }
  // Control's own context (packet-out): counter slot and tx queue num_workers.
  WorkerContext& control_context() { return *control_; }
  // Tells control's context whether DPDK port eth_port has its tx queue
  // (control_txq()); without one, control's packets go out through worker 0.
  void SetControlTxQueue(uint16_t eth_port, bool present) {
    if (present) control_->own_txq_ports |= 1u << eth_port;
    else control_->own_txq_ports &= ~(1u << eth_port);
  }
  // Per-rule counter arrays a TableSet needs: one per worker plus control's.
  unsigned counter_slots() const { return num_workers() + 1; }
  // Whether workers send packets whose TTL expires to the controller.
  void set_invalid_ttl_to_controller(bool on) { invalid_ttl_to_controller_.store(on); }
  // Adaptive polling: a worker whose queues stay empty sleeps in growing
  // steps of at most max_us (0: it never sleeps, pure busy polling); any
  // packet, held packet or refused transmit makes it poll flat out again.
  // Set before Start().
  void set_max_sleep_us(uint32_t max_us) { max_sleep_us_ = max_us; }
  uint32_t max_sleep_us() const { return max_sleep_us_; }
  // How long workers keep retrying packets a device refuses while it takes
  // nothing (pipeline.h kTxBacklogMax); 0 drops them at once. Before Start().
  void set_tx_retry_ms(uint32_t ms);
  MacTable& macs() { return macs_; }
  dpdk::Rcu& rcu() { return rcu_; }


  // Publishes ts, waits for a grace period and returns the previous TableSet,
  // which no worker reads any more (its counters are final).
  std::unique_ptr<TableSet> PublishTables(std::unique_ptr<TableSet> ts);
  // Publishes pm; the previous map is freed through the RCU defer queue.
  void PublishPorts(std::unique_ptr<PortMap> pm);
  // Publishes tt the same way (the tunnel manager's snapshot).
  void PublishTunnels(std::unique_ptr<tun::TunnelTable> tt);
  const tun::TunnelTable* tunnels() const { return tunnels_.load(std::memory_order_acquire); }
  // Sends what control's own context (packet-out) held for a port whose move
  // has ended; the migration code calls it while a move settles.
  void DrainControlHeld();
  // Makes the port counters in slot `index` read zero from now on (a tunnel
  // port reusing the slot of a deleted one starts from zero).
  void ResetPortCounters(uint16_t index);
  const TableSet* tables() const { return tables_.load(std::memory_order_acquire); }
  const PortMap* ports() const { return ports_.load(std::memory_order_acquire); }

  // Launches worker i on each lcore in lcores (same length as num_workers).
  Status Start(const std::vector<unsigned>& lcores);
  // Asks workers to stop, waits for them, and frees what they still queue.
  void Stop();
  bool running() const { return running_; }
  // TSC when the Datapath was made (for busy and idle shares).
  uint64_t started_tsc() const { return started_tsc_; }

  // Runs one poll iteration of worker w on the calling thread (tests and
  // single-threaded tools use this instead of Start()). Returns whether it
  // had work: packets received, held packets to send, or refused transmits
  // to retry (a worker that had none may sleep).
  bool PollOnce(unsigned w);
  // Packets parked for the controller, dequeued by control (up to max).
  unsigned DrainPacketIn(struct rte_mbuf** out, unsigned max);

  DatapathTotals Totals() const;
  // The same for one counter slot (a port's own figures, without the rest).
  PortCounters PortTotals(uint16_t index) const;
  // Resets every worker's longest-loop and longest-gap figures (benchmarks
  // measure them over one interval).
  void ClearLoopMaxima();

 private:
  explicit Datapath(unsigned num_workers, dpdk::Rcu rcu);
  static int WorkerMain(void* arg);
  void RunWorker(unsigned w);

  std::atomic<const TableSet*> tables_{nullptr};
  std::atomic<const PortMap*> ports_{nullptr};
  std::atomic<const tun::TunnelTable*> tunnels_{nullptr};
  PortCounters counter_base_[kMaxCounterPorts]{};  // subtracted by Totals()
  dpdk::Rcu rcu_;
  MacTable macs_;
  std::vector<std::unique_ptr<WorkerContext>> workers_;
  std::unique_ptr<WorkerContext> control_;
  std::atomic<bool> invalid_ttl_to_controller_{false};
  std::vector<dpdk::Ring> packet_in_rings_;
  std::vector<dpdk::Ring> handoff_rings_;  // control -> worker 0 tx (control_->tx_handoff)
  std::vector<unsigned> lcores_;
  std::atomic<bool> stop_{false};
  bool running_ = false;
  uint32_t max_sleep_us_ = 0;
  uint64_t started_tsc_ = 0;
};

}  // namespace hashi::dp
