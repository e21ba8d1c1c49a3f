// Tests for dataplane/table_set.h: tables made as used, rule entries carry
// their instructions, counters are per worker and summed on read.
#include "dataplane/table_set.h"

#include <gtest/gtest.h>

#include "control/flow_parser.h"

namespace hashi::dp {
namespace {

FlowRule F(const std::string& s) {
  auto r = ctl::ParseFlow(s);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : FlowRule{};
}

TEST(TableSet, TablesExistOnlyWhereRulesAre) {
  const FlowRule a = F("table=0,in_port=1 actions=output:2");
  const FlowRule b = F("table=7,in_port=1 actions=output:3");
  std::array<TableMiss, kMaxTables> miss{};
  miss[7] = TableMiss::kController;
  auto ts = TableSet::Build({&a, &b}, miss, 2, 9);
  EXPECT_TRUE(ts->has_table(0));
  EXPECT_FALSE(ts->has_table(1));
  EXPECT_TRUE(ts->has_table(7));
  EXPECT_EQ(ts->miss(7), TableMiss::kController);
  EXPECT_EQ(ts->version(), 9u);
  EXPECT_EQ(ts->num_workers(), 2u);
}

TEST(TableSet, RuleEntriesCarryInstructions) {
  const FlowRule only = F("in_port=1 actions=output:5");
  const FlowRule more = F("in_port=2 actions=dec_ttl,output:5,write_actions(output:6),"
                          "write_metadata:0x3/0xf,goto_table:4");
  auto ts = TableSet::Build({&only, &more}, {}, 1, 2);
  FlowKey k{};
  k.Set(Field::kInPort, 1);
  const RuleRef* r1 = ts->Lookup(0, k);
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->only_output, 5u);
  k.Set(Field::kInPort, 2);
  const RuleRef* r2 = ts->Lookup(0, k);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->only_output, 0u);
  ASSERT_EQ(r2->n_apply, 2);
  EXPECT_EQ(r2->apply[0].type, ActionType::kDecTtl);
  EXPECT_EQ(r2->apply[1].port, 5u);
  ASSERT_EQ(r2->n_write, 1);
  EXPECT_EQ(r2->write[0].port, 6u);
  EXPECT_EQ(r2->goto_table, 4);
  EXPECT_TRUE(r2->write_metadata);
  EXPECT_EQ(r2->metadata_mask, 0xfu);
}

TEST(TableSet, CountersArePerWorkerAndSummed) {
  const FlowRule a = F("actions=drop");
  auto ts = TableSet::Build({&a}, {}, 3, 2);
  ts->counters(0, 0)->packets = 2;
  ts->counters(0, 2)->packets = 5;
  ts->counters(0, 2)->bytes = 64;
  ts->table_counters(1)[0].missed = 4;
  EXPECT_EQ(ts->SumCounters(0).packets, 7u);
  EXPECT_EQ(ts->SumCounters(0).bytes, 64u);
  EXPECT_EQ(ts->SumTableCounters(0).missed, 4u);
}

}  // namespace
}  // namespace hashi::dp
