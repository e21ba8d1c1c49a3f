// Tests for dataplane/port_move.h and the pipeline's hold stages: packets for
// a held port wait in order; the rebind sends them before anything newer,
// even when the new device refuses some at first (newer packets queue behind
// them); the bounds in packets and in milliseconds drop and count; a
// reserved port drops and counts.
#include "dataplane/port_move.h"

#include <rte_cycles.h>

#include "dataplane/pipeline_fixture.h"

namespace hashi::dp {
namespace {

Bytes Numbered(uint16_t n) { return test::Udp4Frame(0x0a000001, 0x0a000002, n, 7); }
uint16_t NumberOf(const Bytes& f) { return test::Get16(f, 34); }
Bytes Frame(uint64_t dst, uint64_t src) { return test::Udp4Frame(0x0a000001, 0x0a000002, 1, 7, test::L2{dst, src, {}}); }

class PortMoveTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    Flows({"in_port=1 actions=output:2"});
  }
  void MakeMove(HoldLimits limits = {}) {
    auto m = PortMove::Create(1, limits);
    ASSERT_TRUE(m.ok()) << m.error();
    move_ = std::move(m).value();
  }
  void Bind(BindingKind kind, uint16_t eth_port, PortMove* move) {
    PortBinding b = *map_.Find(2);
    b.kind = kind;
    b.eth_port = eth_port;
    b.move = move;
    ASSERT_TRUE(map_.Bind(b).ok());
  }
  // What a worker does at the start of each loop.
  void Drain() {
    DrainHeld(*ctx_, *tables_, map_, nullptr);
    FlushTx(*ctx_);
  }
  void RunNumbered(uint16_t from, uint16_t count) {
    std::vector<Bytes> frames;
    for (uint16_t i = 0; i < count; ++i) frames.push_back(Numbered(from + i));
    Run(0, frames);
  }

  std::unique_ptr<PortMove> move_;
};

TEST_F(PortMoveTest, HeldPacketsLeaveFirstAfterTheRebind) {
  MakeMove();
  Bind(BindingKind::kHold, 0, move_.get());
  RunNumbered(0, 5);
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(move_->held_now(), 5u);
  // Resumed behind another device: the first loop sends what waited.
  Bind(BindingKind::kLocal, ports_[2]->id(), move_.get());
  Drain();
  auto out = Sent(2);
  ASSERT_EQ(out.size(), 5u);
  for (uint16_t i = 0; i < 5; ++i) EXPECT_EQ(NumberOf(out[i]), i);
  RunNumbered(5, 1);  // newer: through the ring while the move is attached
  EXPECT_TRUE(Sent(2).empty());
  Drain();
  out = Sent(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(NumberOf(out[0]), 5);
  const MoveCounters t = move_->Totals();
  EXPECT_EQ(t.held, 5u);    // waited while the port held
  EXPECT_EQ(t.queued, 1u);  // only passed through the ring
  EXPECT_EQ(t.flushed, 6u);
  EXPECT_NE(t.first_flush_tsc, 0u);
  EXPECT_EQ(ctx_->stats.held, 5u);
  EXPECT_EQ(move_->held_now(), 0u);
  // Settled: without the move, packets take the fast path again.
  Bind(BindingKind::kLocal, ports_[2]->id(), nullptr);
  RunNumbered(6, 1);
  EXPECT_EQ(Sent(2).size(), 1u);
}

// A destination whose queue is not ready, or whose guest ring is full,
// refuses packets: they stay held, newer ones queue behind them, nothing is
// dropped and the order holds.
TEST_F(PortMoveTest, ARefusingDeviceKeepsThemHeldAndInOrder) {
  test::RingPort narrow("pmnarrow", 2, 8);  // a tx ring of 7
  MakeMove();
  Bind(BindingKind::kHold, 0, move_.get());
  RunNumbered(0, 20);
  Bind(BindingKind::kLocal, narrow.id(), move_.get());
  std::vector<uint16_t> seen;
  uint16_t next = 20;
  for (int loop = 0; loop < 20 && (loop < 3 || move_->held_now() != 0); ++loop) {
    Drain();
    if (loop == 0) {
      EXPECT_GT(move_->held_now(), 0u) << "the device took everything: nothing tested";
    }
    if (loop < 3) {  // newer packets while the device is still backed up
      RunNumbered(next, 4);
      next += 4;
    }
    for (const Bytes& f : narrow.TakeSent()) seen.push_back(NumberOf(f));
  }
  ASSERT_EQ(seen.size(), next);
  for (uint16_t i = 0; i < next; ++i) EXPECT_EQ(seen[i], i);
  for (int r = 0; r < kDropReasonCount; ++r) EXPECT_EQ(ctx_->stats.drops[r], 0u) << kDropReasonNames[r];
  EXPECT_EQ(move_->Totals().held, 20u);          // while the port held
  EXPECT_EQ(move_->Totals().queued, next - 20u);  // newer ones, behind them in the ring
}

TEST_F(PortMoveTest, PacketBoundDropsTheOverflow) {
  MakeMove({.max_packets = 4, .max_ms = 1000});
  Bind(BindingKind::kHold, 0, move_.get());
  RunNumbered(0, 10);
  EXPECT_EQ(move_->held_now(), 4u);
  EXPECT_EQ(Drops(DropReason::kHoldOverflow), 6u);
  EXPECT_EQ(move_->Totals().overflow, 6u);
  Bind(BindingKind::kLocal, ports_[1]->id(), move_.get());
  Drain();
  const auto out = Sent(1);
  ASSERT_EQ(out.size(), 4u);
  for (uint16_t i = 0; i < 4; ++i) EXPECT_EQ(NumberOf(out[i]), i);  // the first four were kept
}

TEST_F(PortMoveTest, TimeBoundDropsWhatWaitedTooLong) {
  MakeMove({.max_packets = 100, .max_ms = 2});
  Bind(BindingKind::kHold, 0, move_.get());
  RunNumbered(0, 3);
  rte_delay_ms(5);
  RunNumbered(3, 2);
  Bind(BindingKind::kLocal, ports_[1]->id(), move_.get());
  Drain();
  const auto out = Sent(1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(NumberOf(out[0]), 3);
  EXPECT_EQ(Drops(DropReason::kHoldExpired), 3u);
  EXPECT_EQ(move_->Totals().expired, 3u);
  EXPECT_EQ(move_->held_now(), 0u);
}

TEST_F(PortMoveTest, ReservedPortDropsAndCounts) {
  Bind(BindingKind::kReserved, 0, nullptr);
  RunNumbered(0, 3);
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(Drops(DropReason::kPortReserved), 3u);
}

TEST_F(PortMoveTest, AMoveFreesWhatItStillHolds) {
  MakeMove();
  Bind(BindingKind::kHold, 0, move_.get());
  RunNumbered(0, 7);
  Bind(BindingKind::kLocal, ports_[1]->id(), nullptr);
  move_.reset();  // the fixture's TearDown checks that no mbuf leaked
  RunNumbered(7, 1);
  EXPECT_EQ(Sent(1).size(), 1u);
}

// A moving VM's port leads into the tunnel to its new host (here port 3
// stands for that tunnel): what comes out of that tunnel is never flooded or
// NORMAL-forwarded back into it, so the new host never learns the VM's MAC
// behind the tunnel from its own frames.
TEST_F(PortMoveTest, NothingFromTheTunnelGoesBackIntoAPortLeadingThere) {
  Flows({"actions=NORMAL"});
  const uint64_t vm_mac = 0x020000000002, client_mac = 0x020000000001;
  Run(1, {Frame(0xffffffffffff, vm_mac)});  // the VM seen at port 2
  Sent(0);
  Sent(2);
  for (BindingKind kind : {BindingKind::kRemote, BindingKind::kHold}) {
    MakeMove();
    PortBinding b = *map_.Find(2);
    b.kind = kind;
    b.remote_tunnel = 3;
    b.move = move_.get();
    ASSERT_TRUE(map_.Bind(b).ok());
    Run(2, {Frame(0xffffffffffff, 0x0200000000aa)});  // a broadcast from the tunnel
    EXPECT_EQ(Sent(0).size(), 1u);
    EXPECT_EQ(move_->held_now(), 0u) << "flooded into the port leading back";
    Run(2, {Frame(vm_mac, client_mac)});  // unicast to the VM from the tunnel
    EXPECT_EQ(move_->held_now(), 0u) << "NORMAL sent it back towards the tunnel";
    EXPECT_TRUE(Sent(0).empty());
    Bind(BindingKind::kLocal, ports_[1]->id(), nullptr);
    move_.reset();
  }
  EXPECT_EQ(Drops(DropReason::kTunnelHairpin), 2u);
  EXPECT_EQ(Drops(DropReason::kNoAction), 0u);
  // From anywhere else the port is a flood member as before.
  MakeMove();
  Bind(BindingKind::kHold, 0, move_.get());
  Run(0, {Frame(0xffffffffffff, client_mac)});
  EXPECT_EQ(move_->held_now(), 1u);
  EXPECT_EQ(Sent(2).size(), 1u);
  Bind(BindingKind::kLocal, ports_[1]->id(), nullptr);
  move_.reset();
}

TEST_F(PortMoveTest, AReservedPortIsNoFloodMember) {
  Flows({"actions=FLOOD"});
  Bind(BindingKind::kReserved, 0, nullptr);
  Run(0, {Frame(0xffffffffffff, 0x020000000001)});
  EXPECT_EQ(Sent(2).size(), 1u);
  EXPECT_EQ(Drops(DropReason::kPortReserved), 0u);
}

TEST(PortMove, RefusesEmptyLimits) {
  EXPECT_FALSE(PortMove::Create(1, {.max_packets = 0, .max_ms = 10}).ok());
  EXPECT_FALSE(PortMove::Create(1, {.max_packets = 10, .max_ms = 0}).ok());
}

}  // namespace
}  // namespace hashi::dp
