// Tests for control/tunnel_manager.h with a real uplink device (a ring-backed
// ethdev): the published TunnelTable follows routes and neighbours (the
// template is rebuilt when the neighbour's MAC is learned or changes), ARP
// requests go out for unresolved next hops, packets wait for ARP and leave
// when it answers, hashi answers ARP and ping for its address, and bad
// settings are refused.
#include "control/tunnel_manager.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "tests/support/dpdk_env.h"
#include "tests/support/packets.h"
#include "tunnel/underlay_frames.h"

namespace hashi::ctl {
namespace {

using test::Bytes;
constexpr uint32_t kMe = 0x0a010001, kGw = 0x0a0100fe;
constexpr uint64_t kGwMac = 0x0200000000fe, kGwMac2 = 0x0200000000ef;
constexpr uint64_t kSec = 1000000000;

class TunnelManagerTest : public test::OneWorkerDatapathTest {
 protected:
  void SetUp() override {
    OneWorkerDatapathTest::SetUp();
    static int n = 0;
    const std::string name = "tmup" + std::to_string(n++);
    uplink_ = std::make_unique<test::RingPort>(name);
    ports_ = std::make_unique<PortManager>(*dp_, 2048);
    ASSERT_TRUE(ports_->Open({{"vm", 1, "net_null" + std::to_string(40 + n)}}).ok());
    tm_ = std::make_unique<TunnelManager>(*dp_, *ports_);
    ASSERT_TRUE(tm_->Init().ok());
    char dev_name[RTE_ETH_NAME_MAX_LEN];
    ASSERT_EQ(rte_eth_dev_get_name_by_port(uplink_->id(), dev_name), 0);
    ASSERT_EQ(rte_eth_dev_stop(uplink_->id()), 0);  // the port manager configures it
    const Status up = tm_->AddUplink(*tun::ParseUplinkSpec(std::string("wan:10.1.0.1/24:") + dev_name));
    ASSERT_TRUE(up.ok()) << up.message();
    ASSERT_TRUE(tm_->AddRoute(*tun::ParseRouteSpec("default:10.1.0.254")).ok());
    mac_ = tm_->Uplinks()[0].mac;
  }
  void TearDown() override {
    tm_->Shutdown();
    uplink_->TakeSent();
    tm_.reset();
    ports_->CloseAll();
    EXPECT_EQ(ports_->MbufsInUse(), 0u);
    uplink_.reset();
  }
  const tun::TunnelEntry* Entry(uint32_t ofport) { return dp_->tunnels()->FindByOfport(ofport); }
  // Hands frame to the manager as a worker would (punted from the uplink).
  void Punt(const Bytes& frame) {
    rte_mbuf* m = test::MakeMbuf(frame);
    m->port = uplink_->id();
    ASSERT_EQ(rte_ring_enqueue(dp_->tunnels()->punt(), m), 0);
  }
  // An ARP request counts as an answer here only when it asks for kGw.
  static bool IsArpRequestFor(const Bytes& f, uint32_t ip) {
    tun::ArpInfo a;
    return tun::ParseArp(f.data(), f.size(), &a) && a.op == 1 && a.tpa == ip;
  }

  std::unique_ptr<test::RingPort> uplink_;
  std::unique_ptr<PortManager> ports_;
  std::unique_ptr<TunnelManager> tm_;
  uint64_t mac_ = 0;
  uint64_t now_ = 100 * kSec;
};

TEST_F(TunnelManagerTest, ResolvesTheNextHopAndRebuildsTheTemplateWhenItMoves) {
  ASSERT_TRUE(tm_->AddTunnel(*tun::ParseTunnelSpec("gre0:10:remote_ip=10.2.0.1,key=7")).ok());
  ASSERT_NE(Entry(10), nullptr);
  EXPECT_FALSE(Entry(10)->resolved);
  EXPECT_EQ(Entry(10)->next_hop, kGw);
  EXPECT_EQ(Entry(10)->local_ip, kMe);
  EXPECT_EQ(dp_->ports()->Find(10)->kind, dp::BindingKind::kTunnel);
  tm_->Poll(now_);
  auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(IsArpRequestFor(sent[0], kGw));
  Punt(test::ArpFrame(2, kGwMac, kGw, mac_, kMe));
  tm_->Poll(now_ + 1000);
  ASSERT_TRUE(Entry(10)->resolved);
  EXPECT_EQ(Bytes(Entry(10)->encap.bytes, Entry(10)->encap.bytes + 6), (Bytes{2, 0, 0, 0, 0, 0xfe}));
  // The gateway announces a new MAC: the template follows.
  Punt(test::ArpFrame(1, kGwMac2, kGw, 0, kGw, test::L2{0xffffffffffff, kGwMac2, {}}));
  tm_->Poll(now_ + 2000);
  EXPECT_EQ(Bytes(Entry(10)->encap.bytes, Entry(10)->encap.bytes + 6), (Bytes{2, 0, 0, 0, 0, 0xef}));
  ASSERT_EQ(tm_->Tunnels().size(), 1u);
  EXPECT_EQ(tm_->Tunnels()[0].next_hop_mac, kGwMac2);
}

TEST_F(TunnelManagerTest, HoldsPacketsUntilArpAnswersThenSendsThemInOrder) {
  ASSERT_TRUE(tm_->AddTunnel(*tun::ParseTunnelSpec("gre0:10:remote_ip=10.2.0.1,key=7")).ok());
  for (uint8_t i = 0; i < 3; ++i) {  // as a worker leaves them: encapsulated, MAC unknown
    rte_mbuf* m = test::MakeMbuf(Bytes(80, i));
    m->hash.usr = kGw;
    m->port = uplink_->id();
    ASSERT_EQ(rte_ring_enqueue(dp_->tunnels()->pending(), m), 0);
  }
  tm_->Poll(now_);
  EXPECT_EQ(tm_->held_now(), 3u);
  auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 1u);  // one ARP request, not one per packet
  EXPECT_TRUE(IsArpRequestFor(sent[0], kGw));
  Punt(test::ArpFrame(2, kGwMac, kGw, mac_, kMe));
  tm_->Poll(now_ + 1000);
  EXPECT_EQ(tm_->held_now(), 0u);
  sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 3u);
  for (uint8_t i = 0; i < 3; ++i) {
    EXPECT_EQ(test::Get16(sent[i], 4), 0x00fe) << "dst MAC filled";
    EXPECT_EQ(sent[i][20], i) << "in order";
  }
  EXPECT_EQ(tm_->counters().held_sent, 3u);
}

TEST_F(TunnelManagerTest, DropsHeldPacketsWhenArpNeverAnswers) {
  rte_mbuf* m = test::MakeMbuf(Bytes(80, 1));
  m->hash.usr = 0x0a010077;
  m->port = uplink_->id();
  ASSERT_EQ(rte_ring_enqueue(dp_->tunnels()->pending(), m), 0);
  for (int s = 0; s <= 4; ++s) tm_->Poll(now_ + s * kSec);
  EXPECT_EQ(tm_->held_now(), 0u);
  EXPECT_EQ(tm_->counters().held_dropped, 1u);
  EXPECT_EQ(tm_->counters().arp_requests_sent, 3u);
}

TEST_F(TunnelManagerTest, AnswersArpAndPingForItsAddress) {
  Punt(test::ArpFrame(1, kGwMac, kGw, 0, kMe, test::L2{0xffffffffffff, kGwMac, {}}));
  Punt(test::ArpFrame(1, kGwMac, kGw, 0, kMe + 5, test::L2{0xffffffffffff, kGwMac, {}}));  // not us
  Punt(test::Ethernet(test::L2{mac_, kGwMac, {}}, 0x0800,
                      test::Ipv4(kGw, kMe, 1, test::L4Segment(1, kGw, kMe, 8, 0, 16))));
  tm_->Poll(now_);
  const auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  tun::ArpInfo a;
  ASSERT_TRUE(tun::ParseArp(sent[0].data(), sent[0].size(), &a));
  EXPECT_EQ(a.op, 2);
  EXPECT_EQ(a.sha, mac_);
  EXPECT_EQ(a.tpa, kGw);
  EXPECT_EQ(sent[1][34], 0);  // echo reply
  EXPECT_EQ(tm_->counters().arp_replies_sent, 1u);
  EXPECT_EQ(tm_->counters().echo_replies_sent, 1u);
  EXPECT_TRUE(tm_->Neighbors().size() == 1 && tm_->Neighbors()[0].mac == kGwMac);  // learned from the request
}

TEST_F(TunnelManagerTest, RefusesBadSettingsAndDeletes) {
  EXPECT_FALSE(tm_->AddTunnel(*tun::ParseTunnelSpec("g:10:remote_ip=10.2.0.1,local_ip=10.9.9.9")).ok());
  EXPECT_FALSE(tm_->AddTunnel(*tun::ParseTunnelSpec("g:1:remote_ip=10.2.0.1")).ok());  // port 1 is "vm"
  EXPECT_EQ(Entry(1), nullptr);
  ASSERT_TRUE(tm_->AddTunnel(*tun::ParseTunnelSpec("g:10:remote_ip=10.2.0.1")).ok());
  EXPECT_FALSE(tm_->AddTunnel(*tun::ParseTunnelSpec("g:11:remote_ip=10.3.0.1")).ok());  // name in use
  EXPECT_FALSE(tm_->AddTunnel(*tun::ParseTunnelSpec("h:11:remote_ip=10.2.0.1")).ok());  // same endpoints, no key
  EXPECT_FALSE(tm_->AddNeighbor(*tun::ParseNeighborSpec("192.168.0.1:02:00:00:00:00:01")).ok());
  EXPECT_FALSE(tm_->AddUplink(*tun::ParseUplinkSpec("wan2:10.1.0.1/24:net_null60")).ok());  // same address
  ASSERT_TRUE(tm_->AddNeighbor(*tun::ParseNeighborSpec("10.1.0.254:02:00:00:00:00:fe")).ok());
  EXPECT_TRUE(Entry(10)->resolved);
  ASSERT_TRUE(tm_->DeleteTunnel("g").ok());
  EXPECT_EQ(Entry(10), nullptr);
  EXPECT_EQ(dp_->ports()->Find(10), nullptr);
  EXPECT_FALSE(tm_->DeleteTunnel("g").ok());
  EXPECT_EQ(ports_->List().size(), 1u);  // the uplink is not an OpenFlow port
}

}  // namespace
}  // namespace hashi::ctl
