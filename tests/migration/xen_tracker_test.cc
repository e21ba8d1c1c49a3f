// Tests for migration/xen_tracker.h: what the Xen backend concludes from
// domain samples and `xl migrate`'s exit, on both sides, and that the
// source's state machine follows a Xen migration the same way as any other
// backend's (a scripted hypervisor replays the tracker's events).
#include "migration/xen_tracker.h"

#include <gtest/gtest.h>

#include "migration/source_migration.h"
#include "tests/migration/fakes.h"

namespace hashi::mig {
namespace {

XenDomain Dom(uint32_t id, const std::string& name, bool running, bool suspended = false) {
  return XenDomain{id, name, running, suspended};
}

std::vector<HvEventKind> Kinds(const std::vector<HvEvent>& e) {
  std::vector<HvEventKind> k;
  for (const auto& x : e) k.push_back(x.kind);
  return k;
}

TEST(XenTracker, SourceFollowsXlMigrate) {
  XenTracker t("web1", false);
  EXPECT_TRUE(t.Sample({Dom(3, "web1", true)}).empty());  // not migrating yet
  t.MigrateStarted();
  EXPECT_TRUE(t.Sample({Dom(3, "web1", true)}).empty());  // pre-copy
  EXPECT_EQ(Kinds(t.Sample({Dom(3, "web1", false, true)})), std::vector<HvEventKind>{HvEventKind::kPaused});
  EXPECT_TRUE(t.Sample({Dom(3, "web1--migratedaway", false, true)}).empty());
  t.MigrateExited(0, "");
  EXPECT_EQ(Kinds(t.Sample({})), std::vector<HvEventKind>{HvEventKind::kCompleted});
}

TEST(XenTracker, SourceFailureResumesTheDomain) {
  XenTracker t("web1", false);
  t.MigrateStarted();
  EXPECT_EQ(Kinds(t.Sample({Dom(3, "web1", false, true)})), std::vector<HvEventKind>{HvEventKind::kPaused});
  t.MigrateExited(1, "migration receiver stream contained unexpected data");
  auto e = t.Sample({Dom(3, "web1", false, true)});
  ASSERT_EQ(Kinds(e), std::vector<HvEventKind>{HvEventKind::kFailed});
  EXPECT_NE(e[0].reason.find("unexpected data"), std::string::npos) << e[0].reason;
  EXPECT_EQ(Kinds(t.Sample({Dom(3, "web1", true)})), std::vector<HvEventKind>{HvEventKind::kSourceResumed});
  EXPECT_TRUE(t.Sample({Dom(3, "web1", true)}).empty());
}

TEST(XenTracker, DestinationSeesTheIncomingDomainBecomeTheVm) {
  XenTracker t("web1", true);
  EXPECT_TRUE(t.Sample({}).empty());
  EXPECT_TRUE(t.Sample({Dom(7, "web1--incoming", false)}).empty());
  EXPECT_TRUE(t.Sample({Dom(7, "web1", false)}).empty());  // renamed, still paused
  EXPECT_EQ(Kinds(t.Sample({Dom(7, "web1", true)})), std::vector<HvEventKind>{HvEventKind::kResumed});
  EXPECT_TRUE(t.Sample({Dom(7, "web1", true)}).empty());
}

TEST(XenTracker, DestinationNoticesAnAbandonedIncomingDomain) {
  XenTracker t("web1", true);
  EXPECT_TRUE(t.Sample({Dom(7, "web1--incoming", false)}).empty());
  auto e = t.Sample({});
  ASSERT_EQ(Kinds(e), std::vector<HvEventKind>{HvEventKind::kFailed});
  EXPECT_NE(e[0].reason.find("disappeared"), std::string::npos);
}

// The source's state machine driven by the events a Xen migration produces:
// no pause-before-switchover (Continue does nothing), the hold at the
// suspend, Completed, then the peer's Resumed.
TEST(XenTracker, SourceStateMachineFollowsXen) {
  XenTracker tracker("web1", false);
  test::FakeSwitch sw;
  sw.binding[5] = "local";
  auto hv = std::make_unique<test::FakeHypervisor>();
  test::FakeHypervisor* fake = hv.get();
  VmIdentity vm{"web1", 5};
  std::vector<PeerMessage> sent;
  SourceMigration m(1, vm, "B", 10, 1, std::move(hv), sw, [&](const PeerMessage& x) { sent.push_back(x); return true; },
                    MigrationSettings{});
  uint64_t t = 1;
  m.Start(t);
  PeerMessage reserved;
  reserved.type = MsgType::kReserved;
  reserved.migration_id = 1;
  reserved.incoming_uri = "xl:10.2.0.1";
  m.OnMessage(reserved, ++t);
  tracker.MigrateStarted();
  auto replay = [&](const std::vector<XenDomain>& doms) {
    for (const HvEvent& e : tracker.Sample(doms)) fake->events.push_back(e);
    m.Poll(++t);
  };
  replay({Dom(3, "web1", true)});
  EXPECT_EQ(m.record().phase, Phase::kPrecopy);
  replay({Dom(3, "web1", false, true)});
  EXPECT_EQ(m.record().phase, Phase::kStop);
  EXPECT_EQ(sw.binding[5], "hold");
  tracker.MigrateExited(0, "");
  replay({Dom(3, "web1--migratedaway", false, true)});
  EXPECT_EQ(m.record().phase, Phase::kResume);
  PeerMessage resumed = reserved;
  resumed.type = MsgType::kResumed;
  m.OnMessage(resumed, ++t);
  EXPECT_EQ(m.record().phase, Phase::kCleanup);
  EXPECT_EQ(sw.binding[5], "remote:10");
}

}  // namespace
}  // namespace hashi::mig
