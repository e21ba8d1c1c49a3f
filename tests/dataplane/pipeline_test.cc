// Tests for dataplane/pipeline.h: whole bursts through parse, cache, tables
// and actions, on ring-backed DPDK ports whose output the test reads back.
#include "dataplane/pipeline.h"

#include <gtest/gtest.h>

#include <memory>

#include "dataplane/packet_parser.h"
#include "tests/dataplane/pipeline_fixture.h"

namespace hashi::dp {
namespace {


TEST_F(PipelineTest, ForwardsByInPortAndCounts) {
  Flows({"in_port=1,ip actions=output:2"});
  Run(0, {kUdp});
  Run(0, {kUdp, kUdp});
  const auto out = Sent(1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], kUdp);
  EXPECT_TRUE(Sent(2).empty());
  EXPECT_EQ(tables_->SumCounters(0).packets, 3u);
  EXPECT_EQ(tables_->SumCounters(0).bytes, 3 * kUdp.size());
  EXPECT_EQ(ctx_->stats.ports[ports_[0]->id()].rx_packets, 3u);
  EXPECT_EQ(ctx_->stats.ports[ports_[1]->id()].tx_packets, 3u);
  EXPECT_EQ(ctx_->stats.emc_hits, 2u);  // the first burst classified, the next hit the cache
}

// Table 0 of in_port-only output rules: no cache, no per-packet lookup,
// but packets are still parsed (malformed ones dropped) and counted, and
// ports without a rule take the table-miss path.
TEST_F(PipelineTest, InPortOnlyRulesSkipTheCacheButNotValidation) {
  Flows({"in_port=1 actions=output:2", "priority=5 actions=output:3"});
  ASSERT_TRUE(tables_->in_port_only());
  Bytes bad = kUdp;
  bad[14] = 0x44;  // IHL 4
  Run(0, {kUdp, bad, kUdp});
  Run(1, {kUdp});  // the catch-all rule
  EXPECT_EQ(Sent(1).size(), 2u);
  EXPECT_EQ(Sent(2).size(), 1u);
  EXPECT_EQ(Drops(DropReason::kIpv4BadHeader), 1u);
  EXPECT_EQ(ctx_->stats.emc_hits, 0u);
  EXPECT_EQ(ctx_->stats.classified, 3u);
  EXPECT_EQ(tables_->SumCounters(0).packets, 2u);
  EXPECT_EQ(tables_->SumCounters(1).packets, 1u);
  Flows({"in_port=1 actions=output:2"});
  Run(2, {kUdp});
  EXPECT_EQ(Drops(DropReason::kTableMiss), 1u);
  Flows({"in_port=1 actions=output:2", "in_port=2,dl_dst=02:00:00:00:00:02 actions=output:3"});
  EXPECT_FALSE(tables_->in_port_only());
  Flows({"in_port=1 actions=output:2,output:3"});
  EXPECT_FALSE(tables_->in_port_only());
  Flows({"in_port=1 actions=goto_table:1", "table=1 actions=output:2"});
  EXPECT_FALSE(tables_->in_port_only());
}

TEST_F(PipelineTest, TableMissBehaviours) {
  Flows({"in_port=3 actions=output:1"});
  Run(0, {kUdp});
  EXPECT_EQ(Drops(DropReason::kTableMiss), 1u);
  miss_[0] = TableMiss::kController;
  Flows({"in_port=3 actions=output:1"});
  Run(0, {kUdp});
  EXPECT_EQ(rte_ring_count(packet_in_->get()), 1u);
  miss_[0] = TableMiss::kContinue;
  Flows({"table=1,in_port=1 actions=output:3"});
  Run(0, {kUdp});
  EXPECT_EQ(Sent(2).size(), 1u);
}

TEST_F(PipelineTest, NormalFloodsThenLearns) {
  miss_[0] = TableMiss::kNormal;
  Flows({});
  test::L2 a{0x020000000002, 0x020000000001, {}};
  test::L2 b{0x020000000001, 0x020000000002, {}};
  Run(0, {test::Udp4Frame(1, 2, 3, 4, a)});  // unknown destination: flood
  EXPECT_EQ(Sent(1).size(), 1u);
  EXPECT_EQ(Sent(2).size(), 1u);
  EXPECT_TRUE(Sent(0).empty());
  Run(1, {test::Udp4Frame(2, 1, 4, 3, b)});  // reply: destination learned on port 1
  EXPECT_EQ(Sent(0).size(), 1u);
  EXPECT_TRUE(Sent(2).empty());
  Run(0, {test::Udp4Frame(1, 2, 3, 4, a)});  // now unicast to port 2
  EXPECT_EQ(Sent(1).size(), 1u);
  EXPECT_TRUE(Sent(2).empty());
}

TEST_F(PipelineTest, GotoTableWithMetadata) {
  Flows({"table=0,in_port=1 actions=write_metadata:0x5/0xff,goto_table:3",
         "table=3,metadata=0x5/0xff actions=output:3", "table=3,priority=1 actions=output:2"});
  Run(0, {kUdp});
  EXPECT_EQ(Sent(2).size(), 1u);
  EXPECT_TRUE(Sent(1).empty());
}

TEST_F(PipelineTest, ActionSetRunsAtPipelineEndInSpecOrder) {
  Flows({"table=0,in_port=1 actions=write_actions(output:2,mod_nw_dst:9.9.9.9,dec_ttl),goto_table:1",
         "table=1 actions=write_actions(output:3)"});  // replaces the output in the set
  Run(0, {kUdp});
  EXPECT_TRUE(Sent(1).empty());
  const auto out = Sent(2);
  ASSERT_EQ(out.size(), 1u);
  FlowKey k;
  PacketLayout l;
  ParsePacket(out[0].data(), static_cast<uint32_t>(out[0].size()), 0, &k, &l);
  EXPECT_EQ(k.Get(Field::kNwDst), 0x09090909u);
  EXPECT_EQ(k.Get(Field::kIpTtl), 63u);
  EXPECT_TRUE(test::Ipv4ChecksumsOk(out[0]));
  Flows({"table=0,in_port=1 actions=write_actions(output:2),goto_table:1", "table=1 actions=clear_actions"});
  Run(0, {kUdp});
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(Drops(DropReason::kNoAction), 1u);
}

TEST_F(PipelineTest, OutputBeforeEditSeesTheOriginalPacket) {
  Flows({"in_port=1,ip actions=output:2,mod_nw_dst:9.9.9.9,output:3"});
  Run(0, {kUdp});
  const auto p2 = Sent(1), p3 = Sent(2);
  ASSERT_EQ(p2.size(), 1u);
  ASSERT_EQ(p3.size(), 1u);
  EXPECT_EQ(p2[0], kUdp);
  EXPECT_NE(p3[0], kUdp);
  EXPECT_TRUE(test::Ipv4ChecksumsOk(p3[0]));
}

TEST_F(PipelineTest, PushAndPopVlan) {
  Flows({"in_port=1 actions=push_vlan:0x8100,mod_vlan_vid:42,output:2",
         "in_port=2,dl_vlan=42 actions=pop_vlan,output:3"});
  Run(0, {kUdp});
  const auto tagged = Sent(1);
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0].size(), kUdp.size() + 4);
  EXPECT_EQ(test::Get16(tagged[0], 12), 0x8100);
  EXPECT_EQ(test::Get16(tagged[0], 14) & 0xfff, 42);
  Run(1, {tagged[0]});
  const auto untagged = Sent(2);
  ASSERT_EQ(untagged.size(), 1u);
  EXPECT_EQ(untagged[0], kUdp);
}

TEST_F(PipelineTest, DecTtlDropsExpiredPackets) {
  Flows({"in_port=1,ip actions=dec_ttl,output:2"});
  const Bytes ttl1 = test::Ethernet({}, 0x0800, test::Ipv4(1, 2, 17, test::L4Segment(17, 1, 2, 3, 4, 8), 1));
  Run(0, {ttl1, kUdp});
  EXPECT_EQ(Sent(1).size(), 1u);
  EXPECT_EQ(Drops(DropReason::kTtlExpired), 1u);
}

TEST_F(PipelineTest, MalformedPacketsAreCountedAndFreed) {
  Flows({"actions=output:2"});
  Bytes bad = kUdp;
  bad[14] = 0x41;
  Run(0, {Bytes(10, 0), bad, kUdp});
  EXPECT_EQ(Drops(DropReason::kRunt), 1u);
  EXPECT_EQ(Drops(DropReason::kIpv4BadHeader), 1u);
  EXPECT_EQ(Sent(1).size(), 1u);
}

TEST_F(PipelineTest, FloodAllInPortAndUnknownPorts) {
  Flows({"in_port=1,udp,tp_dst=1 actions=flood", "in_port=1,udp,tp_dst=2 actions=all",
         "in_port=1,udp,tp_dst=3 actions=output:1", "in_port=1,udp,tp_dst=4 actions=in_port",
         "in_port=1,udp,tp_dst=5 actions=output:77"});
  PortBinding nf = *map_.Find(3);
  nf.flood = false;
  ASSERT_TRUE(map_.Bind(nf).ok());
  auto send = [&](uint16_t dport) { Run(0, {test::Udp4Frame(1, 2, 9, dport)}); };
  send(1);
  EXPECT_EQ(Sent(1).size(), 1u);
  EXPECT_TRUE(Sent(2).empty());  // no-flood
  EXPECT_TRUE(Sent(0).empty());
  send(2);
  EXPECT_EQ(Sent(1).size(), 1u);
  EXPECT_EQ(Sent(2).size(), 1u);
  EXPECT_TRUE(Sent(0).empty());
  send(3);
  EXPECT_TRUE(Sent(0).empty());
  EXPECT_EQ(Drops(DropReason::kOutputToInPort), 1u);
  send(4);
  EXPECT_EQ(Sent(0).size(), 1u);
  send(5);
  EXPECT_EQ(Drops(DropReason::kNoSuchPort), 1u);
}

TEST_F(PipelineTest, NewTableSetInvalidatesTheCache) {
  Flows({"in_port=1 actions=output:2"});
  Run(0, {kUdp, kUdp});
  EXPECT_EQ(Sent(1).size(), 2u);
  Flows({"in_port=1 actions=output:3"});
  Run(0, {kUdp});
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(Sent(2).size(), 1u);
}

}  // namespace
}  // namespace hashi::dp

namespace hashi::dp {
namespace {

FlowKey KeyOf(const Bytes& f, uint32_t in_port) {
  FlowKey k;
  PacketLayout l;
  ParsePacket(f.data(), static_cast<uint32_t>(f.size()), in_port, &k, &l);
  return k;
}
uint32_t Slot1(uint32_t h) { return h & (Emc::kEntries - 1); }
uint32_t Slot2(uint32_t h) { return (h >> 13) & (Emc::kEntries - 1); }

// A burst's cache lookups all happen before any of its packets runs. If an
// earlier packet's miss inserts over the entry a later packet hit, the later
// packet must not replay the earlier one's path.
TEST_F(PipelineTest, CacheEntryReplacedInsideABurstIsNotReplayed) {
  ctx_->emc.set_insert_every(1);
  Flows({"in_port=1,udp,tp_src=1 actions=output:2", "in_port=1,udp,tp_src=2 actions=output:3"});
  const Bytes b = test::Udp4Frame(1, 0x0b000000, 2, 9);  // to port 3
  const uint32_t hb = HashFullKey(KeyOf(b, 1));
  // A (to port 2) whose insertion, with both its slots taken, picks B's
  // slot; C (to port 3) taking A's other slot.
  Bytes a, c;
  uint32_t other = 0;
  for (uint32_t d = 1; a.empty(); ++d) {
    Bytes f = test::Udp4Frame(1, 0x0c000000 + d, 1, 9);
    const uint32_t h = HashFullKey(KeyOf(f, 1));
    const uint32_t picked = (h & 1) ? Slot1(h) : Slot2(h);
    const uint32_t unpicked = (h & 1) ? Slot2(h) : Slot1(h);
    if (picked == Slot1(hb) && unpicked != Slot1(hb)) {
      a = f;
      other = unpicked;
    }
  }
  for (uint32_t d = 1; c.empty(); ++d) {
    Bytes f = test::Udp4Frame(1, 0x0d000000 + d, 2, 9);
    if (Slot1(HashFullKey(KeyOf(f, 1))) == other) c = f;
  }
  Run(0, {b});
  Run(0, {c});
  EXPECT_EQ(Sent(2).size(), 2u);
  ASSERT_NE(ctx_->emc.Lookup(KeyOf(b, 1), hb, version_), nullptr);
  Run(0, {a, b});  // a misses and replaces b's entry before b runs
  EXPECT_EQ(Sent(1).size(), 1u);
  const auto to3 = Sent(2);
  ASSERT_EQ(to3.size(), 1u);
  EXPECT_EQ(to3[0], b);
}

}  // namespace
}  // namespace hashi::dp
