// Tests for apps/daemon_options.h: command line and config file, with errors.
#include "apps/daemon_options.h"

#include <gtest/gtest.h>

#include <fstream>

namespace hashi::app {
namespace {

TEST(DaemonOptions, PortsFlowsAndTableMiss) {
  auto o = ParseDaemonOptions({"--port", "h1:1:net_af_packet0,iface=veth1", "--port", "h2:2:net_null0",
                               "--flows", "f.txt", "--table-miss", "0:normal", "--duration", "1.5"});
  ASSERT_TRUE(o.ok()) << o.error();
  ASSERT_EQ(o->ports.size(), 2u);
  EXPECT_EQ(o->ports[0].name, "h1");
  EXPECT_EQ(o->ports[0].ofport, 1u);
  EXPECT_EQ(o->ports[0].devargs, "net_af_packet0,iface=veth1");
  EXPECT_EQ(o->flows_file, "f.txt");
  ASSERT_EQ(o->table_miss.size(), 1u);
  EXPECT_EQ(o->table_miss[0].second, dp::TableMiss::kNormal);
  EXPECT_DOUBLE_EQ(o->duration_sec, 1.5);
}

TEST(DaemonOptions, ErrorsAreClear) {
  EXPECT_NE(ParseDaemonOptions({}).error().find("no ports"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--port", "h1:0:net_null0"}).error().find("OFPORT"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--port", "h1"}).error().find("NAME:OFPORT:DEVARGS"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--port"}).error().find("needs"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--bogus"}).error().find("unknown option"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--port", "a:1:x", "--table-miss", "0:maybe"}).error().find("table-miss"),
            std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--port", "a:1:x", "--mbufs", "10"}).error().find("mbufs"), std::string::npos);
  EXPECT_NE(ParseDaemonOptions({"--config", "/nonexistent"}).error().find("cannot open"), std::string::npos);
}

TEST(DaemonOptions, ConfigFile) {
  const std::string path = ::testing::TempDir() + "/hashi.conf";
  {
    std::ofstream out(path);
    out << "# ports\nport h1 1 net_null0\nport h2 2 net_null1,no-rx=1\nflows /tmp/f\n"
        << "table-miss 1 controller\nmbufs 8192\n";
  }
  auto o = ParseDaemonOptions({"--config", path});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->ports.size(), 2u);
  EXPECT_EQ(o->ports[1].devargs, "net_null1,no-rx=1");
  EXPECT_EQ(o->mbufs, 8192u);
  EXPECT_EQ(o->table_miss[0].first, 1);
  {
    std::ofstream out(path);
    out << "port h1 1 net_null0\nport h1 one net_null1\n";
  }
  auto bad = ParseDaemonOptions({"--config", path});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("hashi.conf:2:"), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace hashi::app
