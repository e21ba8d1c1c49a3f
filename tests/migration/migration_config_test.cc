// Tests for migration/migration_config.h: VM and peer specs, the options
// and their bounds, and refusals that say what is wrong.
#include "migration/migration_config.h"

#include <gtest/gtest.h>

namespace hashi::mig {
namespace {

TEST(MigrationConfig, VmSpec) {
  auto vm = ParseVmSpec("web1,ofport=5,mac=02:00:00:00:00:05,ip=10.0.0.5,ip=10.0.1.5,memory=512");
  ASSERT_TRUE(vm.ok()) << vm.error();
  EXPECT_EQ(vm->name, "web1");
  EXPECT_EQ(vm->ofport, 5u);
  EXPECT_EQ(vm->mac, 0x020000000005u);
  EXPECT_EQ(vm->ipv4, (std::vector<uint32_t>{0x0a000005, 0x0a000105}));
  EXPECT_EQ(vm->memory_bytes, 512ull << 20);
  for (const char* bad : {"web1,ofport=5", "web1,mac=02:00:00:00:00:05", ",ofport=5,mac=02:00:00:00:00:05",
                          "web1,ofport=0,mac=02:00:00:00:00:05", "web1,ofport=5,mac=zz", "web1,ofport=5,mac=02:00:00:00:00:05,ip=10.0.0",
                          "web1,ofport=5,mac=02:00:00:00:00:05,colour=red", "web1,ofport=5,mac=02:00:00:00:00:05,nokey"}) {
    EXPECT_FALSE(ParseVmSpec(bad).ok()) << bad;
  }
  EXPECT_NE(ParseVmSpec("web1,ofport=5,colour=red").error().find("unknown key 'colour'"), std::string::npos);
}

TEST(MigrationConfig, PeerSpec) {
  auto p = ParsePeerSpec("hostB,endpoint=tcp:10.2.0.1:6655,tunnel=10");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->name, "hostB");
  EXPECT_EQ(p->endpoint, "tcp:10.2.0.1:6655");
  EXPECT_EQ(p->tunnel_ofport, 10u);
  EXPECT_FALSE(ParsePeerSpec("hostB,endpoint=tcp:10.2.0.1").ok());  // no tunnel
  EXPECT_FALSE(ParsePeerSpec("hostB,tunnel=10").ok());               // no endpoint
  EXPECT_FALSE(ParsePeerSpec("hostB,endpoint=x,tunnel=5000").ok());
}

TEST(MigrationConfig, OptionsAndBounds) {
  MigrationOptions o;
  EXPECT_FALSE(o.enabled());
  ASSERT_TRUE(ApplyMigrationOption("vm", "web1,ofport=5,mac=02:00:00:00:00:05", o).ok());
  EXPECT_FALSE(ApplyMigrationOption("vm", "web2,ofport=5,mac=02:00:00:00:00:06", o).ok());  // port clash
  ASSERT_TRUE(ApplyMigrationOption("hold-packets", "100", o).ok());
  ASSERT_TRUE(ApplyMigrationOption("hold-ms", "250", o).ok());
  ASSERT_TRUE(ApplyMigrationOption("announce-rounds", "0", o).ok());
  ASSERT_TRUE(ApplyMigrationOption("qemu-switchover", "pause", o).ok());
  EXPECT_EQ(o.hold_packets, 100u);
  EXPECT_EQ(o.hold_ms, 250u);
  EXPECT_EQ(o.settings.announce.rounds, 0u);
  EXPECT_TRUE(o.qemu_pause_before_switchover);
  EXPECT_TRUE(o.enabled());
  EXPECT_FALSE(ApplyMigrationOption("hold-packets", "0", o).ok());
  EXPECT_FALSE(ApplyMigrationOption("hold-ms", "-1", o).ok());
  EXPECT_FALSE(ApplyMigrationOption("hypervisor", "vmware", o).ok());
  EXPECT_FALSE(ApplyMigrationOption("qemu-switchover", "later", o).ok());
  EXPECT_TRUE(IsMigrationOption("migration-listen"));
  EXPECT_FALSE(IsMigrationOption("listen"));  // OpenFlow's
}

}  // namespace
}  // namespace hashi::mig
