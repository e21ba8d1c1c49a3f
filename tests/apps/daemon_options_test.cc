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

namespace hashi::app {
namespace {

TEST(DaemonOptions, TunnelsAndUnderlayFromFlagsAndConfig) {
  const std::string path = ::testing::TempDir() + "/hashi-tunnel.conf";
  {
    std::ofstream out(path);
    out << "uplink wan2 10.3.0.1/24 net_null9\n"
        << "route 10.9.0.0/16 10.3.0.254\n"
        << "neighbor 10.3.0.254 02:00:00:00:00:fe\n"
        << "tunnel gre1 11 remote_ip=10.9.0.1,key=flow\n"
        << "neighbor-aging 60\n";
  }
  auto o = ParseDaemonOptions({"--port", "vm:1:net_null0", "--uplink", "wan:10.1.0.1/24:net_af_packet0,iface=wan",
                               "--route", "default:10.1.0.254", "--neighbor", "10.1.0.254:02:00:00:00:00:01",
                               "--tunnel", "gre0:10:remote_ip=10.2.0.1,key=77", "--config", path});
  ASSERT_TRUE(o.ok()) << o.error();
  ASSERT_EQ(o->uplinks.size(), 2u);
  EXPECT_EQ(o->uplinks[0].devargs, "net_af_packet0,iface=wan");
  EXPECT_EQ(o->uplinks[1].name, "wan2");
  ASSERT_EQ(o->routes.size(), 2u);
  EXPECT_EQ(o->routes[0].prefix.len, 0);
  EXPECT_EQ(o->routes[1].gateway, 0x0a0300feu);
  ASSERT_EQ(o->neighbors.size(), 2u);
  ASSERT_EQ(o->tunnels.size(), 2u);
  EXPECT_EQ(o->tunnels[0].key, 77u);
  EXPECT_EQ(o->tunnels[1].key_mode, tun::KeyMode::kFlow);
  EXPECT_EQ(o->neighbor_aging_sec, 60u);
}

TEST(DaemonOptions, MigrationFromFlagsAndConfig) {
  const std::string path = ::testing::TempDir() + "/hashi-migration.conf";
  {
    std::ofstream out(path);
    out << "vm db1,ofport=3,mac=02:00:00:00:00:03\n"
        << "migration-listen ptcp:7000\n"
        << "hold-ms 500\n";
  }
  auto o = ParseDaemonOptions({"--port", "vm:1:net_null0", "--vm", "web1,ofport=1,mac=02:00:00:00:00:01,ip=10.0.0.1",
                               "--peer", "hostB,endpoint=tcp:10.2.0.1,tunnel=10", "--config", path});
  ASSERT_TRUE(o.ok()) << o.error();
  ASSERT_EQ(o->migration.vms.size(), 2u);
  EXPECT_EQ(o->migration.vms[1].name, "db1");
  ASSERT_EQ(o->migration.peers.size(), 1u);
  EXPECT_EQ(o->migration.peers[0].tunnel_ofport, 10u);
  EXPECT_EQ(o->migration.listen, "ptcp:7000");
  EXPECT_EQ(o->migration.hold_ms, 500u);
  auto bad = ParseDaemonOptions({"--port", "vm:1:net_null0", "--vm", "web1,ofport=1"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("needs ofport= and mac="), std::string::npos) << bad.error();
}

TEST(DaemonOptions, BadTunnelSettingsAreClear) {
  auto err = [](std::vector<std::string> a) {
    a.insert(a.begin(), {"--port", "vm:1:net_null0"});
    return ParseDaemonOptions(a).error();
  };
  EXPECT_NE(err({"--uplink", "wan:10.1.0.1:net_null1"}).find("needs /LEN"), std::string::npos);
  EXPECT_NE(err({"--route", "default"}).find("PREFIX:GATEWAY"), std::string::npos);
  EXPECT_NE(err({"--neighbor", "10.1.0.1:zz:00:00:00:00:00"}).find("bad MAC"), std::string::npos);
  EXPECT_NE(err({"--tunnel", "gre0:10:key=5"}).find("remote_ip"), std::string::npos);
  EXPECT_NE(err({"--neighbor-aging", "0"}).find("neighbor-aging"), std::string::npos);
  EXPECT_NE(err({"--tunnel"}).find("needs"), std::string::npos);
}

}  // namespace
}  // namespace hashi::app
