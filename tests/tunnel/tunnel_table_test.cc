// Tests for tunnel/tunnel_table.h: encap templates byte for byte, the
// decap index (exact key, keyless, key=flow, unknown), and refusals.
#include "tunnel/tunnel_table.h"

#include <gtest/gtest.h>

#include "tests/support/packets.h"

namespace hashi::tun {
namespace {

using test::Bytes;

TunnelSpec Spec(const char* text) {
  auto s = ParseTunnelSpec(text);
  EXPECT_TRUE(s.ok()) << s.error();
  return *s;
}

TEST(EncapTemplate, KeyedTemplateBytes) {
  EncapTemplate t;
  BuildEncapTemplate(&t, Spec("g:1:remote_ip=10.2.0.1,key=77,tos=0x10"), 0x0a010001, 0x020000000001,
                     0x0200000000fe, 1500);
  ASSERT_EQ(t.len, 42);
  const Bytes want = {
      0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,         // Ethernet
      0x45, 0x10, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1,  // IPv4, DF
      0x20, 0x00, 0x65, 0x58, 0, 0, 0, 77};                                // GRE K, 0x6558, key
  EXPECT_EQ(Bytes(t.bytes, t.bytes + t.len), want);
  EXPECT_EQ(t.key_ofs, 38);
  EXPECT_EQ(t.csum_ofs, 0);
  EXPECT_FALSE(t.key_from_flow);
  EXPECT_EQ(t.max_inner, 1500u - 28u);
  // The stored sum finishes the header checksum once length and ID are added.
  Bytes ip(want.begin() + 14, want.begin() + 34);
  ip[2] = 0; ip[3] = 100; ip[4] = 0x12; ip[5] = 0x34;
  const uint32_t sum = t.ip_sum + 100 + 0x1234;
  const uint16_t csum = static_cast<uint16_t>(~((sum & 0xffff) + (sum >> 16)));
  ip[10] = csum >> 8; ip[11] = csum & 0xff;
  EXPECT_EQ(test::Fold(test::SumWords(ip.data(), 20)), 0);
}

TEST(EncapTemplate, ChecksumFlowKeyAndKeylessLayouts) {
  EncapTemplate t;
  BuildEncapTemplate(&t, Spec("g:1:remote_ip=10.2.0.1,key=flow,csum=true,ttl=inherit"), 1, 2, 3, 1500);
  EXPECT_EQ(t.len, 46);
  EXPECT_EQ(t.bytes[34], 0xa0);  // C and K
  EXPECT_EQ(t.csum_ofs, 38);
  EXPECT_EQ(t.key_ofs, 42);
  EXPECT_TRUE(t.key_from_flow);
  EXPECT_TRUE(t.ttl_inherit);
  EXPECT_EQ(t.bytes[22], 0);  // TTL filled per packet
  BuildEncapTemplate(&t, Spec("g:1:remote_ip=10.2.0.1"), 1, 2, 3, 1400);
  EXPECT_EQ(t.len, 38);
  EXPECT_EQ(t.bytes[34], 0);
  EXPECT_EQ(t.key_ofs, 0);
  EXPECT_EQ(t.max_inner, 1400u - 24u);
}

TEST(EncapTemplate, RebuiltWhenTheNeighbourChanges) {
  const TunnelSpec s = Spec("g:1:remote_ip=10.2.0.1,key=5");
  EncapTemplate before, after;
  BuildEncapTemplate(&before, s, 0x0a010001, 0x020000000001, 0, 1500);  // unresolved
  BuildEncapTemplate(&after, s, 0x0a010001, 0x020000000001, 0x02000000cafe, 1500);
  EXPECT_EQ(Bytes(before.bytes, before.bytes + 6), Bytes(6, 0));
  EXPECT_EQ(Bytes(after.bytes, after.bytes + 6), (Bytes{0x02, 0, 0, 0, 0xca, 0xfe}));
  EXPECT_EQ(Bytes(before.bytes + 6, before.bytes + before.len), Bytes(after.bytes + 6, after.bytes + after.len));
}

TunnelEntry Entry(uint32_t ofport, uint32_t remote, uint32_t local, KeyMode mode, uint32_t key) {
  TunnelEntry e;
  e.ofport = ofport;
  e.remote_ip = remote;
  e.local_ip = local;
  e.key_mode = mode;
  e.key = key;
  return e;
}

TEST(TunnelTable, DecapLookupByRemoteLocalAndKey) {
  TunnelTable t(nullptr, nullptr);
  ASSERT_TRUE(t.AddTunnel(Entry(10, 100, 1, KeyMode::kFixed, 77)).ok());
  ASSERT_TRUE(t.AddTunnel(Entry(11, 100, 1, KeyMode::kNone, 0)).ok());
  ASSERT_TRUE(t.AddTunnel(Entry(12, 100, 1, KeyMode::kFlow, 0)).ok());
  ASSERT_TRUE(t.AddTunnel(Entry(13, 200, 1, KeyMode::kFixed, 77)).ok());
  t.AddUplink(3, 1);
  t.Seal();
  EXPECT_EQ(t.FindForDecap(100, 1, true, 77)->ofport, 10u);
  EXPECT_EQ(t.FindForDecap(100, 1, false, 0)->ofport, 11u);
  EXPECT_EQ(t.FindForDecap(100, 1, true, 5)->ofport, 12u);  // key=flow takes any other key
  EXPECT_EQ(t.FindForDecap(200, 1, true, 77)->ofport, 13u);
  EXPECT_EQ(t.FindForDecap(200, 1, true, 78), nullptr);     // wrong key
  EXPECT_EQ(t.FindForDecap(200, 1, false, 0), nullptr);     // key required
  EXPECT_EQ(t.FindForDecap(300, 1, true, 77), nullptr);     // unknown remote
  EXPECT_EQ(t.FindForDecap(100, 2, true, 77), nullptr);     // another local address
  EXPECT_EQ(t.FindByOfport(13)->remote_ip, 200u);
  EXPECT_EQ(t.FindByOfport(14), nullptr);
  EXPECT_TRUE(t.IsUplink(3));
  EXPECT_FALSE(t.IsUplink(4));
  EXPECT_EQ(t.UplinkIp(3), 1u);
}

TEST(TunnelTable, ManyTunnelsAllFound) {
  TunnelTable t(nullptr, nullptr);
  for (uint32_t i = 0; i < kMaxTunnels; ++i) {
    ASSERT_TRUE(t.AddTunnel(Entry(i + 1, 1000 + i % 16, 1, KeyMode::kFixed, i)).ok());
  }
  EXPECT_FALSE(t.AddTunnel(Entry(4000, 5, 1, KeyMode::kNone, 0)).ok());  // over the limit
  t.Seal();
  for (uint32_t i = 0; i < kMaxTunnels; ++i) {
    const TunnelEntry* e = t.FindForDecap(1000 + i % 16, 1, true, i);
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->ofport, i + 1);
  }
}

TEST(TunnelTable, RefusesDuplicates) {
  TunnelTable t(nullptr, nullptr);
  ASSERT_TRUE(t.AddTunnel(Entry(10, 100, 1, KeyMode::kFixed, 77)).ok());
  EXPECT_FALSE(t.AddTunnel(Entry(10, 101, 1, KeyMode::kFixed, 77)).ok());  // same port
  EXPECT_FALSE(t.AddTunnel(Entry(11, 100, 1, KeyMode::kFixed, 77)).ok());  // same (remote, local, key)
  EXPECT_TRUE(t.AddTunnel(Entry(11, 100, 1, KeyMode::kFixed, 78)).ok());
  EXPECT_FALSE(t.AddTunnel(Entry(0, 100, 1, KeyMode::kFixed, 79)).ok());
  t.Seal();
  EXPECT_EQ(t.FindForDecap(100, 1, true, 78)->ofport, 11u);
}

}  // namespace
}  // namespace hashi::tun
