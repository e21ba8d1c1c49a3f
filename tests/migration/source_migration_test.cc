// Tests for migration/source_migration.h: every transition of the source's
// state machine and the rollback from each phase, with a scripted
// hypervisor and a recording switch side; time is passed in, so timeouts
// are exact.
#include "migration/source_migration.h"

#include <gtest/gtest.h>

#include "tests/migration/fakes.h"

namespace hashi::mig {
namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint32_t kPort = 5, kTunnel = 20;

class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.quiet_ms = 1000;
    settings_.retry_ms = 100;
    VmIdentity vm;
    vm.name = "web1";
    vm.ofport = kPort;
    vm.mac = 0x020000000001;
    vm.ipv4 = {0x0a000002};
    sw_.binding[kPort] = "local";
    Make(vm);
  }
  // A fresh migration 7 of vm with settings_.
  void Make(const VmIdentity& vm) {
    auto hv = std::make_unique<test::FakeHypervisor>();
    hv_ = hv.get();
    m_ = std::make_unique<SourceMigration>(7, vm, "hostB", kTunnel, 0x0a010001, std::move(hv), sw_,
                                           [this](const PeerMessage& msg) {
                                             sent_.push_back(msg);
                                             return connected_;
                                           },
                                           settings_);
  }
  PeerMessage Msg(MsgType t) {
    PeerMessage m;
    m.type = t;
    m.migration_id = 7;
    m.incoming_uri = "tcp:10.2.0.1:4444";
    return m;
  }
  PeerMessage Ack(MsgType t) {
    PeerMessage m = Msg(MsgType::kAck);
    m.acked = t;
    return m;
  }
  std::vector<MsgType> SentTypes() {
    std::vector<MsgType> t;
    for (const auto& m : sent_) t.push_back(m.type);
    sent_.clear();
    return t;
  }
  Phase phase() const { return m_->record().phase; }
  // Drives the migration until the VM is paused and held (phase Stop).
  void ToStop() {
    m_->Start(t_);
    m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
    hv_->Push(HvEventKind::kProgress, 1);
    hv_->Push(HvEventKind::kPaused);
    m_->Poll(t_ += kMs);
    ASSERT_EQ(phase(), Phase::kStop);
    sent_.clear();
  }

  MigrationSettings settings_;
  test::FakeSwitch sw_;
  test::FakeHypervisor* hv_ = nullptr;
  std::unique_ptr<SourceMigration> m_;
  std::vector<PeerMessage> sent_;
  bool connected_ = true;
  uint64_t t_ = 1000 * kMs;
};

TEST_F(SourceTest, SixStepsThenTheForwardingPointerGoesWhenQuiet) {
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kReserve);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].type, MsgType::kPrepare);
  EXPECT_EQ(sent_[0].vm.name, "web1");
  EXPECT_EQ(sent_[0].source_ip, 0x0a010001u);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kPrecopy);
  EXPECT_EQ(hv_->calls.back(), "start tcp:10.2.0.1:4444");
  hv_->Push(HvEventKind::kProgress, 1);
  hv_->Push(HvEventKind::kProgress, 2);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(SentTypes(), (std::vector<MsgType>{MsgType::kPrecopyProgress, MsgType::kPrecopyProgress}));
  EXPECT_EQ(sw_.binding[kPort], "local+ring");  // refused packets wait from now on
  hv_->Push(HvEventKind::kPaused);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kStop);
  EXPECT_EQ(sw_.binding[kPort], "hold");
  EXPECT_EQ(hv_->calls.back(), "continue");
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kSwitchoverArmed});
  m_->OnMessage(Ack(MsgType::kSwitchoverArmed), t_);
  hv_->Push(HvEventKind::kCompleted);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "hold");  // held until the VM runs at the peer
  m_->OnMessage(Msg(MsgType::kResumed), t_ += 5 * kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  EXPECT_EQ(sw_.binding[kPort], "remote:20");
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kCommit});
  m_->OnMessage(Ack(MsgType::kCommit), t_);
  // Traffic still uses the pointer: it stays.
  for (int i = 0; i < 5; ++i) {
    sw_.figures.forwarded += 10;
    m_->Poll(t_ += 500 * kMs);
    EXPECT_EQ(phase(), Phase::kCleanup);
  }
  m_->Poll(t_ += 999 * kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  m_->Poll(t_ += 1 * kMs);
  EXPECT_EQ(phase(), Phase::kDone);
  EXPECT_EQ(sw_.binding.count(kPort), 0u);
  EXPECT_TRUE(SentTypes().empty());
  const MigrationRecord& r = m_->record();
  EXPECT_EQ(r.resumed_ns - r.paused_ns, 6 * kMs);  // completed 1 ms, resumed 5 ms after the pause
  EXPECT_EQ(r.progress.iteration, 2u);
  EXPECT_TRUE(r.error.empty()) << r.error;
}

TEST_F(SourceTest, FailedChecksChangeNothing) {
  sw_.check = Status::Error("tunnel 20 has no next hop");
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kFailed);
  EXPECT_EQ(m_->record().error, "tunnel 20 has no next hop");
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, HypervisorCheckFails) {
  hv_->check = Status::Error("no such domain");
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kFailed);
  EXPECT_EQ(m_->record().error, "fake: no such domain");
  EXPECT_TRUE(sent_.empty());
}

TEST_F(SourceTest, RefusedReservationFailsWithoutAbort) {
  m_->Start(t_);
  sent_.clear();
  PeerMessage refused = Msg(MsgType::kRefused);
  refused.reason = "port 5 is taken";
  m_->OnMessage(refused, t_ += kMs);
  EXPECT_EQ(phase(), Phase::kFailed);
  EXPECT_EQ(m_->record().error, "hostB refused: port 5 is taken");
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(hv_->calls, std::vector<std::string>{"check"});
}

TEST_F(SourceTest, UnansweredPrepareIsResentThenRolledBack) {
  connected_ = false;
  m_->Start(t_);
  m_->Poll(t_ + 50 * kMs);
  EXPECT_EQ(SentTypes().size(), 1u);  // not yet
  m_->Poll(t_ + 100 * kMs);
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kPrepare});
  m_->Poll(t_ + 5001 * kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kAbort});
}

TEST_F(SourceTest, HypervisorStartFailureRollsBack) {
  hv_->start = Status::Error("migration already running");
  m_->Start(t_);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kAbort});
}

TEST_F(SourceTest, PeerLostDuringPrecopyCancelsAndAborts) {
  m_->Start(t_);
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  sent_.clear();
  m_->OnPeerLost(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(hv_->calls.back(), "cancel");
  EXPECT_EQ(sw_.binding[kPort], "local");
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kAbort});  // best effort
  // Later events change nothing.
  hv_->Push(HvEventKind::kPaused);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, HypervisorFailureDuringPrecopyRollsBack) {
  m_->Start(t_);
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  hv_->Push(HvEventKind::kFailed);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(m_->record().error, "fake: scripted failure");
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, PrecopyThatNeverConvergesTimesOut) {
  settings_.precopy_timeout_ms = 100;
  SetUp();
  m_->Start(t_);
  m_->OnMessage(Msg(MsgType::kReserved), t_);
  m_->Poll(t_ + 101 * kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(hv_->calls.back(), "cancel");
}

TEST_F(SourceTest, AbortWhileHeldDeliversLocally) {
  ToStop();
  PeerMessage abort = Msg(MsgType::kAbort);
  abort.reason = "disk full";
  m_->OnMessage(abort, t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding[kPort], "local");
  EXPECT_EQ(hv_->calls.back(), "cancel");
}

TEST_F(SourceTest, PeerLostWhileHeldRollsBackAtOnce) {
  ToStop();
  m_->OnPeerLost(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, HypervisorFailureWhileHeldRollsBack) {
  ToStop();
  hv_->Push(HvEventKind::kFailed);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, UnackedArmedIsResent) {
  ToStop();
  m_->Poll(t_ += 100 * kMs);
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kSwitchoverArmed});
  m_->OnMessage(Ack(MsgType::kSwitchoverArmed), t_);
  m_->Poll(t_ += 100 * kMs);
  EXPECT_TRUE(SentTypes().empty());
}

// After the handover the VM may run at the peer: a lost connection is
// waited out, and Resumed after a reconnect completes the move.
TEST_F(SourceTest, PeerLostAfterHandoverWaitsForResumed) {
  ToStop();
  hv_->Push(HvEventKind::kCompleted);
  m_->Poll(t_ += kMs);
  m_->OnPeerLost(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "hold");
  m_->OnMessage(Msg(MsgType::kResumed), t_ += 500 * kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  EXPECT_EQ(sw_.binding[kPort], "remote:20");
}

TEST_F(SourceTest, NoConfirmationAfterHandoverFailsLoudly) {
  ToStop();
  hv_->Push(HvEventKind::kCompleted);
  m_->Poll(t_ += kMs);
  m_->Poll(t_ += 10001 * kMs);
  EXPECT_EQ(phase(), Phase::kFailed);
  EXPECT_NE(m_->record().error.find("paused at both ends"), std::string::npos) << m_->record().error;
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(SourceTest, RepeatedResumedGetsCommitAgain) {
  ToStop();
  m_->OnMessage(Msg(MsgType::kResumed), t_ += kMs);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kResumed), t_ += kMs);
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kCommit});
  m_->Poll(t_ += 100 * kMs);  // no ack yet: resent
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kCommit});
}

// A backend that cannot stop at the switchover point reports only the end:
// the port holds then, and the move goes on.
// The peer's Resumed can overtake this host's news of the stop (a QMP event
// read late on a busy host): hold and forward at once, no resend waited for.
TEST_F(SourceTest, ResumedBeforeTheStopWasSeenHoldsAndForwardsAtOnce) {
  m_->Start(t_);
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  ASSERT_EQ(phase(), Phase::kPrecopy);
  sent_.clear();
  sw_.calls.clear();
  m_->OnMessage(Msg(MsgType::kResumed), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  EXPECT_EQ(sw_.binding[kPort], "remote:20");
  const std::vector<std::string> want = {"hold", "remote:20"};
  EXPECT_EQ(sw_.calls, want) << "held first, so nothing is sent to the stopped device";
  const std::vector<MsgType> types = SentTypes();
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), MsgType::kCommit);
  hv_->Push(HvEventKind::kPaused);  // the late event changes nothing
  hv_->Push(HvEventKind::kCompleted);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  EXPECT_EQ(sw_.binding[kPort], "remote:20");
}

// Whoever drives the migration gave up (an orchestrator cancelled after the
// pause): the VM runs here again, and what was held is delivered here.
TEST_F(SourceTest, TheVmResumingHereRollsBack) {
  ToStop();
  hv_->Push(HvEventKind::kSourceResumed);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding[kPort], "local");
  EXPECT_EQ(SentTypes(), std::vector<MsgType>{MsgType::kAbort});
}

TEST_F(SourceTest, FollowModeSaysSoInPrepareAndTheRecord) {
  settings_.follow = true;
  const VmIdentity vm = m_->record().vm;
  Make(vm);
  m_->Start(t_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].type, MsgType::kPrepare);
  EXPECT_TRUE(sent_[0].follow);
  EXPECT_TRUE(m_->record().follow);
}

TEST_F(SourceTest, BackendWithoutPauseHoldsAtCompletion) {
  m_->Start(t_);
  m_->OnMessage(Msg(MsgType::kReserved), t_ += kMs);
  hv_->Push(HvEventKind::kCompleted);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "hold");
}

TEST_F(SourceTest, ReportNamesTheFigures) {
  ToStop();
  m_->OnMessage(Msg(MsgType::kResumed), t_ += 3 * kMs);
  sw_.figures.held = 12;
  sw_.figures.flushed = 12;
  m_->Poll(t_ += 2000 * kMs);
  ASSERT_EQ(phase(), Phase::kDone);
  const std::string report = FormatReport(m_->record());
  EXPECT_NE(report.find("web1 -> hostB: done"), std::string::npos) << report;
  EXPECT_NE(report.find("VM downtime (paused -> resumed)    3.0 ms"), std::string::npos) << report;
  EXPECT_NE(report.find("held 12, flushed 12, dropped 0"), std::string::npos) << report;
}

}  // namespace
}  // namespace hashi::mig
