// Tests for tunnel/tunnel_config.h: tunnel, uplink, route and neighbour
// settings as the operator writes them, and every malformed form refused.
#include "tunnel/tunnel_config.h"

#include <gtest/gtest.h>

namespace hashi::tun {
namespace {

TEST(TunnelConfig, ParsesAddresses) {
  EXPECT_EQ(*ParseIpv4("10.1.0.254"), 0x0a0100feu);
  EXPECT_EQ(FormatIpv4(0x0a0100feu), "10.1.0.254");
  for (const char* bad : {"10.1.0", "10.1.0.256", "10.1.0.1.", "a.b.c.d", "10.1.0.-1", "", "1..2.3"}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
  EXPECT_EQ(*ParseMac("02:00:00:00:0a:FF"), 0x020000000affull);
  EXPECT_EQ(FormatMac(0x020000000affull), "02:00:00:00:0a:ff");
  EXPECT_FALSE(ParseMac("02:00:00:00:0a").ok());
  EXPECT_FALSE(ParseMac("02:00:00:00:0a:fff").ok());
  auto p = ParseIpv4Prefix("10.2.3.4/16");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Contains(0x0a02ffffu));
  EXPECT_FALSE(p->Contains(0x0a030000u));
  EXPECT_EQ(ParseIpv4Prefix("default")->len, 0);
  EXPECT_TRUE(ParseIpv4Prefix("default")->Contains(0x01020304u));
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.0/33").ok());
}

TEST(TunnelConfig, ParsesTunnelSpecs) {
  auto t = ParseTunnelSpec("gre0:10:remote_ip=10.2.0.1,key=77,csum=true,ttl=inherit,tos=inherit,local_ip=10.1.0.1");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->name, "gre0");
  EXPECT_EQ(t->ofport, 10u);
  EXPECT_EQ(t->remote_ip, 0x0a020001u);
  EXPECT_EQ(t->local_ip, 0x0a010001u);
  EXPECT_EQ(t->key_mode, KeyMode::kFixed);
  EXPECT_EQ(t->key, 77u);
  EXPECT_TRUE(t->csum);
  EXPECT_TRUE(t->ttl_inherit);
  EXPECT_TRUE(t->tos_inherit);
  auto f = ParseTunnelSpec("g:2:remote_ip=192.0.2.1,key=flow,ttl=9,tos=0x20");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->key_mode, KeyMode::kFlow);
  EXPECT_EQ(f->ttl, 9);
  EXPECT_EQ(f->tos, 0x20);
  EXPECT_EQ(FormatTunnelOptions(*f), "remote_ip=192.0.2.1,key=flow,ttl=9,tos=32");
  auto n = ParseTunnelSpec("g:2:remote_ip=192.0.2.1");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->key_mode, KeyMode::kNone);
  EXPECT_EQ(n->ttl, 64);
}

TEST(TunnelConfig, RefusesBadTunnelSpecs) {
  for (const char* bad : {"gre0:10", "gre0:0:remote_ip=10.0.0.1", "gre0:4096:remote_ip=10.0.0.1",
                          ":1:remote_ip=10.0.0.1", "g:1:key=5", "g:1:remote_ip=224.0.0.1",
                          "g:1:remote_ip=0.0.0.0", "g:1:remote_ip=10.0.0.1,key=4294967296",
                          "g:1:remote_ip=10.0.0.1,key=-1", "g:1:remote_ip=10.0.0.1,ttl=0",
                          "g:1:remote_ip=10.0.0.1,ttl=256", "g:1:remote_ip=10.0.0.1,csum=yes",
                          "g:1:remote_ip=10.0.0.1,colour=blue", "g:1:remote_ip=10.0.0.1,key"}) {
    EXPECT_FALSE(ParseTunnelSpec(bad).ok()) << bad;
  }
}

TEST(TunnelConfig, ParsesUplinksRoutesAndNeighbors) {
  auto u = ParseUplinkSpec("wan:10.1.0.1/24:net_af_packet9,iface=wan0");
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->name, "wan");
  EXPECT_EQ(u->address.addr, 0x0a010001u);
  EXPECT_EQ(u->address.len, 24);
  EXPECT_EQ(u->devargs, "net_af_packet9,iface=wan0");
  EXPECT_FALSE(ParseUplinkSpec("wan:10.1.0.1:net_null0").ok());    // no prefix length
  EXPECT_FALSE(ParseUplinkSpec("wan:10.1.0.1/31:net_null0").ok());
  EXPECT_FALSE(ParseUplinkSpec("wan:10.1.0.1/24:").ok());
  auto r = ParseRouteSpec("10.2.7.9/16:10.1.0.254");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->prefix.addr, 0x0a020000u);  // host bits cleared
  EXPECT_EQ(r->gateway, 0x0a0100feu);
  EXPECT_EQ(ParseRouteSpec("default:10.1.0.254")->prefix.len, 0);
  EXPECT_FALSE(ParseRouteSpec("default").ok());
  auto n = ParseNeighborSpec("10.1.0.254:02:00:00:00:00:fe");
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->mac, 0x0200000000feull);
  EXPECT_FALSE(ParseNeighborSpec("10.1.0.254:01:00:5e:00:00:01").ok());  // multicast
  EXPECT_FALSE(ParseNeighborSpec("10.1.0.254").ok());
}

}  // namespace
}  // namespace hashi::tun
