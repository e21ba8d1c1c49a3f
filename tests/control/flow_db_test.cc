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
  dp::RuleCounters* c = dp_->tables()->counters(0, 0);
  c->packets = 7;
  c->bytes = 700;
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

TEST_F(FlowDbTest, ModifyAndDeleteSelectByCookieMaskAndOutPort) {
  FlowDb db(*dp_);
  dp::FlowRule a = F("priority=5,in_port=1 actions=output:2");
  a.cookie = 0x1f;
  dp::FlowRule b = F("priority=5,in_port=2 actions=output:3");
  b.cookie = 0x2f;
  ASSERT_TRUE(db.Add(a).ok());
  ASSERT_TRUE(db.Add(b).ok());
  FlowFilter by_cookie;
  by_cookie.cookie = 0x10;
  by_cookie.cookie_mask = 0xf0;
  dp::Instructions drop;
  EXPECT_EQ(db.Modify(by_cookie, drop, false), 1u);  // only a (cookie 0x1f)
  FlowFilter by_port;
  by_port.out_port = 3;
  EXPECT_EQ(db.Delete(by_port), 1u);  // only b outputs to 3
  ASSERT_EQ(db.size(), 1u);
  EXPECT_TRUE(db.Dump()[0].rule->instructions.apply.empty());
}

TEST_F(FlowDbTest, OverlapNeedsSamePriorityAndACommonPacket) {
  FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(F("priority=5,ip,nw_dst=10.0.0.0/8 actions=drop")).ok());
  EXPECT_TRUE(db.Overlaps(F("priority=5,ip,nw_dst=10.1.0.0/16 actions=drop")));
  EXPECT_FALSE(db.Overlaps(F("priority=6,ip,nw_dst=10.1.0.0/16 actions=drop")));
  EXPECT_FALSE(db.Overlaps(F("priority=5,ip,nw_dst=11.0.0.0/8 actions=drop")));
}

TEST_F(FlowDbTest, TimeoutsExpireWithReasonsAndFinalCounts) {
  FlowDb db(*dp_);
  dp::FlowRule hard = F("priority=5,in_port=1,hard_timeout=2 actions=output:2");
  hard.flags = kFlagSendFlowRem;
  dp::FlowRule idle = F("priority=5,in_port=2,idle_timeout=1 actions=output:1");
  const uint64_t t0 = 1'000'000'000'000ull;
  ASSERT_TRUE(db.Add(hard, t0).ok());
  ASSERT_TRUE(db.Add(idle, t0).ok());
  db.Commit();
  EXPECT_EQ(db.ExpireFlows(t0 + 500'000'000ull), 0u);
  EXPECT_EQ(db.ExpireFlows(t0 + 1'500'000'000ull), 1u);  // idle for 1.5 s
  EXPECT_EQ(db.ExpireFlows(t0 + 2'500'000'000ull), 1u);  // 2.5 s old
  db.Commit();
  auto removed = db.TakeRemoved();
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].reason, RemovedReason::kIdleTimeout);
  EXPECT_EQ(removed[1].reason, RemovedReason::kHardTimeout);
  EXPECT_EQ(removed[1].rule.flags, kFlagSendFlowRem);
}

TEST_F(FlowDbTest, RollbackUndoesEveryChangeOfTheTransaction) {
  FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(F("priority=5,in_port=1 actions=output:2")).ok());
  ASSERT_TRUE(db.Add(F("priority=5,in_port=2 actions=output:1")).ok());
  db.Commit();
  const uint64_t version = dp_->tables()->version();
  db.BeginTransaction();
  ASSERT_TRUE(db.Add(F("priority=5,in_port=1 actions=output:3")).ok());  // replace
  ASSERT_TRUE(db.Add(F("priority=9,in_port=3 actions=output:1")).ok());  // new
  FlowFilter two;
  two.match = F("in_port=2 actions=drop").match;
  two.mask = F("in_port=2 actions=drop").mask;
  EXPECT_EQ(db.Delete(two), 1u);
  db.RollbackTransaction();
  EXPECT_EQ(db.size(), 2u);
  for (const auto& s : db.Dump()) {
    const uint64_t in = s.rule->match.Get(dp::Field::kInPort);
    EXPECT_TRUE(in == 1 || in == 2);
    if (in == 1) {
      EXPECT_EQ(s.rule->instructions.apply[0].port, 2u);
    }
  }
  db.Commit();  // publishes the same rules again; nothing was removed
  EXPECT_GT(dp_->tables()->version(), version);
  EXPECT_TRUE(db.TakeRemoved().empty());
  EXPECT_EQ(dp_->tables()->rule_count(), 2u);
}

TEST_F(FlowDbTest, DeletingAGroupOrMeterRemovesTheRulesThatUseIt) {
  FlowDb db(*dp_);
  dp::Group g;
  g.id = 4;
  g.type = dp::GroupType::kIndirect;
  g.buckets.push_back(dp::Bucket{});
  db.SetGroup(g);
  dp::MeterConfig m;
  m.id = 9;
  m.flags = dp::kMeterPktps;
  m.bands.push_back(dp::MeterBand{dp::MeterBandType::kDrop, 100, 0, 0});
  db.SetMeter(m);
  ASSERT_TRUE(db.Add(F("priority=5,in_port=1 actions=group:4")).ok());
  ASSERT_TRUE(db.Add(F("priority=5,in_port=2 actions=meter:9,output:1")).ok());
  ASSERT_TRUE(db.Add(F("priority=5,in_port=3 actions=output:1")).ok());
  db.Commit();
  EXPECT_EQ(db.DumpGroups()[0].ref_count, 1u);
  EXPECT_EQ(db.DumpMeters()[0].flow_count, 1u);
  db.DeleteGroup(4);
  db.DeleteMeter(9);
  db.Commit();
  EXPECT_EQ(db.size(), 1u);
  EXPECT_FALSE(db.HasGroup(4));
  EXPECT_FALSE(db.HasMeter(9));
  auto removed = db.TakeRemoved();
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].reason, RemovedReason::kGroupDelete);
  EXPECT_EQ(removed[1].reason, RemovedReason::kMeterDelete);
}

TEST_F(FlowDbTest, SingleAddsGoToSmallLevelsAndEveryRuleStaysVisible) {
  FlowDb db(*dp_);
  // 3000 adds, each committed on its own as after a barrier: newest-level
  // rebuilds, merges into the middle level and full rebuilds all happen.
  constexpr uint32_t kRules = 3000;
  size_t most_levels = 0;
  for (uint32_t i = 0; i < kRules; ++i) {
    dp::FlowRule r = F("priority=10,ip actions=output:2");
    r.match.Set(dp::Field::kNwDst, 0x0b000000u + i);
    r.mask.Set(dp::Field::kNwDst, 0xffffffffu);
    ASSERT_TRUE(db.Add(r).ok());
    db.Commit();
    most_levels = std::max(most_levels, dp_->tables()->level_count());
    if (i == 100) {  // count a hit on an early rule; it must survive every rebuild
      dp::FlowKey k{};
      k.Clear();
      k.Set(dp::Field::kEthType, 0x0800);
      k.Set(dp::Field::kNwDst, 0x0b000000u + 5);
      const dp::RuleRef* ref = dp_->tables()->Lookup(0, k);
      ASSERT_NE(ref, nullptr);
      ref->counters[0].packets += 3;
    }
  }
  EXPECT_EQ(most_levels, 3u);  // base, middle and newest were all in use
  const dp::TableSet& ts = *dp_->tables();
  EXPECT_EQ(ts.rule_count(), kRules);
  for (uint32_t i = 0; i < kRules; ++i) {
    dp::FlowKey k{};
    k.Clear();
    k.Set(dp::Field::kEthType, 0x0800);
    k.Set(dp::Field::kNwDst, 0x0b000000u + i);
    const dp::RuleRef* ref = ts.Lookup(0, k);
    ASSERT_NE(ref, nullptr) << "rule " << i << " not visible";
    ASSERT_EQ(ref->rule->match.Get(dp::Field::kNwDst), 0x0b000000u + i);
  }
  for (const auto& s : db.Dump()) {
    if (s.rule->match.Get(dp::Field::kNwDst) == 0x0b000005u) {
      EXPECT_EQ(s.packets, 3u);
    }
  }
  // A delete forces a full rebuild into one level.
  FlowFilter one;
  one.match = F("ip actions=drop").match;
  one.mask = F("ip actions=drop").mask;
  one.match.Set(dp::Field::kNwDst, 0x0b000007u);
  one.mask.Set(dp::Field::kNwDst, 0xffffffffu);
  EXPECT_EQ(db.Delete(one), 1u);
  db.Commit();
  EXPECT_EQ(dp_->tables()->level_count(), 1u);
  EXPECT_EQ(dp_->tables()->rule_count(), kRules - 1);
}

}  // namespace
}  // namespace hashi::ctl
