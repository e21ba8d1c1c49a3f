// Tests for control/flow_db.h: add/replace/delete semantics, one publish per
// commit, counters carried across snapshots.
#include "control/flow_db.h"

#include <gtest/gtest.h>

#include "control/flow_parser.h"
#include "tests/support/dpdk_env.h"

namespace hashi::ctl {
namespace {

dp::FlowRule F(const std::string& s) {
  auto r = ParseFlow(s);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : dp::FlowRule{};
}

using FlowDbTest = test::OneWorkerDatapathTest;

TEST_F(FlowDbTest, CommitPublishesOneNewSnapshot) {
  FlowDb db(*dp_);
  const uint64_t v0 = dp_->tables()->version();
  ASSERT_TRUE(db.Add(F("in_port=1 actions=output:2")).ok());
  ASSERT_TRUE(db.Add(F("in_port=2 actions=output:1")).ok());
  EXPECT_EQ(dp_->tables()->version(), v0);  // staged, not visible
  db.Commit();
  EXPECT_GT(dp_->tables()->version(), v0);
  EXPECT_EQ(dp_->tables()->rule_count(), 2u);
}

TEST_F(FlowDbTest, SameMatchAndPriorityReplaces) {
  FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(F("priority=5,in_port=1 actions=output:2")).ok());
  ASSERT_TRUE(db.Add(F("priority=5,in_port=1 actions=output:3")).ok());
  ASSERT_TRUE(db.Add(F("priority=6,in_port=1 actions=output:3")).ok());
  EXPECT_EQ(db.size(), 2u);
  db.Commit();
  for (const auto& s : db.Dump()) {
    if (s.rule->priority == 5) {
      EXPECT_EQ(s.rule->instructions.apply[0].port, 3u);
    }
  }
}

TEST_F(FlowDbTest, NonStrictAndStrictDelete) {
  FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(F("priority=5,ip,nw_dst=10.0.0.1 actions=drop")).ok());
  ASSERT_TRUE(db.Add(F("priority=6,ip,nw_dst=10.0.0.2 actions=drop")).ok());
  ASSERT_TRUE(db.Add(F("priority=7,ip,nw_dst=10.1.0.0/16 actions=drop")).ok());
  ASSERT_TRUE(db.Add(F("priority=8,arp actions=drop")).ok());
  ASSERT_TRUE(db.Add(F("table=1,priority=8,arp actions=drop")).ok());
  // Non-strict: everything at least as specific as "ip,nw_dst=10.0.0.0/8".
  EXPECT_EQ(db.Delete(0, F("ip,nw_dst=10.0.0.0/8 actions=drop"), false), 3u);
  // Strict needs the exact priority.
  EXPECT_EQ(db.Delete(FlowDb::kAllTables, F("priority=9,arp actions=drop"), true), 0u);
  EXPECT_EQ(db.Delete(FlowDb::kAllTables, F("priority=8,arp actions=drop"), true), 2u);
  EXPECT_EQ(db.size(), 0u);
}

TEST_F(FlowDbTest, RejectsBackwardGoto) {
  FlowDb db(*dp_);
  dp::FlowRule r = F("table=2 actions=drop");
  r.instructions.goto_table = 1;
  EXPECT_FALSE(db.Add(r).ok());
}

TEST_F(FlowDbTest, CountersSurviveRebuilds) {
  FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(F("in_port=1 actions=output:2")).ok());
  db.Commit();
  // Simulate worker 0 hitting the rule through the live snapshot.
  dp::RuleCounters* c = dp_->tables()->counters(0);
  c[0].packets = 7;
  c[0].bytes = 700;
  ASSERT_TRUE(db.Add(F("in_port=2 actions=output:1")).ok());
  db.Commit();  // rebuild: the 7 packets move into the base counts
  uint64_t packets = 0;
  for (const auto& s : db.Dump()) {
    if (s.rule->match.Get(dp::Field::kInPort) == 1) packets = s.packets;
  }
  EXPECT_EQ(packets, 7u);
  // Replacing the rule (ADD of the same match) keeps its counters
  // (OpenFlow 1.2+), unless the flow-mod asks for reset_counts.
  ASSERT_TRUE(db.Add(F("in_port=1 actions=output:3")).ok());
  db.Commit();
  for (const auto& s : db.Dump()) {
    if (s.rule->match.Get(dp::Field::kInPort) == 1) {
      EXPECT_EQ(s.packets, 7u);
    }
  }
  dp::FlowRule reset = F("in_port=1 actions=output:2");
  reset.flags = kFlagResetCounts;
  ASSERT_TRUE(db.Add(reset).ok());
  db.Commit();
  for (const auto& s : db.Dump()) {
    if (s.rule->match.Get(dp::Field::kInPort) == 1) {
      EXPECT_EQ(s.packets, 0u);
    }
  }
}

}  // namespace
}  // namespace hashi::ctl
