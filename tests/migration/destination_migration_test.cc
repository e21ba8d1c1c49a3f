// Tests for migration/destination_migration.h: reservation and refusal, the
// switchover, the announcement rounds at QEMU's intervals, idempotent
// answers to retried messages, and rollback before the VM runs here.
#include "migration/destination_migration.h"

#include <gtest/gtest.h>

#include "tests/migration/fakes.h"

namespace hashi::mig {
namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint32_t kPort = 5;

class DestinationTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(); }
  void Make() {
    PeerMessage prepare;
    prepare.type = MsgType::kPrepare;
    prepare.migration_id = 9;
    prepare.vm.name = "web1";
    prepare.vm.ofport = kPort;
    prepare.source_ip = 0x0a010001;
    auto hv = std::make_unique<test::FakeHypervisor>();
    hv_ = hv.get();
    m_ = std::make_unique<DestinationMigration>(prepare, "hostA", std::move(hv), sw_,
                                                [this](const PeerMessage& msg) {
                                                  sent_.push_back(msg);
                                                  return true;
                                                },
                                                settings_);
  }
  PeerMessage Msg(MsgType t) {
    PeerMessage m;
    m.type = t;
    m.migration_id = 9;
    return m;
  }
  std::vector<std::string> Sent() {
    std::vector<std::string> t;
    for (const auto& m : sent_) {
      t.push_back(MsgTypeName(m.type));
      if (m.type == MsgType::kAck) t.back() += std::string(" ") + MsgTypeName(m.acked);
    }
    sent_.clear();
    return t;
  }
  Phase phase() const { return m_->record().phase; }
  void ToStop() {
    m_->Start(t_);
    m_->OnMessage(Msg(MsgType::kSwitchoverArmed), t_ += kMs);
    ASSERT_EQ(phase(), Phase::kStop);
    sent_.clear();
  }

  MigrationSettings settings_;
  test::FakeSwitch sw_;
  test::FakeHypervisor* hv_ = nullptr;
  std::unique_ptr<DestinationMigration> m_;
  std::vector<PeerMessage> sent_;
  uint64_t t_ = 1000 * kMs;
};

TEST_F(DestinationTest, ReservesResumesAnnouncesAndCommits) {
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kPrecopy);
  EXPECT_EQ(sw_.binding[kPort], "reserved");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].type, MsgType::kReserved);
  EXPECT_EQ(sent_[0].incoming_uri, "tcp:10.2.0.1:4444");
  sent_.clear();
  PeerMessage progress = Msg(MsgType::kPrecopyProgress);
  progress.iteration = 3;
  progress.remaining_bytes = 1 << 20;
  m_->OnMessage(progress, t_ += kMs);
  EXPECT_EQ(m_->record().progress.iteration, 3u);
  m_->OnMessage(Msg(MsgType::kSwitchoverArmed), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kStop);
  EXPECT_EQ(Sent(), std::vector<std::string>{"ack switchover-armed"});
  EXPECT_EQ(sw_.binding[kPort], "reserved");
  hv_->Push(HvEventKind::kResumed);
  const uint64_t resumed = t_ += 10 * kMs;
  m_->Poll(resumed);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "local");
  EXPECT_EQ(Sent(), std::vector<std::string>{"resumed"});
  EXPECT_EQ(sw_.announced, 1u);  // the first round at once
  // Rounds follow at 50, 150, 250, 350 ms gaps (QEMU's defaults).
  const uint64_t rounds_at[] = {50, 200, 450, 800};
  m_->OnMessage(Msg(MsgType::kCommit), resumed + kMs);
  EXPECT_EQ(phase(), Phase::kCleanup);
  EXPECT_EQ(Sent(), std::vector<std::string>{"ack commit"});
  for (int i = 0; i < 4; ++i) {
    m_->Poll(resumed + (rounds_at[i] - 1) * kMs);
    EXPECT_EQ(sw_.announced, 1u + i) << i;
    m_->Poll(resumed + rounds_at[i] * kMs);
    EXPECT_EQ(sw_.announced, 2u + i) << i;
  }
  EXPECT_EQ(phase(), Phase::kDone);
  m_->Poll(resumed + 5000 * kMs);
  EXPECT_EQ(sw_.announced, 5u);
  EXPECT_EQ(m_->record().resumed_ns - m_->record().paused_ns, 10 * kMs);
}

TEST_F(DestinationTest, NoRoomIsRefusedAndNothingKept) {
  sw_.reserve = Status::Error("OpenFlow port 5 is taken");
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kFailed);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].type, MsgType::kRefused);
  EXPECT_EQ(sent_[0].reason, "OpenFlow port 5 is taken");
  EXPECT_TRUE(hv_->calls.empty());
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kPrepare), t_);  // retried: same answer
  EXPECT_EQ(Sent(), std::vector<std::string>{"refused"});
}

TEST_F(DestinationTest, HypervisorNotReadyUnreserves) {
  hv_->incoming = Status::Error("no QEMU listening for web1");
  m_->Start(t_);
  EXPECT_EQ(phase(), Phase::kFailed);
  EXPECT_EQ(sw_.binding.count(kPort), 0u);
  EXPECT_EQ(Sent(), std::vector<std::string>{"refused"});
}

TEST_F(DestinationTest, RetriedMessagesGetTheSameAnswers) {
  m_->Start(t_);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kPrepare), t_);
  EXPECT_EQ(Sent(), std::vector<std::string>{"reserved"});
  m_->OnMessage(Msg(MsgType::kSwitchoverArmed), t_);
  m_->OnMessage(Msg(MsgType::kSwitchoverArmed), t_);
  EXPECT_EQ(Sent(), (std::vector<std::string>{"ack switchover-armed", "ack switchover-armed"}));
  EXPECT_EQ(sw_.calls, std::vector<std::string>{"reserve"});  // reserved once
}

TEST_F(DestinationTest, AbortBeforeResumeRollsBack) {
  m_->Start(t_);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kAbort), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding.count(kPort), 0u);
  EXPECT_EQ(hv_->calls.back(), "cancel-incoming");
  EXPECT_EQ(Sent(), std::vector<std::string>{"ack abort"});
  m_->OnMessage(Msg(MsgType::kAbort), t_);  // retried
  EXPECT_EQ(Sent(), std::vector<std::string>{"ack abort"});
}

TEST_F(DestinationTest, AbortAfterResumeIsRefused) {
  ToStop();
  hv_->Push(HvEventKind::kResumed);
  m_->Poll(t_ += kMs);
  sent_.clear();
  m_->OnMessage(Msg(MsgType::kAbort), t_ += kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "local");
  EXPECT_EQ(Sent(), std::vector<std::string>{"refused"});
}

TEST_F(DestinationTest, SourceLostDuringPrecopyRollsBack) {
  m_->Start(t_);
  m_->OnPeerLost(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding.count(kPort), 0u);
}

// After the switchover the VM can still arrive: a lost source is waited
// for, and the VM taken when it runs here.
TEST_F(DestinationTest, SourceLostAfterSwitchoverStillTakesTheVm) {
  ToStop();
  m_->OnPeerLost(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kStop);
  hv_->Push(HvEventKind::kResumed);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  EXPECT_EQ(sw_.binding[kPort], "local");
}

TEST_F(DestinationTest, VmThatNeverArrivesTimesOut) {
  ToStop();
  m_->Poll(t_ + 10001 * kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(sw_.binding.count(kPort), 0u);
}

TEST_F(DestinationTest, HypervisorFailureAbortsTheSource) {
  m_->Start(t_);
  sent_.clear();
  hv_->Push(HvEventKind::kFailed);
  m_->Poll(t_ += kMs);
  EXPECT_EQ(phase(), Phase::kRolledBack);
  EXPECT_EQ(Sent(), std::vector<std::string>{"abort"});
}

TEST_F(DestinationTest, ResumedIsResentUntilCommitted) {
  ToStop();
  hv_->Push(HvEventKind::kResumed);
  m_->Poll(t_ += kMs);
  sent_.clear();
  m_->Poll(t_ += 499 * kMs);
  EXPECT_TRUE(Sent().empty());
  m_->Poll(t_ += 1 * kMs);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resumed"});
  m_->OnMessage(Msg(MsgType::kCommit), t_);
  sent_.clear();
  m_->Poll(t_ += 600 * kMs);
  EXPECT_TRUE(Sent().empty());
}

// The source never commits (it died after the handover): the VM runs here
// and the migration ends once the announcements are out.
TEST_F(DestinationTest, NoCommitEndsAfterTheTimeout) {
  ToStop();
  hv_->Push(HvEventKind::kResumed);
  m_->Poll(t_ += kMs);
  for (int i = 0; i < 30; ++i) m_->Poll(t_ += 100 * kMs);
  EXPECT_EQ(phase(), Phase::kResume);
  m_->Poll(t_ += 8000 * kMs);
  EXPECT_EQ(phase(), Phase::kDone);
  EXPECT_EQ(sw_.binding[kPort], "local");
}

}  // namespace
}  // namespace hashi::mig
