// Tests for the tunnel stages of the fast path (dataplane/tunnel_path.cc and
// the pipeline's tunnel delivery): flows that output to a tunnel port leave
// on the uplink encapsulated; GRE from the uplink enters on the tunnel port
// with its tunnel id; key=flow; a shared mbuf is copied before encap; an
// unresolved next hop diverts to the pending ring; ARP goes to the punt ring;
// foreign keys and malformed GRE are dropped and counted; a VM port moved
// away (Remote binding) sends what it held, then newer packets, into its
// tunnel.
#include <rte_ring.h>

#include "dataplane/pipeline_fixture.h"
#include "dataplane/port_move.h"
#include "tunnel/tunnel_table.h"

namespace hashi::dp {
namespace {

constexpr uint32_t kLocal = 0x0a010001, kRemote = 0x0a020001, kNextHop = 0x0a0100fe;

class TunnelPathTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    uplink_ = std::make_unique<test::RingPort>("tpup" + std::to_string(n_++));
    auto punt = dpdk::Ring::Create("tppunt" + std::to_string(n_), 64, RING_F_SC_DEQ);
    auto pending = dpdk::Ring::Create("tppend" + std::to_string(n_), 64, RING_F_SC_DEQ);
    ASSERT_TRUE(punt.ok() && pending.ok());
    punt_ = std::make_unique<dpdk::Ring>(std::move(punt).value());
    pending_ = std::make_unique<dpdk::Ring>(std::move(pending).value());
    Tunnels(true);
    for (uint32_t of : {10u, 11u}) {
      PortBinding b;
      b.ofport = of;
      b.kind = BindingKind::kTunnel;
      b.name = "gre" + std::to_string(of);
      ASSERT_TRUE(map_.Bind(b).ok());
    }
  }
  void TearDown() override {
    for (rte_ring* r : {punt_->get(), pending_->get()}) {
      rte_mbuf* m;
      while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    }
    uplink_->TakeSent();
    uplink_.reset();
    PipelineTest::TearDown();
  }
  // Tunnel 10: key 77 to kRemote; tunnel 11: key=flow to kRemote.
  void Tunnels(bool resolved) {
    tunnels_ = std::make_unique<tun::TunnelTable>(punt_->get(), pending_->get());
    tunnels_->AddUplink(uplink_->id(), kLocal);
    int i = 0;
    for (const char* options : {"remote_ip=10.2.0.1,key=77", "remote_ip=10.2.0.1,key=flow"}) {
      tun::TunnelSpec s;
      ASSERT_TRUE(tun::ParseTunnelOptions(options, &s).ok());
      tun::TunnelEntry e;
      e.ofport = 10 + i;
      e.uplink_port = uplink_->id();
      e.stats_index = kMaxEthPorts + i;
      e.resolved = resolved;
      e.next_hop = kNextHop;
      e.remote_ip = kRemote;
      e.local_ip = kLocal;
      e.key_mode = s.key_mode;
      e.key = s.key;
      tun::BuildEncapTemplate(&e.encap, s, kLocal, 0x020000000001, resolved ? 0x0200000000fe : 0, 1500);
      ASSERT_TRUE(tunnels_->AddTunnel(e).ok());
      ++i;
    }
    tunnels_->Seal();
  }
  void RunWithTunnels(uint16_t rx_port, const std::vector<Bytes>& frames) {
    std::vector<rte_mbuf*> mbufs;
    for (const Bytes& f : frames) mbufs.push_back(test::MakeMbuf(f));
    ProcessBurst(*ctx_, *tables_, map_, rx_port, mbufs.data(), static_cast<uint16_t>(mbufs.size()), tunnels_.get());
    FlushTx(*ctx_);
  }
  Bytes Gre(uint32_t key, const Bytes& inner, uint32_t src = kRemote) {
    Bytes g;
    test::Put16(g, 0x2000);
    test::Put16(g, 0x6558);
    test::Put32(g, key);
    g.insert(g.end(), inner.begin(), inner.end());
    return test::Ethernet({}, 0x0800, test::Ipv4(src, kLocal, 47, g));
  }

  static inline int n_ = 0;
  std::unique_ptr<test::RingPort> uplink_;
  std::unique_ptr<dpdk::Ring> punt_, pending_;
  std::unique_ptr<tun::TunnelTable> tunnels_;
};

TEST_F(TunnelPathTest, OutputToATunnelPortEncapsulatesOntoTheUplink) {
  Flows({"in_port=1 actions=output:10"});
  RunWithTunnels(ports_[0]->id(), {kUdp, kUdp});
  const auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(Bytes(sent[0].begin() + 42, sent[0].end()), kUdp);
  EXPECT_EQ(test::Get16(sent[0], 0), 0x0200);  // to the next hop's MAC
  EXPECT_EQ(test::Get16(sent[0], 4), 0x00fe);
  EXPECT_EQ(test::Get16(sent[0], 40), 77);       // the key
  EXPECT_NE(test::Get16(sent[0], 18), test::Get16(sent[1], 18));  // IP IDs differ
  EXPECT_EQ(test::Fold(test::SumWords(sent[1].data() + 14, 20)), 0);
  EXPECT_EQ(ctx_->stats.ports[kMaxEthPorts].tx_packets, 2u);  // the tunnel port's counters
}

TEST_F(TunnelPathTest, GreFromTheUplinkEntersOnTheTunnelPortWithItsId) {
  Flows({"in_port=10,tun_id=77 actions=output:2", "in_port=11,tun_id=0x99 actions=output:3"});
  RunWithTunnels(uplink_->id(), {Gre(77, kUdp), Gre(0x99, kUdp), Gre(0x98, kUdp)});
  const auto to2 = Sent(1), to3 = Sent(2);
  ASSERT_EQ(to2.size(), 1u);
  EXPECT_EQ(to2[0], kUdp);  // stripped to the inner frame
  ASSERT_EQ(to3.size(), 1u);  // key=flow took 0x99 ...
  EXPECT_EQ(Drops(DropReason::kTableMiss), 1u);  // ... and 0x98, which no flow matches
  EXPECT_EQ(ctx_->stats.ports[kMaxEthPorts].rx_packets, 1u);
  EXPECT_EQ(ctx_->stats.ports[kMaxEthPorts + 1].rx_packets, 2u);
}

TEST_F(TunnelPathTest, NoRecvOnTheTunnelPortDropsWhatItDecapsulates) {
  Flows({"actions=output:2"});
  PortBinding b = *map_.Find(10);
  b.receive = false;  // OFPPC_NO_RECV, as a port-mod sets it
  ASSERT_TRUE(map_.Bind(b).ok());
  RunWithTunnels(uplink_->id(), {Gre(77, kUdp), Gre(0x99, kUdp)});
  const auto sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);  // only what came in on tunnel 11
  EXPECT_EQ(Drops(DropReason::kNoSuchPort), 1u);
}

TEST_F(TunnelPathTest, ForeignAndMalformedGreIsDroppedAndCounted) {
  Flows({"actions=output:2"});
  Bytes bad_version = Gre(77, kUdp);
  bad_version[34 + 1] = 1;
  RunWithTunnels(uplink_->id(), {Gre(77, kUdp, kRemote + 1), bad_version, test::Udp4Frame(kRemote, kLocal, 1, 2)});
  EXPECT_TRUE(Sent(1).empty());
  EXPECT_EQ(Drops(DropReason::kTunnelUnknown), 1u);
  EXPECT_EQ(Drops(DropReason::kGreMalformed), 1u);
  EXPECT_EQ(Drops(DropReason::kUnderlayNotForUs), 1u);
}

TEST_F(TunnelPathTest, KeyFromTheFlow) {
  Flows({"in_port=1 actions=set_field:0x1234->tun_id,output:11"});
  RunWithTunnels(ports_[0]->id(), {kUdp});
  const auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(test::Get16(sent[0], 38), 0);
  EXPECT_EQ(test::Get16(sent[0], 40), 0x1234);
}

// Source side of a migration: port 2 (the VM) held while paused, then bound
// Remote to tunnel 11 with key 0x55: held packets leave first, in order,
// encapsulated, then newer ones; both count as forwarded by the pointer.
TEST_F(TunnelPathTest, RemoteBindingSendsHeldThenNewerIntoTheTunnel) {
  Flows({"in_port=1 actions=output:2"});
  auto move = PortMove::Create(1, {});
  ASSERT_TRUE(move.ok());
  PortBinding b = *map_.Find(2);
  b.kind = BindingKind::kHold;
  b.move = move->get();
  ASSERT_TRUE(map_.Bind(b).ok());
  std::vector<Bytes> frames;
  for (uint16_t i = 0; i < 4; ++i) frames.push_back(test::Udp4Frame(1, 2, 100 + i, 7));
  RunWithTunnels(ports_[0]->id(), frames);
  EXPECT_TRUE(uplink_->TakeSent().empty());
  b.kind = BindingKind::kRemote;
  b.remote_tunnel = 11;
  b.remote_key = 0x55;
  ASSERT_TRUE(map_.Bind(b).ok());
  DrainHeld(*ctx_, *tables_, map_, tunnels_.get());
  RunWithTunnels(ports_[0]->id(), {test::Udp4Frame(1, 2, 104, 7)});
  const auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 5u);
  for (uint16_t i = 0; i < 5; ++i) {
    EXPECT_EQ(test::Get16(sent[i], 40), 0x55);
    EXPECT_EQ(test::Get16(sent[i], 42 + 34), 100 + i) << "order";
  }
  EXPECT_TRUE(Sent(1).empty());
  const MoveCounters t = (*move)->Totals();
  EXPECT_EQ(t.flushed, 4u);
  EXPECT_EQ(t.forwarded, 5u);
  // A pointer whose tunnel is gone drops, counted.
  b.remote_tunnel = 12;
  ASSERT_TRUE(map_.Bind(b).ok());
  RunWithTunnels(ports_[0]->id(), {kUdp});
  EXPECT_EQ(Drops(DropReason::kNoSuchPort), 1u);
}

// In_port-only tables take the shortcut (TableSet::in_port_only): decap and
// encap must behave exactly as on the full path.
TEST_F(TunnelPathTest, InPortOnlyRulesToAndFromTunnels) {
  Flows({"in_port=10 actions=output:2", "in_port=11 actions=output:3", "in_port=1 actions=output:11"});
  ASSERT_TRUE(tables_->in_port_only());
  RunWithTunnels(uplink_->id(), {Gre(77, kUdp), Gre(0x99, kUdp), Gre(77, kUdp)});
  EXPECT_EQ(Sent(1).size(), 2u);
  const auto to3 = Sent(2);
  ASSERT_EQ(to3.size(), 1u);
  EXPECT_EQ(to3[0], kUdp);
  EXPECT_EQ(tables_->SumCounters(0).packets, 2u);
  RunWithTunnels(ports_[0]->id(), {kUdp});  // from a local port: tun_id 0, so key 0 on key=flow
  const auto sent = uplink_->TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(test::Get16(sent[0], 38), 0);
  EXPECT_EQ(test::Get16(sent[0], 40), 0);
  EXPECT_EQ(Bytes(sent[0].begin() + 42, sent[0].end()), kUdp);
}

TEST_F(TunnelPathTest, ASharedPacketIsCopiedBeforeEncap) {
  Flows({"in_port=1 actions=output:10,output:2"});
  RunWithTunnels(ports_[0]->id(), {kUdp});
  const auto up = uplink_->TakeSent(), plain = Sent(1);
  ASSERT_EQ(up.size(), 1u);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0], kUdp);  // the other output never saw the outer headers
  EXPECT_EQ(Bytes(up[0].begin() + 42, up[0].end()), kUdp);
}

TEST_F(TunnelPathTest, UnresolvedNextHopDivertsToThePendingRing) {
  Tunnels(false);
  Flows({"in_port=1 actions=output:10"});
  RunWithTunnels(ports_[0]->id(), {kUdp});
  EXPECT_TRUE(uplink_->TakeSent().empty());
  rte_mbuf* m = nullptr;
  ASSERT_EQ(rte_ring_dequeue(pending_->get(), reinterpret_cast<void**>(&m)), 0);
  EXPECT_EQ(m->hash.usr, kNextHop);
  EXPECT_EQ(m->port, uplink_->id());
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), kUdp.size() + 42);
  rte_pktmbuf_free(m);
}

TEST_F(TunnelPathTest, ArpAndPingForTheUplinkArePunted) {
  Flows({"actions=output:2"});
  const Bytes ping = test::Ethernet({}, 0x0800, test::Ipv4(kNextHop, kLocal, 1, test::L4Segment(1, kNextHop, kLocal, 8, 0, 8)));
  RunWithTunnels(uplink_->id(), {test::ArpFrame(1, 0x0200000000fe, kNextHop, 0, kLocal), ping});
  EXPECT_EQ(rte_ring_count(punt_->get()), 2u);
  EXPECT_TRUE(Sent(1).empty());
}

TEST_F(TunnelPathTest, TooBigForTheUplinkIsDropped) {
  Flows({"in_port=1 actions=output:10"});
  RunWithTunnels(ports_[0]->id(), {test::Udp4Frame(1, 2, 3, 4, {}, 1480)});  // 1522 bytes: over 1472
  EXPECT_TRUE(uplink_->TakeSent().empty());
  EXPECT_EQ(Drops(DropReason::kTunnelTooBig), 1u);
}

}  // namespace
}  // namespace hashi::dp
