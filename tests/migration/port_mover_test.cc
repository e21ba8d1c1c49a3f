// Tests for migration/port_mover.h on real ring-backed devices, a real
// tunnel manager (static neighbour, so the tunnel is resolved) and a
// datapath whose worker loop the test runs: the source's Local -> Hold ->
// Remote with held packets leaving first into the tunnel, the rollback to
// Local, the settle back to the fast path, the destination's Reserved ->
// Local, refusals, and the announcement frames.
#include "migration/port_mover.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include "control/flow_db.h"
#include "control/flow_parser.h"
#include "control/tunnel_manager.h"
#include "tests/support/dpdk_env.h"
#include "tests/support/packets.h"

namespace hashi::mig {
namespace {

using test::Bytes;
constexpr uint32_t kClient = 1, kVm = 2, kGre = 10;

std::string DevName(uint16_t port) {
  char name[RTE_ETH_NAME_MAX_LEN];
  EXPECT_EQ(rte_eth_dev_get_name_by_port(port, name), 0);
  EXPECT_EQ(rte_eth_dev_stop(port), 0);  // the port manager configures it
  return name;
}

Bytes Numbered(uint16_t n) { return test::Udp4Frame(0x0a000001, 0x0a000002, n, 7); }

class PortMoverTest : public test::OneWorkerDatapathTest {
 protected:
  void SetUp() override {
    OneWorkerDatapathTest::SetUp();
    static int n = 0;
    const std::string tag = std::to_string(n++);
    client_ = std::make_unique<test::RingPort>("pmv_c" + tag);
    vm_ = std::make_unique<test::RingPort>("pmv_v" + tag);
    uplink_ = std::make_unique<test::RingPort>("pmv_u" + tag);
    ports_ = std::make_unique<ctl::PortManager>(*dp_, 4096);
    ASSERT_TRUE(ports_->Open({{"client", kClient, DevName(client_->id())}, {"web1", kVm, DevName(vm_->id())}}).ok());
    tm_ = std::make_unique<ctl::TunnelManager>(*dp_, *ports_);
    ASSERT_TRUE(tm_->Init().ok());
    ASSERT_TRUE(tm_->AddUplink(*tun::ParseUplinkSpec("wan:10.1.0.1/24:" + DevName(uplink_->id()))).ok());
    ASSERT_TRUE(tm_->AddRoute(*tun::ParseRouteSpec("default:10.1.0.254")).ok());
    ASSERT_TRUE(tm_->AddNeighbor(*tun::ParseNeighborSpec("10.1.0.254:02:00:00:00:00:fe")).ok());
    ASSERT_TRUE(tm_->AddTunnel(*tun::ParseTunnelSpec("gre0:10:remote_ip=10.2.0.1,key=77")).ok());
    db_ = std::make_unique<ctl::FlowDb>(*dp_);
    ASSERT_TRUE(db_->Add(*ctl::ParseFlow("in_port=1 actions=output:2")).ok());
    db_->Commit();
    PortMoverOptions o;
    o.vm_devargs = "net_ring_pmv{ofport}_" + tag;
    o.settle_ms = 0;
    mover_ = std::make_unique<PortMover>(*dp_, *ports_,
                                         [this](const uint8_t* f, size_t len, uint32_t in_port) {
                                           injected_.emplace_back(in_port, Bytes(f, f + len));
                                           return true;
                                         },
                                         o);
    vm_id_.name = "web1";
    vm_id_.ofport = kVm;
    vm_id_.mac = 0x020000000002;
  }
  void TearDown() override {
    mover_.reset();
    tm_->Shutdown();
    for (unsigned i = 0; i < 3; ++i) dp_->PollOnce(0);
    dp::DiscardTx(dp_->worker(0));
    tm_.reset();
    ports_->CloseAll();
    EXPECT_EQ(ports_->MbufsInUse(), 0u);
  }
  // Client traffic numbered from..from+count, through one worker loop.
  void Send(uint16_t from, uint16_t count) {
    std::vector<Bytes> f;
    for (uint16_t i = 0; i < count; ++i) f.push_back(Numbered(from + i));
    client_->Receive(f);
    dp_->PollOnce(0);
  }
  static uint16_t NumberInGre(const Bytes& f) { return test::Get16(f, 42 + 34); }
  uint64_t Drops(dp::DropReason r) { return dp_->Totals().drops[static_cast<int>(r)]; }

  std::unique_ptr<test::RingPort> client_, vm_, uplink_;
  std::unique_ptr<ctl::PortManager> ports_;
  std::unique_ptr<ctl::TunnelManager> tm_;
  std::unique_ptr<ctl::FlowDb> db_;
  std::unique_ptr<PortMover> mover_;
  std::vector<std::pair<uint32_t, Bytes>> injected_;
  VmIdentity vm_id_;
};

TEST_F(PortMoverTest, SourceHoldsThenSendsHeldFirstIntoTheTunnel) {
  ASSERT_TRUE(mover_->CheckSource(vm_id_, kGre).ok());
  Send(0, 3);
  EXPECT_EQ(vm_->TakeSent().size(), 3u);
  ASSERT_TRUE(mover_->Hold(kVm, kGre).ok());
  EXPECT_EQ(ports_->Find(kVm)->binding, dp::BindingKind::kHold);
  Send(3, 5);
  EXPECT_TRUE(vm_->TakeSent().empty());
  EXPECT_EQ(mover_->Figures(kVm).held_now, 5u);
  ASSERT_TRUE(mover_->BindRemote(kVm, kGre).ok());
  Send(8, 2);
  const auto gre = uplink_->TakeSent();
  ASSERT_EQ(gre.size(), 7u);
  for (uint16_t i = 0; i < 7; ++i) EXPECT_EQ(NumberInGre(gre[i]), 3 + i) << "order";
  EXPECT_EQ(test::Get16(gre[0], 40), 77);  // the tunnel's key
  MoveFigures f = mover_->Figures(kVm);
  EXPECT_EQ(f.held, 5u);
  EXPECT_EQ(f.flushed, 5u);
  EXPECT_EQ(f.forwarded, 7u);
  EXPECT_NE(f.first_flush_ns, 0u);
  EXPECT_TRUE(ports_->Find(kVm)->link_up);  // the pointer carries the port
  ASSERT_TRUE(mover_->RemovePort(kVm).ok());
  EXPECT_FALSE(ports_->Find(kVm).ok());
  EXPECT_EQ(mover_->Figures(kVm).forwarded, 7u);  // kept for the report
  Send(10, 1);
  EXPECT_EQ(Drops(dp::DropReason::kNoSuchPort), 1u);
}

TEST_F(PortMoverTest, RollbackDeliversHeldLocallyThenSettles) {
  ASSERT_TRUE(mover_->Hold(kVm, kGre).ok());
  Send(0, 4);
  ASSERT_TRUE(mover_->BindLocalAgain(kVm).ok());
  Send(4, 2);
  dp_->PollOnce(0);
  const auto out = vm_->TakeSent();
  ASSERT_EQ(out.size(), 6u);
  for (uint16_t i = 0; i < 6; ++i) EXPECT_EQ(test::Get16(out[i], 34), i);
  EXPECT_EQ(mover_->moving(), 1u);
  for (uint64_t t = 1; t <= 3 && mover_->moving() != 0; ++t) {
    mover_->Poll(t * 1000000000ull);
    dp_->PollOnce(0);
  }
  EXPECT_EQ(mover_->moving(), 0u);
  EXPECT_EQ(dp_->ports()->Find(kVm)->move, nullptr);  // back on the fast path
  Send(6, 1);
  EXPECT_EQ(vm_->TakeSent().size(), 1u);
  EXPECT_EQ(mover_->Figures(kVm).flushed, 6u);
}

// During pre-copy the source's ring is a guard against the VM stopping at
// any moment: it must not be settled away however long it stays idle.
TEST_F(PortMoverTest, APreCopyGuardIsNeverSettled) {
  ASSERT_TRUE(mover_->HoldOnRefusal(kVm).ok());
  for (uint64_t t = 1; t <= 5; ++t) {
    mover_->Poll(t * 1000000000ull);
    dp_->PollOnce(0);
  }
  EXPECT_EQ(mover_->moving(), 1u);
  ASSERT_NE(dp_->ports()->Find(kVm)->move, nullptr);
  Send(0, 2);
  dp_->PollOnce(0);
  EXPECT_EQ(mover_->Figures(kVm).queued, 2u);  // through the ring
  EXPECT_EQ(vm_->TakeSent().size(), 2u);
  ASSERT_TRUE(mover_->BindLocalAgain(kVm).ok());  // rolled back: now it may settle
  for (uint64_t t = 6; t <= 9 && mover_->moving() != 0; ++t) {
    mover_->Poll(t * 1000000000ull);
    dp_->PollOnce(0);
  }
  EXPECT_EQ(mover_->moving(), 0u);
}

TEST_F(PortMoverTest, DestinationReservesThenGoesLocal) {
  VmIdentity in = vm_id_;
  in.name = "db1";
  in.ofport = 7;
  EXPECT_FALSE(mover_->Reserve(in, 0x0a030001).ok());  // no tunnel back to 10.3.0.1
  in.ofport = kVm;
  EXPECT_FALSE(mover_->Reserve(in, 0x0a020001).ok());  // port number taken
  in.ofport = 7;
  const Status s = mover_->Reserve(in, 0x0a020001);
  ASSERT_TRUE(s.ok()) << s.message();
  auto p = ports_->Find(7);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->binding, dp::BindingKind::kReserved);
  EXPECT_FALSE(p->link_up);
  ASSERT_TRUE(db_->Add(*ctl::ParseFlow("priority=40000,in_port=1 actions=output:7")).ok());
  db_->Commit();
  Send(0, 2);
  EXPECT_EQ(Drops(dp::DropReason::kPortReserved), 2u);
  ASSERT_TRUE(mover_->BindLocal(7).ok());
  Send(2, 2);
  dp_->PollOnce(0);
  EXPECT_EQ(mover_->Figures(7).flushed, 2u);  // through the hold ring to the new device
  mover_->Unreserve(7);
  EXPECT_FALSE(ports_->Find(7).ok());
}

// A port configured for the VM beforehand (the vhost-user client the
// incoming QEMU waits for) is adopted: Reserved, then Local with its device;
// a rollback leaves it as it was.
TEST_F(PortMoverTest, DestinationAdoptsTheVmsConfiguredPort) {
  const std::string devargs = ports_->Find(kVm)->spec.devargs;
  ASSERT_TRUE(mover_->Reserve(vm_id_, 0x0a020001).ok());
  EXPECT_EQ(ports_->Find(kVm)->binding, dp::BindingKind::kReserved);
  EXPECT_EQ(ports_->Find(kVm)->spec.devargs, devargs);  // the same device, not one from the template
  Send(0, 2);
  EXPECT_TRUE(vm_->TakeSent().empty());
  mover_->Unreserve(kVm);  // rollback
  ASSERT_TRUE(ports_->Find(kVm).ok());
  EXPECT_EQ(ports_->Find(kVm)->binding, dp::BindingKind::kLocal);
  Send(2, 1);
  EXPECT_EQ(vm_->TakeSent().size(), 1u);
  ASSERT_TRUE(mover_->Reserve(vm_id_, 0x0a020001).ok());
  ASSERT_TRUE(mover_->BindLocal(kVm).ok());
  Send(3, 2);
  dp_->PollOnce(0);
  EXPECT_EQ(vm_->TakeSent().size(), 2u);
  EXPECT_EQ(mover_->Figures(kVm).flushed, 2u);  // through the hold ring, device backpressure on
  VmIdentity other = vm_id_;
  other.name = "db1";
  const Status s = mover_->Reserve(other, 0x0a020001);  // the number belongs to web1's port
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("taken by web1"), std::string::npos) << s.message();
}

TEST_F(PortMoverTest, RefusesAnUnreadySource) {
  VmIdentity unknown = vm_id_;
  unknown.ofport = 9;
  EXPECT_FALSE(mover_->CheckSource(unknown, kGre).ok());
  EXPECT_FALSE(mover_->CheckSource(vm_id_, 11).ok());  // no such tunnel
  ASSERT_TRUE(tm_->AddTunnel(*tun::ParseTunnelSpec("gre1:11:remote_ip=10.9.9.9,key=1")).ok());
  ASSERT_TRUE(tm_->DeleteNeighbor(0x0a0100fe).ok());
  const Status s = mover_->CheckSource(vm_id_, kGre);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unreachable"), std::string::npos) << s.message();
}

TEST_F(PortMoverTest, AnnouncesFromTheVmsPort) {
  vm_id_.ipv4 = {0x0a000002, 0x0a000003};
  mover_->Announce(vm_id_);
  ASSERT_EQ(injected_.size(), 2u);
  EXPECT_EQ(injected_[0].first, kVm);
  const Bytes& garp = injected_[1].second;
  EXPECT_EQ(garp.size(), 60u);
  EXPECT_EQ(test::Get16(garp, 0), 0xffff);              // broadcast
  EXPECT_EQ(test::Get16(garp, 10), 0x0002);             // from the VM's MAC
  EXPECT_EQ(test::Get16(garp, 12), 0x0806);
  EXPECT_EQ(test::Get16(garp, 20), 1);                  // request
  EXPECT_EQ(test::Get16(garp, 30), 0x0003);             // sender IP 10.0.0.3 ...
  EXPECT_EQ(test::Get16(garp, 40), 0x0003);             // ... asks for itself
  injected_.clear();
  vm_id_.ipv4.clear();
  mover_->Announce(vm_id_);
  ASSERT_EQ(injected_.size(), 1u);
  const Bytes& rarp = injected_[0].second;
  EXPECT_EQ(test::Get16(rarp, 12), 0x8035);
  EXPECT_EQ(test::Get16(rarp, 20), 3);                  // request reverse
  EXPECT_EQ(test::Get16(rarp, 36), 0x0002);             // target hardware address: the VM
}

}  // namespace
}  // namespace hashi::mig
