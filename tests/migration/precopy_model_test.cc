// Tests for migration/precopy_model.h: an idle VM takes one pass; a
// dirtying VM converges in passes that shrink; downtime follows the
// writable working set, not memory size (Clark et al.); a dirty rate above
// the bandwidth stops at Xen's bounds; stop-and-copy grows with the disk.
#include "migration/precopy_model.h"

#include <gtest/gtest.h>

namespace hashi::mig {
namespace {

constexpr double kMB = 1 << 20;

TEST(PrecopyModel, IdleVmIsOnePass) {
  PrecopyParams p;
  p.memory_bytes = 512 * kMB;
  p.bandwidth_bytes_per_s = 100 * kMB;
  const PrecopyResult r = ModelPrecopy(p);
  ASSERT_EQ(r.passes.size(), 1u);
  EXPECT_NEAR(r.passes[0].seconds, 5.12, 1e-9);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.downtime_s, p.resume_overhead_s, 1e-9);
  EXPECT_NEAR(r.total_s, 5.12 + 0.02, 1e-9);
}

TEST(PrecopyModel, PassesShrinkUntilTheRestFitsTheDowntimeLimit) {
  PrecopyParams p;
  p.memory_bytes = 512 * kMB;
  p.bandwidth_bytes_per_s = 50 * kMB;
  p.dirty_rate_bytes_per_s = 20 * kMB;
  p.wws_bytes = 400 * kMB;
  const PrecopyResult r = ModelPrecopy(p);
  ASSERT_GE(r.passes.size(), 3u);
  for (size_t i = 1; i < r.passes.size(); ++i) EXPECT_LT(r.passes[i].bytes, r.passes[i - 1].bytes) << i;
  EXPECT_TRUE(r.converged);
  EXPECT_LE(r.stop_copy_bytes, p.downtime_limit_s * p.bandwidth_bytes_per_s);
  EXPECT_LT(r.downtime_s, p.downtime_limit_s + p.resume_overhead_s + 1e-9);
}

// Clark et al.: with a dirty rate that fills the WWS within a pass, the
// downtime is WWS / bandwidth for any memory size.
TEST(PrecopyModel, DowntimeFollowsTheWritableWorkingSetNotMemory) {
  PrecopyParams p;
  p.bandwidth_bytes_per_s = 100 * kMB;
  p.dirty_rate_bytes_per_s = 500 * kMB;
  p.wws_bytes = 40 * kMB;
  p.downtime_limit_s = 0.05;  // tighter than the WWS allows: never converges
  double first = -1;
  for (double mem : {512 * kMB, 2048 * kMB, 8192 * kMB}) {
    p.memory_bytes = mem;
    const PrecopyResult r = ModelPrecopy(p);
    EXPECT_FALSE(r.converged);
    EXPECT_NEAR(r.downtime_s, 0.4 + 0.02, 0.01) << mem;
    if (first < 0) first = r.downtime_s;
    EXPECT_NEAR(r.downtime_s, first, 1e-6);
  }
  p.memory_bytes = 1024 * kMB;
  p.wws_bytes = 160 * kMB;
  EXPECT_NEAR(ModelPrecopy(p).downtime_s, 1.6 + 0.02, 0.02);  // the fixed point sits just under the WWS
}

TEST(PrecopyModel, DirtierThanTheLinkStopsAtTheBounds) {
  PrecopyParams p;
  p.memory_bytes = 1024 * kMB;
  p.bandwidth_bytes_per_s = 50 * kMB;
  p.dirty_rate_bytes_per_s = 200 * kMB;
  p.wws_bytes = 1024 * kMB;
  const PrecopyResult r = ModelPrecopy(p);
  EXPECT_FALSE(r.converged);
  EXPECT_LE(r.sent_bytes, (p.max_sent_factor + 1) * p.memory_bytes);
  EXPECT_GT(r.downtime_s, 5);
}

TEST(PrecopyModel, StopAndCopyGrowsWithTheDisk) {
  const double bw = 100 * kMB;
  const PrecopyResult small = ModelStopAndCopy(512 * kMB, 1024 * kMB, bw);
  const PrecopyResult big = ModelStopAndCopy(512 * kMB, 4096 * kMB, bw);
  EXPECT_NEAR(small.total_s, 15.36 + 0.02, 1e-9);
  EXPECT_NEAR(big.total_s - small.total_s, 30.72, 1e-9);
  EXPECT_EQ(big.downtime_s, big.total_s);  // the VM is stopped throughout
}

}  // namespace
}  // namespace hashi::mig
