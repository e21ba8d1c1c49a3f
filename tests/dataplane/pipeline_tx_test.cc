// Tests for the tx buffers' retry of refused packets (pipeline.h
// kTxBacklogMax, FlushPort, RehomeBacklog): a device that refuses some
// packets (a guest's full vhost ring) gets them again, in order, with newer
// ones behind; refusals are counted once; a device that takes nothing for
// too long, or a backlog past its bound, drops and counts; and a backlog
// whose port starts holding (its VM is being moved) joins the hold ring
// ahead of everything newer.
#include <rte_cycles.h>

#include "dataplane/pipeline_fixture.h"
#include "dataplane/port_move.h"

namespace hashi::dp {
namespace {

Bytes Numbered(uint16_t n) { return test::Udp4Frame(0x0a000001, 0x0a000002, n, 7); }
uint16_t NumberOf(const Bytes& f) { return test::Get16(f, 34); }

class PipelineTxTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    narrow_ = std::make_unique<test::RingPort>("pltx" + std::to_string(n_++), 2, 8);  // a tx ring of 7
    Flows({"in_port=1 actions=output:2"});
    BindVm(BindingKind::kLocal, nullptr);
    ctx_->tx_retry_cycles = rte_get_tsc_hz();  // 1 s
  }
  void BindVm(BindingKind kind, PortMove* move) {
    PortBinding b = *map_.Find(2);
    b.kind = kind;
    b.eth_port = narrow_->id();
    b.move = move;
    ASSERT_TRUE(map_.Bind(b).ok());
  }
  void RunNumbered(uint16_t from, uint16_t count) {
    std::vector<Bytes> frames;
    for (uint16_t i = 0; i < count; ++i) frames.push_back(Numbered(from + i));
    Run(0, frames);
  }
  std::vector<uint16_t> Numbers(const std::vector<Bytes>& frames) {
    std::vector<uint16_t> v;
    for (const Bytes& f : frames) v.push_back(NumberOf(f));
    return v;
  }
  const PortCounters& Vm() const { return ctx_->stats.ports[narrow_->id()]; }

  static inline int n_ = 0;
  std::unique_ptr<test::RingPort> narrow_;
};

TEST_F(PipelineTxTest, RefusedPacketsAreRetriedInOrder) {
  RunNumbered(0, 20);
  std::vector<uint16_t> seen = Numbers(narrow_->TakeSent());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(Vm().tx_refused, 13u);
  EXPECT_NE(ctx_->tx_backlog, 0u);
  RunNumbered(20, 5);  // newer ones queue behind the refused
  for (int loop = 0; loop < 10 && ctx_->tx_backlog != 0; ++loop) {
    FlushTx(*ctx_);
    for (uint16_t n : Numbers(narrow_->TakeSent())) seen.push_back(n);
  }
  ASSERT_EQ(seen.size(), 25u);
  for (uint16_t i = 0; i < 25; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(Vm().tx_packets, 25u);
  EXPECT_EQ(Vm().tx_dropped, 0u);
  EXPECT_EQ(Drops(DropReason::kTxFull), 0u);
  EXPECT_GE(Vm().tx_refused, 13u);  // each refused packet counted once per refusal streak
  EXPECT_LE(Vm().tx_refused, 18u);
}

TEST_F(PipelineTxTest, ADeviceThatTakesNothingTooLongDropsThem) {
  ctx_->tx_retry_cycles = rte_get_tsc_hz() / 1000;  // 1 ms
  RunNumbered(0, 20);  // the device takes 7, and the guest drains none of them
  FlushTx(*ctx_);
  EXPECT_EQ(Drops(DropReason::kTxFull), 0u);
  rte_delay_ms(3);
  FlushTx(*ctx_);
  EXPECT_EQ(Drops(DropReason::kTxFull), 13u);
  EXPECT_EQ(Vm().tx_dropped, 13u);
  EXPECT_EQ(ctx_->tx_backlog, 0u);
  EXPECT_EQ(narrow_->TakeSent().size(), 7u);
}

TEST_F(PipelineTxTest, TheBacklogIsBounded) {
  for (uint16_t b = 0; b < 20; ++b) RunNumbered(b * 32, 32);  // 640 packets, the device takes 7
  EXPECT_EQ(narrow_->TakeSent().size(), 7u);
  EXPECT_EQ(Drops(DropReason::kTxFull), 640u - 7u - kTxBacklogMax);
  FlushTx(*ctx_);
  std::vector<uint16_t> seen = Numbers(narrow_->TakeSent());
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen[0], 7);  // the oldest kept, the newest dropped
}

TEST_F(PipelineTxTest, WithoutRetryRefusedPacketsAreDroppedAtOnce) {
  ctx_->tx_retry_cycles = 0;  // control's own context
  RunNumbered(0, 20);
  EXPECT_EQ(narrow_->TakeSent().size(), 7u);
  EXPECT_EQ(Drops(DropReason::kTxFull), 13u);
  EXPECT_EQ(ctx_->tx_backlog, 0u);
}

// The source's VM stopped (its queues refuse) before the switch heard of it:
// what the device refused goes into the hold ring first, then newer packets.
TEST_F(PipelineTxTest, ABacklogJoinsTheHoldRingWhenThePortHolds) {
  auto move = PortMove::Create(1, HoldLimits{});
  ASSERT_TRUE(move.ok());
  RunNumbered(0, 20);
  EXPECT_EQ(narrow_->TakeSent().size(), 7u);
  BindVm(BindingKind::kHold, move->get());
  RehomeBacklog(*ctx_, map_);
  EXPECT_EQ(ctx_->tx_backlog, 0u);
  EXPECT_EQ((*move)->held_now(), 13u);
  RunNumbered(20, 3);
  EXPECT_EQ((*move)->held_now(), 16u);
  // The VM runs elsewhere now (another device): everything arrives in order.
  PortBinding b = *map_.Find(2);
  b.kind = BindingKind::kLocal;
  b.eth_port = ports_[1]->id();
  ASSERT_TRUE(map_.Bind(b).ok());
  DrainHeld(*ctx_, *tables_, map_, nullptr);
  FlushTx(*ctx_);
  const std::vector<uint16_t> seen = Numbers(Sent(1));
  ASSERT_EQ(seen.size(), 16u);
  for (uint16_t i = 0; i < 16; ++i) EXPECT_EQ(seen[i], 7 + i);
  EXPECT_EQ(Drops(DropReason::kTxFull), 0u);
  EXPECT_EQ((*move)->Totals().held, 16u);
}

}  // namespace
}  // namespace hashi::dp
