// Tests for dataplane/mac_table.h: learning, VLAN separation, aging, moves,
// flushing, and concurrent learners never producing a wrong answer.
#include "dataplane/mac_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace hashi::dp {
namespace {

TEST(MacTable, LearnsPerVlan) {
  MacTable t(64, 300);
  t.Learn(10, 0x0200000000aa, 3, 100);
  EXPECT_EQ(t.Lookup(10, 0x0200000000aa, 100), 3u);
  EXPECT_EQ(t.Lookup(20, 0x0200000000aa, 100), 0u);
  EXPECT_EQ(t.Lookup(10, 0x0200000000ab, 100), 0u);
}

TEST(MacTable, MoveUpdatesPort) {
  MacTable t(64, 300);
  t.Learn(0, 0xaa, 1, 100);
  t.Learn(0, 0xaa, 2, 100);
  EXPECT_EQ(t.Lookup(0, 0xaa, 100), 2u);
}

TEST(MacTable, EntriesAgeOut) {
  MacTable t(64, 10);
  t.Learn(0, 0xaa, 1, 100);
  EXPECT_EQ(t.Lookup(0, 0xaa, 110), 1u);
  EXPECT_EQ(t.Lookup(0, 0xaa, 111), 0u);
  t.Learn(0, 0xaa, 1, 111);  // refreshed by traffic
  EXPECT_EQ(t.Lookup(0, 0xaa, 120), 1u);
}

TEST(MacTable, FlushPortForgetsOnlyThatPort) {
  MacTable t(64, 300);
  t.Learn(0, 0xaa, 1, 5);
  t.Learn(0, 0xbb, 2, 5);
  t.FlushPort(1);
  EXPECT_EQ(t.Lookup(0, 0xaa, 5), 0u);
  EXPECT_EQ(t.Lookup(0, 0xbb, 5), 2u);
  EXPECT_EQ(t.Dump(5).size(), 1u);
  t.Flush();
  EXPECT_EQ(t.Lookup(0, 0xbb, 5), 0u);
}

TEST(MacTable, FullBucketEvictsOldest) {
  MacTable t(1, 300);  // one bucket of four ways
  for (uint64_t m = 1; m <= 4; ++m) t.Learn(0, m, static_cast<uint32_t>(m), static_cast<uint32_t>(10 + m));
  t.Learn(0, 99, 9, 20);
  EXPECT_EQ(t.Lookup(0, 1, 20), 0u);  // oldest evicted
  EXPECT_EQ(t.Lookup(0, 99, 20), 9u);
  EXPECT_EQ(t.Lookup(0, 4, 20), 4u);
}

// Two threads learn overlapping MACs on different ports while a third looks
// them up: every answer is 0 (unknown) or a port that MAC was learned on.
TEST(MacTable, ConcurrentLearnersNeverAnswerWrongPort) {
  MacTable t(16, 300);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0}, answers{0};
  auto learner = [&](uint32_t base) {
    for (int i = 0; i < 200000; ++i) {
      const uint64_t mac = 0x1000 + (i % 200);
      t.Learn(0, mac, base + (mac % 2), 1);
    }
  };
  std::thread reader([&] {
    while (!stop) {
      for (uint64_t mac = 0x1000; mac < 0x1000 + 200; ++mac) {
        const uint32_t p = t.Lookup(0, mac, 1);
        if (p == 0) continue;
        answers++;
        if (p != 10 + (mac % 2) && p != 20 + (mac % 2)) wrong++;
      }
    }
  });
  std::thread a(learner, 10), b(learner, 20);
  a.join();
  b.join();
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(answers.load(), 0u);
}

}  // namespace
}  // namespace hashi::dp
