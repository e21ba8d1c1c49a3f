// Tests for control/trace.h: the steps and verdict for packets described in
// ovs-ofctl syntax, over a TableSet, a PortMap and a MAC table.
#include "control/trace.h"

#include <gtest/gtest.h>

#include "control/flow_parser.h"

namespace hashi::ctl {
namespace {

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t p = 1; p <= 3; ++p) {
      dp::PortBinding b;
      b.ofport = p;
      b.eth_port = static_cast<uint16_t>(p - 1);
      b.name = "p" + std::to_string(p);
      ASSERT_TRUE(ports_.Bind(b).ok());
    }
    miss_.fill(dp::TableMiss::kDrop);
  }
  void Flows(const std::vector<std::string>& lines) {
    std::vector<const dp::FlowRule*> list;
    for (const auto& l : lines) {
      auto r = ParseFlow(l);
      ASSERT_TRUE(r.ok()) << r.error();
      rules_.push_back(std::make_unique<dp::FlowRule>(std::move(r).value()));
      list.push_back(rules_.back().get());
    }
    tables_ = dp::TableSet::Build(list, miss_, 1, 1);
  }
  TraceResult Run(const std::string& packet) {
    auto r = Trace(*tables_, ports_, macs_, 100, packet);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? r.value() : TraceResult{};
  }
  std::string All(const TraceResult& r) {
    std::string s;
    for (const auto& l : r.lines) s += l + "\n";
    return s;
  }

  dp::PortMap ports_;
  dp::MacTable macs_;
  std::array<dp::TableMiss, dp::kMaxTables> miss_{};
  std::vector<std::unique_ptr<dp::FlowRule>> rules_;
  std::unique_ptr<dp::TableSet> tables_;
};

TEST_F(TraceTest, FollowsGotoAndSetFieldToTheOutput) {
  Flows({"table=0,priority=10,tcp,tp_dst=80 actions=mod_nw_dst:10.0.0.9,goto_table:2",
         "table=2,ip,nw_dst=10.0.0.9 actions=output:3"});
  const TraceResult r = Run("in_port=1,tcp,nw_dst=10.0.0.1,tp_dst=80");
  EXPECT_EQ(r.outputs, std::vector<uint32_t>({3}));
  EXPECT_FALSE(r.dropped);
  const std::string all = All(r);
  EXPECT_NE(all.find("table 0: matched"), std::string::npos) << all;
  EXPECT_NE(all.find("goto table 2"), std::string::npos) << all;
  EXPECT_NE(all.find("output:3 (p3)"), std::string::npos) << all;
}

TEST_F(TraceTest, TableMissAndDrops) {
  Flows({"table=0,udp actions=output:2"});
  EXPECT_TRUE(Run("in_port=1,tcp").dropped);
  miss_[0] = dp::TableMiss::kController;
  Flows({"table=0,udp actions=output:2"});
  EXPECT_TRUE(Run("in_port=1,tcp").to_controller);
}

TEST_F(TraceTest, NormalUsesTheMacTable) {
  Flows({"actions=NORMAL"});
  EXPECT_EQ(Run("in_port=1,dl_dst=02:00:00:00:00:02").outputs, std::vector<uint32_t>({2, 3}));  // flood
  macs_.Learn(0, 0x020000000002ull, 2, 100);
  EXPECT_EQ(Run("in_port=1,dl_dst=02:00:00:00:00:02").outputs, std::vector<uint32_t>({2}));
}

TEST_F(TraceTest, RejectsAPacketWithoutInPortOrWithBadSyntax) {
  Flows({"actions=drop"});
  EXPECT_FALSE(Trace(*tables_, ports_, macs_, 100, "tcp,tp_dst=80").ok());
  EXPECT_FALSE(Trace(*tables_, ports_, macs_, 100, "in_port=1,frob=2").ok());
}

}  // namespace
}  // namespace hashi::ctl
