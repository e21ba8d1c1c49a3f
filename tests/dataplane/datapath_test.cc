// Tests for dataplane/datapath.h with a real worker on lcore 1: rules added
// and removed by the thousand while traffic flows, and a logical port's
// binding swapped Local -> Hold -> Local(other device) under traffic. Nothing
// may be lost, duplicated, misforwarded or reordered, and the worker loop must
// keep running through every publish.
#include "dataplane/datapath.h"

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <memory>
#include <set>

#include "control/flow_db.h"
#include "control/flow_parser.h"
#include "dataplane/dpdk/ring.h"
#include "dataplane/port_move.h"
#include "tests/support/dpdk_env.h"

namespace hashi::dp {
namespace {

using test::Bytes;

// Sequence number carried in the UDP payload's first four bytes.
Bytes SeqFrame(uint32_t seq, uint32_t dst_ip) {
  Bytes f = test::Udp4Frame(0x0a000001, dst_ip, 5000, 6000);
  f[42] = seq >> 24; f[43] = seq >> 16; f[44] = seq >> 8; f[45] = seq & 0xff;
  return f;
}
uint32_t SeqOf(const Bytes& f) {
  return static_cast<uint32_t>(f[42]) << 24 | f[43] << 16 | f[44] << 8 | f[45];
}
uint32_t DstIpOf(const Bytes& f) {
  return static_cast<uint32_t>(f[30]) << 24 | f[31] << 16 | f[32] << 8 | f[33];
}

class DatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    const std::string tag = std::to_string(n++);
    for (int i = 0; i < 3; ++i) ports_.push_back(std::make_unique<test::RingPort>("dp" + tag + "_" + std::to_string(i)));
    auto dp = Datapath::Create(1);
    ASSERT_TRUE(dp.ok()) << dp.error();
    dp_ = std::move(dp).value();
    auto map = std::make_unique<PortMap>();
    for (uint32_t i = 0; i < 3; ++i) {
      PortBinding b;
      b.ofport = i + 1;
      b.eth_port = ports_[i]->id();
      ASSERT_TRUE(map->Bind(b).ok());
    }
    map->AddRxQueue(0, RxQueueRef{ports_[0]->id(), 0});
    dp_->PublishPorts(std::move(map));
    ASSERT_GE(rte_lcore_count(), 2u) << "tests need two lcores";
  }
  void TearDown() override {
    dp_->Stop();
    dp_.reset();
    ports_.clear();
  }
  void StartWorker() { ASSERT_TRUE(dp_->Start({rte_get_next_lcore(-1, 1, 0)}).ok()); }

  // Sends frames [first, first+n) to port 1 in bursts, waiting for room.
  void Inject(uint32_t first, uint32_t n, uint32_t dst_ip) {
    for (uint32_t s = first; s < first + n; ++s) {
      rte_mbuf* m = test::MakeMbuf(SeqFrame(s, dst_ip));
      ASSERT_NE(m, nullptr);
      while (rte_ring_enqueue(ports_[0]->rx(), m) != 0) rte_pause();
    }
  }
  void WaitDrained() {
    const uint64_t deadline = rte_get_tsc_cycles() + 5 * rte_get_tsc_hz();
    while (rte_ring_count(ports_[0]->rx()) != 0 && rte_get_tsc_cycles() < deadline) rte_pause();
    rte_delay_ms(20);  // the burst in flight
  }

  std::vector<std::unique_ptr<test::RingPort>> ports_;
  std::unique_ptr<Datapath> dp_;
};

TEST_F(DatapathTest, RuleChurnUnderTrafficLosesNothing) {
  ctl::FlowDb db(*dp_);
  db.SetTableMiss(0, TableMiss::kDrop);
  // The rules traffic depends on: 10.0.0.x -> port 2, 10.0.1.x -> port 3.
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("priority=100,ip,nw_dst=10.0.0.0/24 actions=output:2")).ok());
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("priority=100,ip,nw_dst=10.0.1.0/24 actions=output:3")).ok());
  db.Commit();
  StartWorker();

  uint32_t seq = 0;
  uint64_t loops_before = dp_->worker(0).stats.loops;
  for (int round = 0; round < 20; ++round) {
    // Churn: 1,000 unrelated higher-priority rules in and out, and shadowed
    // lower-priority rules on the live destinations.
    for (int i = 0; i < 1000; ++i) {
      auto r = ctl::ParseFlow("priority=200,ip,nw_src=11." + std::to_string(round) + "." +
                              std::to_string(i / 250) + "." + std::to_string(i % 250) + " actions=output:1");
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE(db.Add(*r).ok());
    }
    ASSERT_TRUE(db.Add(*ctl::ParseFlow("priority=10,ip,nw_dst=10.0.0.0/24 actions=output:3")).ok());
    Inject(seq, 200, 0x0a000002);
    seq += 200;
    db.Commit();
    Inject(seq, 200, 0x0a000102);
    seq += 200;
    auto filter = ctl::ParseFlow("priority=200,ip,nw_src=11." + std::to_string(round) + ".0.0/16 actions=drop");
    EXPECT_EQ(db.Delete(ctl::FlowDb::kAllTables, *filter, false), 1000u);
    db.Commit();
    const uint64_t loops_now = dp_->worker(0).stats.loops;
    EXPECT_GT(loops_now, loops_before) << "worker loop stalled in round " << round;
    loops_before = loops_now;
  }
  WaitDrained();
  const auto p2 = ports_[1]->TakeSent(), p3 = ports_[2]->TakeSent(), p1 = ports_[0]->TakeSent();
  EXPECT_TRUE(p1.empty());
  EXPECT_EQ(p2.size() + p3.size(), seq);
  uint32_t last2 = 0, last3 = 0;
  bool first2 = true, first3 = true;
  for (const Bytes& f : p2) {
    EXPECT_EQ(DstIpOf(f), 0x0a000002u) << "misforwarded";
    EXPECT_TRUE(first2 || SeqOf(f) > last2) << "reordered";
    last2 = SeqOf(f);
    first2 = false;
  }
  for (const Bytes& f : p3) {
    EXPECT_EQ(DstIpOf(f), 0x0a000102u) << "misforwarded";
    EXPECT_TRUE(first3 || SeqOf(f) > last3) << "reordered";
    last3 = SeqOf(f);
    first3 = false;
  }
  const DatapathTotals t = dp_->Totals();
  for (int r = 0; r < kDropReasonCount; ++r) EXPECT_EQ(t.drops[r], 0u) << kDropReasonNames[r];
  // Counters survive the 40 rebuilds: the /24 rules saw every packet.
  uint64_t counted = 0;
  for (const auto& s : db.Dump()) {
    if (s.rule->priority == 100) counted += s.packets;
  }
  EXPECT_EQ(counted, seq);
}

TEST_F(DatapathTest, BindingSwapUnderTrafficLosesNothingAndKeepsOrder) {
  ctl::FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("in_port=1 actions=output:2")).ok());
  db.Commit();
  auto move = PortMove::Create(dp_->num_workers() + 1, {.max_packets = 8192, .max_ms = 10000});
  ASSERT_TRUE(move.ok()) << move.error();
  StartWorker();

  auto publish = [&](BindingKind kind, int device, bool carry_move) {
    auto map = std::make_unique<PortMap>(*dp_->ports());
    PortBinding b = *map->Find(2);
    b.kind = kind;
    b.eth_port = ports_[device]->id();
    b.move = (kind == BindingKind::kHold || carry_move) ? move->get() : nullptr;
    ASSERT_TRUE(map->Bind(b).ok());
    map->SetRxOfport(ports_[0]->id(), 1);
    dp_->PublishPorts(std::move(map));
  };
  uint32_t seq = 0;
  int device = 1;
  for (int round = 0; round < 30; ++round) {
    Inject(seq, 100, 0x0a000002);
    seq += 100;
    publish(BindingKind::kHold, device, false);  // VM paused: hold
    Inject(seq, 100, 0x0a000002);
    seq += 100;
    device = device == 1 ? 2 : 1;  // resumed elsewhere: rebind, held first
    publish(BindingKind::kLocal, device, true);
    Inject(seq, 100, 0x0a000002);
    seq += 100;
    WaitDrained();
    dp_->rcu().Synchronize();  // no worker holds for the Hold map any more
    while ((*move)->held_now() != 0) rte_pause();
    publish(BindingKind::kLocal, device, false);  // settled: back to the fast path
  }
  WaitDrained();
  EXPECT_EQ((*move)->held_now(), 0u);
  // Merge what both devices sent; one worker means global order is kept per device.
  std::set<uint32_t> seen;
  for (int d : {1, 2}) {
    uint32_t last = 0;
    bool first = true;
    for (const Bytes& f : ports_[d]->TakeSent()) {
      const uint32_t s = SeqOf(f);
      EXPECT_TRUE(seen.insert(s).second) << "duplicate " << s;
      EXPECT_TRUE(first || s > last) << "reordered on device " << d;
      last = s;
      first = false;
    }
  }
  EXPECT_EQ(seen.size(), seq);
  const DatapathTotals t = dp_->Totals();
  for (int r = 0; r < kDropReasonCount; ++r) EXPECT_EQ(t.drops[r], 0u) << kDropReasonNames[r];
  EXPECT_GT(t.held, 0u);
  EXPECT_EQ((*move)->Totals().held + (*move)->Totals().queued, (*move)->Totals().flushed);
}

TEST_F(DatapathTest, PollOnceWithoutWorkerThread) {
  ctl::FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("in_port=1 actions=output:3")).ok());
  db.Commit();  // no worker registered: the grace period is immediate
  Inject(0, 10, 0x0a000002);
  dp_->PollOnce(0);
  EXPECT_EQ(ports_[2]->TakeSent().size(), 10u);
  EXPECT_EQ(dp_->worker(0).stats.snapshot_version, dp_->tables()->version());
}

// An idle worker sleeps (adaptive polling) and still forwards everything
// once traffic comes; publishes do not wait for a sleeping worker.
TEST_F(DatapathTest, IdleWorkerSleepsAndWakesForTraffic) {
  ctl::FlowDb db(*dp_);
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("in_port=1 actions=output:3")).ok());
  db.Commit();
  dp_->set_max_sleep_us(200);
  StartWorker();
  rte_delay_ms(50);
  const uint64_t sleeps = ReadCounter(dp_->worker(0).stats.sleeps);
  EXPECT_GT(sleeps, 10u) << "an idle worker did not sleep";
  const uint64_t hz = rte_get_tsc_hz();
  EXPECT_GT(ReadCounter(dp_->worker(0).stats.sleep_cycles), hz / 100) << "asleep less than 10 ms of 50";
  Inject(0, 500, 0x0a000002);
  WaitDrained();
  std::vector<Bytes> out = ports_[2]->TakeSent();
  ASSERT_EQ(out.size(), 500u);
  for (uint32_t i = 0; i < out.size(); ++i) EXPECT_EQ(SeqOf(out[i]), i);
  const uint64_t before = rte_get_tsc_cycles();
  ASSERT_TRUE(db.Add(*ctl::ParseFlow("in_port=2 actions=output:3")).ok());
  db.Commit();  // waits for a grace period
  EXPECT_LT(rte_get_tsc_cycles() - before, hz / 10) << "a publish waited on a sleeping worker";
}

TEST_F(DatapathTest, BusyPollingWorkerNeverSleeps) {
  dp_->set_max_sleep_us(0);
  StartWorker();
  rte_delay_ms(30);
  EXPECT_EQ(ReadCounter(dp_->worker(0).stats.sleeps), 0u);
  EXPECT_GT(ReadCounter(dp_->worker(0).stats.loops), 1000u);
}

TEST(Datapath, RejectsBadWorkerCounts) {
  EXPECT_FALSE(Datapath::Create(0).ok());
  EXPECT_FALSE(Datapath::Create(100000).ok());
}

}  // namespace
}  // namespace hashi::dp
