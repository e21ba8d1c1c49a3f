// PipelineTest: the fixture shared by the pipeline's tests: three
// ring-backed DPDK ports bound to OpenFlow ports 1-3, a worker context, and
// helpers to load flows (with groups and meters) and run bursts.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "control/flow_parser.h"
#include "dataplane/dpdk/ring.h"
#include "dataplane/pipeline.h"
#include "tests/support/dpdk_env.h"

namespace hashi::dp {

using test::Bytes;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_in_use_ = rte_mempool_in_use_count(test::TestPool());
    static int n = 0;
    const std::string tag = std::to_string(n++);
    for (int i = 0; i < 3; ++i) ports_.push_back(std::make_unique<test::RingPort>("pl" + tag + "_" + std::to_string(i)));
    auto pin = dpdk::Ring::Create("plpin" + tag, 256, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_TRUE(pin.ok());
    packet_in_ = std::make_unique<dpdk::Ring>(std::move(pin).value());
    ctx_ = std::make_unique<WorkerContext>();
    ctx_->macs = &macs_;
    ctx_->packet_in = packet_in_->get();
    ctx_->now_sec = 1000;
    for (uint32_t i = 0; i < 3; ++i) {
      PortBinding b;
      b.ofport = i + 1;
      b.eth_port = ports_[i]->id();
      b.name = "p" + std::to_string(i + 1);
      ASSERT_TRUE(map_.Bind(b).ok());
    }
    miss_.fill(TableMiss::kDrop);
  }
  void TearDown() override {
    DiscardTx(*ctx_);
    rte_mbuf* m;
    while (rte_ring_dequeue(packet_in_->get(), reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    ports_.clear();
    EXPECT_EQ(rte_mempool_in_use_count(test::TestPool()), baseline_in_use_) << "mbuf leak";
  }

  void Flows(const std::vector<std::string>& lines) {
    rules_.clear();
    std::vector<const FlowRule*> list;
    for (const auto& l : lines) {
      auto r = ctl::ParseFlow(l);
      ASSERT_TRUE(r.ok()) << l << ": " << r.error();
      rules_.push_back(std::make_unique<FlowRule>(std::move(r).value()));
      list.push_back(rules_.back().get());
    }
    tables_ = TableSet::Build(list, miss_, 1, ++version_, objects_);
  }

  // Receives frames on port index in (0-based) and runs one burst.
  void Run(int in, const std::vector<Bytes>& frames) {
    std::vector<rte_mbuf*> mbufs;
    for (const Bytes& f : frames) mbufs.push_back(test::MakeMbuf(f));
    ProcessBurst(*ctx_, *tables_, map_, ports_[in]->id(), mbufs.data(), static_cast<uint16_t>(mbufs.size()));
    FlushTx(*ctx_);
  }
  std::vector<Bytes> Sent(int port) { return ports_[port]->TakeSent(); }
  uint64_t Drops(DropReason r) const { return ctx_->stats.drops[static_cast<int>(r)]; }

  unsigned baseline_in_use_ = 0;
  std::vector<std::unique_ptr<test::RingPort>> ports_;
  std::unique_ptr<dpdk::Ring> packet_in_;
  std::unique_ptr<WorkerContext> ctx_;
  MacTable macs_;
  PortMap map_;
  std::array<TableMiss, kMaxTables> miss_{};
  std::vector<std::unique_ptr<FlowRule>> rules_;
  std::unique_ptr<TableSet> tables_;
  PipelineObjects objects_;  // groups and meters the next Flows() call sees
  uint64_t version_ = 1;
};

inline const Bytes kUdp = test::Udp4Frame(0x0a000001, 0x0a000002, 1000, 2000);

}  // namespace hashi::dp
