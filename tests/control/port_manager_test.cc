// Tests for control/port_manager.h: port specs, opening devices with a pool
// per socket, rx queue assignment, the published PortMap, and errors.
#include "control/port_manager.h"

#include <gtest/gtest.h>

#include "tests/support/dpdk_env.h"

namespace hashi::ctl {
namespace {

TEST(PortSpec, Parses) {
  auto s = ParsePortSpec("vm1:7:net_null3,no-rx=1");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->name, "vm1");
  EXPECT_EQ(s->ofport, 7u);
  EXPECT_EQ(s->devargs, "net_null3,no-rx=1");
  EXPECT_FALSE(ParsePortSpec("vm1:7").ok());
  EXPECT_FALSE(ParsePortSpec(":7:net_null0").ok());
  EXPECT_FALSE(ParsePortSpec("a:x:net_null0").ok());
  EXPECT_FALSE(ParsePortSpec("a:5000:net_null0").ok());
}

using PortManagerTest = test::OneWorkerDatapathTest;

TEST_F(PortManagerTest, OpensPortsAndPublishesBindings) {
  PortManager pm(*dp_, 2048);
  ASSERT_TRUE(pm.Open({{"a", 3, "net_null11"}, {"b", 9, "net_null12,no-rx=1"}}).ok());
  const dp::PortMap* map = dp_->ports();
  ASSERT_NE(map->Find(3), nullptr);
  ASSERT_NE(map->Find(9), nullptr);
  const auto list = pm.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(map->Find(3)->eth_port, list[0].eth_port);
  EXPECT_EQ(map->RxOfport(list[1].eth_port), 9u);
  EXPECT_EQ(dp_->ports()->rx_queues(0).size(), 2u);  // one worker polls both
  EXPECT_NE(pm.FindByEthPort(list[1].eth_port), nullptr);
  // net_null's rx queues hold mbufs from the socket pool until closed.
  pm.CloseAll();
  EXPECT_EQ(pm.MbufsInUse(), 0u);
}

TEST_F(PortManagerTest, RejectsDuplicatesAndBadDevices) {
  PortManager pm(*dp_, 2048);
  EXPECT_NE(pm.Open({{"a", 1, "net_null13"}, {"b", 1, "net_null14"}}).message().find("declared twice"),
            std::string::npos);
  EXPECT_NE(pm.Open({{"a", 1, "net_null15"}, {"a", 2, "net_null16"}}).message().find("declared twice"),
            std::string::npos);
  const Status s = pm.Open({{"x", 1, "net_nonexistent0"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("port x:"), std::string::npos) << s.message();
}

TEST_F(PortManagerTest, OnePoolPerSocket) {
  PortManager pm(*dp_, 1024);
  auto a = pm.PoolFor(0);
  auto b = pm.PoolFor(0);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace hashi::ctl
