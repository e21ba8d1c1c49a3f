// Tests for tunnel/route_table.h: longest-prefix match, connected routes,
// static routes through a gateway on an uplink's subnet.
#include "tunnel/route_table.h"

#include <gtest/gtest.h>

namespace hashi::tun {
namespace {

RouteSpec R(const char* text) { return *ParseRouteSpec(text); }

TEST(RouteTable, LongestPrefixWinsAndConnectedGivesTheDestination) {
  RouteTable t;
  t.AddConnected(0, *ParseIpv4Prefix("10.1.0.1/24"));
  t.AddConnected(1, *ParseIpv4Prefix("172.16.0.1/16"));
  ASSERT_TRUE(t.Add(R("default:10.1.0.254")).ok());
  ASSERT_TRUE(t.Add(R("10.9.0.0/16:172.16.0.9")).ok());
  auto h = t.Lookup(*ParseIpv4("10.1.0.77"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->ip, *ParseIpv4("10.1.0.77"));  // on link: ARP for the destination
  EXPECT_EQ(h->uplink, 0u);
  h = t.Lookup(*ParseIpv4("10.9.3.3"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->ip, *ParseIpv4("172.16.0.9"));
  EXPECT_EQ(h->uplink, 1u);  // the uplink whose subnet holds the gateway
  h = t.Lookup(*ParseIpv4("8.8.8.8"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->ip, *ParseIpv4("10.1.0.254"));
}

TEST(RouteTable, RefusesUnreachableGatewaysAndReplacesAndRemoves) {
  RouteTable t;
  EXPECT_FALSE(t.Lookup(1).has_value());
  t.AddConnected(0, *ParseIpv4Prefix("10.1.0.1/24"));
  EXPECT_FALSE(t.Add(R("default:192.168.0.1")).ok());
  ASSERT_TRUE(t.Add(R("10.2.0.0/16:10.1.0.254")).ok());
  ASSERT_TRUE(t.Add(R("10.2.0.0/16:10.1.0.253")).ok());  // replaces
  EXPECT_EQ(t.routes().size(), 2u);
  EXPECT_EQ(t.Lookup(*ParseIpv4("10.2.1.1"))->ip, *ParseIpv4("10.1.0.253"));
  EXPECT_TRUE(t.Remove(*ParseIpv4Prefix("10.2.0.0/16")).ok());
  EXPECT_FALSE(t.Remove(*ParseIpv4Prefix("10.2.0.0/16")).ok());
  EXPECT_FALSE(t.Remove(*ParseIpv4Prefix("10.1.0.0/24")).ok());  // connected routes stay
  EXPECT_FALSE(t.Lookup(*ParseIpv4("10.2.1.1")).has_value());
}

}  // namespace
}  // namespace hashi::tun
