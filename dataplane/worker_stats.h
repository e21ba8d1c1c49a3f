// WorkerStats: everything one worker counts, written only by that worker
// (STYLE rule 5) and summed by control on read. Counters are plain 64-bit
// words updated with relaxed atomic stores so that control's racy reads are
// well defined; on x86 these are ordinary moves.
#pragma once

#include <cstdint>

#include "dataplane/drop_reason.h"
#include "dataplane/port_map.h"

namespace hashi::dp {

struct PortCounters {
  uint64_t rx_packets;
  uint64_t rx_bytes;
  uint64_t tx_packets;
  uint64_t tx_bytes;
  uint64_t tx_dropped;
  uint64_t tx_refused;  // packets the device refused at first and that were kept to retry
};

struct WorkerStats {
  PortCounters ports[kMaxCounterPorts];  // DPDK ports, then tunnel ports
  uint64_t drops[kDropReasonCount];
  uint64_t loops;          // poll loop iterations
  uint64_t busy_loops;     // iterations that received at least one packet
  uint64_t packets;        // packets processed
  uint64_t emc_hits;
  uint64_t classified;     // packets that went through the table pipeline
  uint64_t held;           // packets queued on hold bindings
  uint64_t packet_in;      // packets queued for the controller
  uint64_t busy_cycles;    // TSC cycles spent in iterations that had packets
  uint64_t sleeps;         // times the worker slept because its queues stayed empty
  uint64_t sleep_cycles;   // TSC cycles spent asleep (idle time given back to the host)
  uint64_t max_loop_cycles;  // longest single busy loop iteration seen
  // Longest time between the starts of two consecutive loop iterations:
  // whatever kept the worker from polling (work, a stall, being descheduled).
  // Control may reset it to 0 (a racy store the worker's next max overwrites).
  uint64_t max_gap_cycles;
  uint64_t last_loop_tsc;
  uint64_t snapshot_version;  // TableSet version seen at the last burst
};

// Adds delta to a worker-owned counter (single writer, racy readers).
inline void Bump(uint64_t& counter, uint64_t delta = 1) {
  __atomic_store_n(&counter, counter + delta, __ATOMIC_RELAXED);
}
inline uint64_t ReadCounter(const uint64_t& counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

// Adds one context's port counters (racy reads) to a sum, sign +1, or takes
// a base off it, sign -1.
inline void AddPortCounters(PortCounters& sum, const PortCounters& c, int sign = 1) {
  const uint64_t s = static_cast<uint64_t>(sign);  // -1 wraps: unsigned subtraction
  sum.rx_packets += s * ReadCounter(c.rx_packets);
  sum.rx_bytes += s * ReadCounter(c.rx_bytes);
  sum.tx_packets += s * ReadCounter(c.tx_packets);
  sum.tx_bytes += s * ReadCounter(c.tx_bytes);
  sum.tx_dropped += s * ReadCounter(c.tx_dropped);
  sum.tx_refused += s * ReadCounter(c.tx_refused);
}

}  // namespace hashi::dp
