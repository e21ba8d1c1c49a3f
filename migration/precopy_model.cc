// PrecopyModel: the pass-by-pass iteration.
#include "migration/precopy_model.h"

#include <algorithm>
#include <cmath>

namespace hashi::mig {

namespace {

double Dirtied(const PrecopyParams& p, double seconds) {
  if (p.wws_bytes <= 0 || p.dirty_rate_bytes_per_s <= 0) return 0;
  const double d = p.wws_bytes * (1 - std::exp(-p.dirty_rate_bytes_per_s * seconds / p.wws_bytes));
  return std::min(d, p.memory_bytes);
}

}  // namespace

PrecopyResult ModelPrecopy(const PrecopyParams& p) {
  PrecopyResult r;
  double rest = p.memory_bytes;  // to send in the next pass
  const double limit_bytes = p.downtime_limit_s * p.bandwidth_bytes_per_s;
  for (int pass = 0; pass < p.max_passes; ++pass) {
    const double t = rest / p.bandwidth_bytes_per_s;
    r.passes.push_back({t, rest});
    r.sent_bytes += rest;
    r.total_s += t;
    const double dirtied = Dirtied(p, t);
    if (dirtied <= limit_bytes) {
      r.converged = true;
      rest = dirtied;
      break;
    }
    // Not shrinking any more, or too much sent: stop and copy what is left.
    if (dirtied >= rest || r.sent_bytes + dirtied > p.max_sent_factor * p.memory_bytes) {
      rest = dirtied;
      break;
    }
    rest = dirtied;
  }
  r.stop_copy_bytes = rest;
  r.downtime_s = rest / p.bandwidth_bytes_per_s + p.resume_overhead_s;
  r.sent_bytes += rest;
  r.total_s += r.downtime_s;
  return r;
}

PrecopyResult ModelStopAndCopy(double memory_bytes, double disk_bytes, double bandwidth_bytes_per_s,
                               double resume_overhead_s) {
  PrecopyResult r;
  r.stop_copy_bytes = memory_bytes + disk_bytes;
  r.sent_bytes = r.stop_copy_bytes;
  r.downtime_s = r.stop_copy_bytes / bandwidth_bytes_per_s + resume_overhead_s;
  r.total_s = r.downtime_s;
  r.converged = true;
  return r;
}

}  // namespace hashi::mig
