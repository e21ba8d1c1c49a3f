// Tests for tunnel/neighbor_table.h: resolution with retries and failure,
// learning, aging with a refresh probe, static entries.
#include "tunnel/neighbor_table.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hashi::tun {
namespace {

constexpr uint64_t kSec = 1000000000;
bool Has(const std::vector<uint32_t>& v, uint32_t ip) { return std::find(v.begin(), v.end(), ip) != v.end(); }

TEST(NeighborTable, ProbesThreeTimesThenFails) {
  NeighborTable t(300 * kSec);
  EXPECT_TRUE(t.Want(5, 0, 10 * kSec));   // first request now
  EXPECT_FALSE(t.Want(5, 0, 10 * kSec));  // already resolving
  EXPECT_FALSE(t.Resolved(5));
  EXPECT_TRUE(t.Advance(10 * kSec + kSec / 2).probe.empty());  // not due yet
  EXPECT_TRUE(Has(t.Advance(11 * kSec).probe, 5));
  EXPECT_TRUE(Has(t.Advance(12 * kSec).probe, 5));
  const auto last = t.Advance(13 * kSec);
  EXPECT_TRUE(Has(last.failed, 5));
  EXPECT_EQ(t.Find(5), nullptr);
}

TEST(NeighborTable, LearnsOnlyWhenAskedOrAlreadyKnown) {
  NeighborTable t(300 * kSec);
  EXPECT_FALSE(t.Learn(7, 0xaa, 0, kSec, false));  // unsolicited, not for us: ignored
  EXPECT_EQ(t.Find(7), nullptr);
  EXPECT_TRUE(t.Learn(7, 0xaa, 0, kSec, true));
  EXPECT_TRUE(t.Resolved(7));
  EXPECT_FALSE(t.Learn(7, 0xaa, 0, 2 * kSec, false));  // same MAC: a refresh, no change
  EXPECT_TRUE(t.Learn(7, 0xbb, 0, 3 * kSec, false));   // moved: a change
  EXPECT_EQ(t.Find(7)->mac, 0xbbu);
  t.Want(8, 0, kSec);
  EXPECT_TRUE(t.Learn(8, 0xcc, 0, kSec, false));  // the reply to our request
}

TEST(NeighborTable, RefreshesThenExpires) {
  NeighborTable t(40 * kSec);
  t.Learn(9, 0xaa, 0, 0, true);
  EXPECT_TRUE(t.Advance(29 * kSec).probe.empty());
  EXPECT_TRUE(Has(t.Advance(30 * kSec).probe, 9));  // at three quarters of its life
  EXPECT_TRUE(t.Resolved(9));                        // still usable meanwhile
  t.Learn(9, 0xaa, 0, 31 * kSec, false);             // answered: a new lifetime
  EXPECT_TRUE(t.Advance(60 * kSec).expired.empty());
  const auto late = t.Advance(71 * kSec);
  EXPECT_TRUE(Has(late.expired, 9));
  EXPECT_EQ(t.Find(9), nullptr);
}

TEST(NeighborTable, StaticEntriesNeverAgeAndWinOverArp) {
  NeighborTable t(10 * kSec);
  EXPECT_TRUE(t.SetStatic(3, 0x11, 0));
  EXPECT_FALSE(t.SetStatic(3, 0x11, 0));
  EXPECT_FALSE(t.Learn(3, 0x22, 0, kSec, true));
  const auto tm = t.Advance(1000 * kSec);
  EXPECT_TRUE(tm.expired.empty() && tm.probe.empty());
  EXPECT_EQ(t.Find(3)->mac, 0x11u);
  EXPECT_TRUE(t.Remove(3));
  EXPECT_FALSE(t.Remove(3));
}

}  // namespace
}  // namespace hashi::tun
