// PrecopyModel: an analytical model of pre-copy live migration (Clark et
// al., NSDI'05) for scales one machine cannot reach. It is a model, and
// everything that shows its figures says so.
//
// Pass 0 sends all of memory at the link's bandwidth; each later pass sends
// what was dirtied during the previous one. Writes fall in the writable
// working set (WWS), so the pages dirtied in time t are
//   dirtied(t) = WWS * (1 - exp(-dirty_rate * t / WWS))
// which grows at the dirty rate at first and saturates at the WWS. Pre-copy
// stops when the rest fits the downtime limit (converged), when a pass no
// longer shrinks the rest, or at Xen's bounds (30 passes, 3x memory sent);
// then the VM is stopped and the rest sent: downtime = rest / bandwidth +
// the device-state and resume overhead. So once the dirty rate fills the
// WWS within a pass, downtime is WWS / bandwidth whatever the memory size:
// Clark et al.'s observation.
//
// Stop-and-copy ("block migration" in the seed paper: the VM stopped while
// memory and its disk are copied) is (memory + disk) / bandwidth, all of it
// downtime.
#pragma once

#include <vector>

namespace hashi::mig {

struct PrecopyParams {
  double memory_bytes = 512.0 * (1 << 20);
  double bandwidth_bytes_per_s = 1e9 / 8 * 0.9;  // 1 Gbit/s at 90%
  double dirty_rate_bytes_per_s = 0;
  double wws_bytes = 0;
  double downtime_limit_s = 0.3;
  int max_passes = 30;
  double max_sent_factor = 3.0;
  double resume_overhead_s = 0.02;
};

struct PrecopyPass {
  double seconds;
  double bytes;
};

struct PrecopyResult {
  std::vector<PrecopyPass> passes;  // pre-copy passes (the VM runs)
  double stop_copy_bytes = 0;       // sent while the VM is stopped
  double downtime_s = 0;
  double total_s = 0;
  double sent_bytes = 0;
  bool converged = false;           // the rest fit the downtime limit
};

PrecopyResult ModelPrecopy(const PrecopyParams& p);
// The seed paper's block migration: memory and disk copied with the VM stopped.
PrecopyResult ModelStopAndCopy(double memory_bytes, double disk_bytes, double bandwidth_bytes_per_s,
                               double resume_overhead_s = 0.02);

}  // namespace hashi::mig
