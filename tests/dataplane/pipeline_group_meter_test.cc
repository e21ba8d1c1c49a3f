// Tests for the pipeline's group, meter, packet-in and packet-out paths
// (dataplane/pipeline.cc): what each group type sends where, that bucket
// edits stay in their bucket, meters' drop and remark bands, the packet-in
// metadata control reads, and packets injected by control.
#include <gtest/gtest.h>
#include <rte_cycles.h>

#include "dataplane/packet_in_meta.h"
#include "tests/dataplane/pipeline_fixture.h"

namespace hashi::dp {
namespace {

Action Out(uint32_t port) {
  Action a;
  a.port = port;
  return a;
}

Action SetDst(uint64_t mac) {
  Action a;
  a.type = ActionType::kSetField;
  a.field = Field::kEthDst;
  a.value = mac;
  a.mask = 0xffffffffffffull;
  return a;
}

class GroupMeterTest : public PipelineTest {
 protected:
  void AddGroup(uint32_t id, GroupType type, std::vector<Bucket> buckets, std::vector<bool> live = {}) {
    auto g = std::make_unique<Group>();
    g->id = id;
    g->type = type;
    g->buckets = std::move(buckets);
    objects_.groups.push_back(GroupInput{g.get(), std::move(live)});
    groups_.push_back(std::move(g));
  }
  MeterState* AddMeter(const MeterConfig& c) {
    meters_.push_back(std::make_unique<MeterState>(c, rte_get_tsc_hz()));
    objects_.meters.push_back(meters_.back().get());
    return meters_.back().get();
  }
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<std::unique_ptr<MeterState>> meters_;
};

Bucket B(std::vector<Action> actions, uint16_t weight = 0, uint32_t watch = kPortAny) {
  Bucket b;
  b.actions = std::move(actions);
  b.weight = weight;
  b.watch_port = watch;
  return b;
}

TEST_F(GroupMeterTest, AllGroupCopiesToEveryBucketAndEditsStayInTheirBucket) {
  AddGroup(1, GroupType::kAll, {B({SetDst(0x0a0000000001), Out(2)}), B({Out(3)})});
  Flows({"in_port=1 actions=group:1"});
  Run(0, {kUdp});
  const auto to2 = Sent(1), to3 = Sent(2);
  ASSERT_EQ(to2.size(), 1u);
  ASSERT_EQ(to3.size(), 1u);
  EXPECT_EQ(Bytes(to2[0].begin(), to2[0].begin() + 6), (Bytes{0x0a, 0, 0, 0, 0, 1}));
  EXPECT_EQ(to3[0], kUdp);  // the other bucket's copy is untouched
  EXPECT_EQ(tables_->SumGroupCounters(0).packets, 1u);
  EXPECT_EQ(tables_->SumGroupCounters(1).packets, 1u);
  EXPECT_EQ(tables_->SumGroupCounters(2).packets, 1u);
}

TEST_F(GroupMeterTest, SelectGroupSpreadsFlowsByWeightAndKeepsAFlowOnOneBucket) {
  AddGroup(1, GroupType::kSelect, {B({Out(2)}, 1), B({Out(3)}, 3)});
  Flows({"in_port=1 actions=group:1"});
  for (uint16_t sport = 0; sport < 400; ++sport) Run(0, {test::Udp4Frame(0x0a000001, 0x0a000002, sport, 80)});
  const size_t a = Sent(1).size(), b = Sent(2).size();
  EXPECT_EQ(a + b, 400u);
  EXPECT_GT(a, 50u);   // about 100
  EXPECT_GT(b, 200u);  // about 300
  const Bytes one = test::Udp4Frame(0x0a000001, 0x0a000002, 7, 80);
  Run(0, {one, one, one, one});
  EXPECT_TRUE(Sent(1).size() == 4 || Sent(2).size() == 4);
}

TEST_F(GroupMeterTest, FastFailoverUsesTheFirstLiveBucket) {
  AddGroup(1, GroupType::kFastFailover, {B({Out(2)}, 0, 2), B({Out(3)}, 0, 3)}, {false, true});
  AddGroup(2, GroupType::kFastFailover, {B({Out(2)}, 0, 2)}, {false});
  Flows({"in_port=1 actions=group:1", "in_port=2 actions=group:2"});
  Run(0, {kUdp});
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(Sent(2).size(), 1u);
  Run(1, {kUdp});  // no live bucket at all: dropped and counted
  EXPECT_EQ(Drops(DropReason::kGroupNoLiveBucket), 1u);
}

TEST_F(GroupMeterTest, IndirectGroupAndAGroupInTheActionSet) {
  AddGroup(7, GroupType::kIndirect, {B({Out(3)})});
  Flows({"in_port=1 actions=write_actions(output:2,group:7)"});
  Run(0, {kUdp});
  EXPECT_TRUE(Sent(1).empty());  // a group in the action set overrides output
  EXPECT_EQ(Sent(2).size(), 1u);
}

TEST_F(GroupMeterTest, MeterDropBandLimitsThePacketRate) {
  MeterConfig c;
  c.id = 1;
  c.flags = kMeterPktps | kMeterBurst;
  c.bands.push_back(MeterBand{MeterBandType::kDrop, 1000, 10, 0});
  MeterState* m = AddMeter(c);
  Flows({"in_port=1 actions=meter:1,output:2"});
  std::vector<Bytes> burst(32, kUdp);
  Run(0, burst);  // 32 back-to-back packets: the burst of 10 (and a little) passes
  const size_t passed = Sent(1).size();
  EXPECT_GE(passed, 10u);
  EXPECT_LE(passed, 12u);
  EXPECT_EQ(Drops(DropReason::kMeterDrop), 32u - passed);
  EXPECT_EQ(m->packets_in(), 32u);
  EXPECT_EQ(m->band(0).packets.load(), 32u - passed);
  // After 20 ms at 1000 pps, about 20 more packets conform.
  const uint64_t until = rte_get_tsc_cycles() + rte_get_tsc_hz() / 50;
  while (rte_get_tsc_cycles() < until) {
  }
  Run(0, burst);
  const size_t later = Sent(1).size();
  EXPECT_GE(later, 10u);
  EXPECT_LE(later, 24u);
}

TEST_F(GroupMeterTest, MeterRemarkBandRaisesTheAfDropPrecedence) {
  MeterConfig c;
  c.id = 2;
  c.flags = kMeterPktps | kMeterBurst;
  c.bands.push_back(MeterBand{MeterBandType::kDscpRemark, 1000, 1, 1});
  AddMeter(c);
  Flows({"in_port=1 actions=meter:2,output:2"});
  Bytes af11 = kUdp;
  af11[15] = 10 << 2;  // DSCP AF11 in the IPv4 TOS byte
  Run(0, {af11, af11, af11});
  const auto out = Sent(1);
  ASSERT_EQ(out.size(), 3u);  // remarked, not dropped
  EXPECT_EQ(out[0][15], 10 << 2);
  EXPECT_EQ(out[2][15], 12 << 2);  // AF11 -> AF12
}

TEST_F(GroupMeterTest, PacketInCarriesReasonTableCookieAndMetadata) {
  Flows({"table=0,in_port=1 actions=write_metadata:0x55/0xff,goto_table:3",
         "table=3,cookie=0x77,priority=9,in_port=1 actions=controller:100"});
  Run(0, {kUdp});
  rte_mbuf* m = nullptr;
  ASSERT_EQ(rte_ring_dequeue(packet_in_->get(), reinterpret_cast<void**>(&m)), 0);
  const PacketInMeta meta = *PacketInMetaOf(m);
  rte_pktmbuf_free(m);
  EXPECT_EQ(meta.reason, kPacketInAction);
  EXPECT_EQ(meta.table_id, 3);
  EXPECT_EQ(meta.cookie, 0x77u);
  EXPECT_EQ(meta.metadata, 0x55u);
  EXPECT_EQ(meta.in_port, 1u);
  EXPECT_EQ(meta.max_len, 100);
}

TEST_F(GroupMeterTest, PacketOutRunsActionsOrTheTables) {
  Flows({"in_port=3 actions=output:2"});
  const std::vector<Action> direct = {Out(1)};
  ASSERT_TRUE(ProcessPacketOut(*ctx_, *tables_, map_, kPortController, test::MakeMbuf(kUdp), direct.data(), 1));
  std::vector<Action> table = {Out(kPortTable)};
  ASSERT_TRUE(ProcessPacketOut(*ctx_, *tables_, map_, 3, test::MakeMbuf(kUdp), table.data(), 1));
  FlushTx(*ctx_);
  EXPECT_EQ(Sent(0).size(), 1u);
  EXPECT_EQ(Sent(1).size(), 1u);  // through table 0 as if received on port 3
  const Bytes runt(10, 0);
  EXPECT_FALSE(ProcessPacketOut(*ctx_, *tables_, map_, kPortController, test::MakeMbuf(runt), direct.data(), 1));
}

}  // namespace
}  // namespace hashi::dp
