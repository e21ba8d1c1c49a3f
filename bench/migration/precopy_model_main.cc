// precopy_model: prints the pre-copy model's tables (migration/precopy_model.h)
// as CSV, for bench/migration_model.sh to plot. A MODEL, not a measurement.
//   fig11  the seed paper's Figure 11: live migration (shared storage) vs
//          block migration (memory and disk copied with the VM stopped),
//          512 MB of memory, four disk sizes
//   wws    Clark et al.: downtime against the writable working set, for
//          three memory sizes
// Usage: precopy_model fig11|wws [BANDWIDTH_MBIT] [DIRTY_MB_S]
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "migration/precopy_model.h"

using hashi::mig::ModelPrecopy;
using hashi::mig::ModelStopAndCopy;
using hashi::mig::PrecopyParams;

int main(int argc, char** argv) {
  if (argc < 2 || (std::strcmp(argv[1], "fig11") != 0 && std::strcmp(argv[1], "wws") != 0)) {
    std::fprintf(stderr, "usage: precopy_model fig11|wws [BANDWIDTH_MBIT] [DIRTY_MB_S]\n");
    return 2;
  }
  constexpr double kMB = 1 << 20;
  const double mbit = argc > 2 ? std::atof(argv[2]) : 1000;
  const double dirty = argc > 3 ? std::atof(argv[3]) : 10;
  PrecopyParams p;
  p.bandwidth_bytes_per_s = mbit * 1e6 / 8 * 0.9;  // 90% of the line rate
  p.dirty_rate_bytes_per_s = dirty * kMB;
  if (std::strcmp(argv[1], "fig11") == 0) {
    std::printf("# MODEL (not measured): 512 MB VM, %.0f Mbit/s link at 90%%, dirtying %.0f MB/s over a 64 MB WWS\n",
                mbit, dirty);
    std::printf("disk_gb,live_total_s,live_downtime_s,live_passes,block_total_s,block_downtime_s\n");
    p.memory_bytes = 512 * kMB;
    p.wws_bytes = 64 * kMB;
    for (double gb : {2.0, 4.0, 8.0, 16.0}) {
      const auto live = ModelPrecopy(p);  // the disk is shared (NFS): not copied
      const auto block = ModelStopAndCopy(p.memory_bytes, gb * 1024 * kMB, p.bandwidth_bytes_per_s);
      std::printf("%.0f,%.2f,%.3f,%zu,%.2f,%.2f\n", gb, live.total_s, live.downtime_s, live.passes.size(),
                  block.total_s, block.downtime_s);
    }
    return 0;
  }
  std::printf("# MODEL (not measured): %.0f Mbit/s link at 90%%, dirtying %.0f MB/s, downtime limit 30 ms\n", mbit, dirty);
  std::printf("memory_mb,wws_mb,downtime_ms,total_s,passes,converged\n");
  p.downtime_limit_s = 0.03;
  for (double mem : {512.0, 2048.0, 8192.0}) {
    for (double wws : {1.0, 4.0, 16.0, 32.0, 64.0, 128.0, 256.0}) {
      p.memory_bytes = mem * kMB;
      p.wws_bytes = wws * kMB;
      const auto r = ModelPrecopy(p);
      std::printf("%.0f,%.0f,%.1f,%.2f,%zu,%d\n", mem, wws, r.downtime_s * 1000, r.total_s, r.passes.size(), r.converged);
    }
  }
  return 0;
}
