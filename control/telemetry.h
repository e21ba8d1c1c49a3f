// Telemetry: hashi's counters exposed through DPDK telemetry, so
// `dpdk-telemetry.py` (or any client of the telemetry socket) can read them:
//   /hashi/ports  per-port rx/tx/drop counters, by port name
//   /hashi/drops  packets dropped, by drop reason
//   /hashi/stats  worker totals: packets, cache hits, loops, cycles, flows
// Callbacks run on DPDK's telemetry thread and only read counters that
// workers write (racy, word-sized) and values control publishes atomically.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/status.h"
#include "control/port_manager.h"
#include "dataplane/datapath.h"

namespace hashi::ctl {

struct TelemetryState {
  const dp::Datapath* datapath = nullptr;
  const PortManager* ports = nullptr;
  std::atomic<uint64_t> flow_count{0};
};

// Registers the /hashi/* commands; state must outlive the EAL.
Status RegisterTelemetry(TelemetryState* state);

}  // namespace hashi::ctl
