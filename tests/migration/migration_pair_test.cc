// Both sides' state machines talking to each other through the real peer
// encoding (messages are encoded, queued and decoded): a whole migration,
// and one where the destination dies during pre-copy. The hypervisors are
// scripted; the switch sides record bindings.
#include <gtest/gtest.h>

#include <deque>

#include "migration/destination_migration.h"
#include "migration/source_migration.h"
#include "tests/migration/fakes.h"

namespace hashi::mig {
namespace {

constexpr uint64_t kMs = 1000000;

class PairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.quiet_ms = 200;
    vm_.name = "web1";
    vm_.ofport = 5;
    vm_.mac = 0x020000000001;
    sw_a_.binding[5] = "local";
    auto hv = std::make_unique<test::FakeHypervisor>();
    hv_a_ = hv.get();
    a_ = std::make_unique<SourceMigration>(1, vm_, "B", 20, 0x0a010001, std::move(hv), sw_a_,
                                           [this](const PeerMessage& m) { return Wire(m, to_b_); }, settings_);
  }
  bool Wire(const PeerMessage& m, std::deque<std::vector<uint8_t>>& q) {
    if (!link_up_) return false;
    std::vector<uint8_t> b;
    EncodePeerMessage(m, b);
    q.push_back(std::move(b));
    return true;
  }
  // Delivers queued messages both ways (B is made on the first Prepare).
  void Exchange() {
    while (!to_a_.empty() || !to_b_.empty()) {
      while (!to_b_.empty()) {
        auto m = DecodePeerMessage(to_b_.front().data(), to_b_.front().size());
        to_b_.pop_front();
        ASSERT_TRUE(m.ok()) << m.error();
        if (!b_) {
          auto hv = std::make_unique<test::FakeHypervisor>();
          hv_b_ = hv.get();
          b_ = std::make_unique<DestinationMigration>(*m, "A", std::move(hv), sw_b_,
                                                      [this](const PeerMessage& r) { return Wire(r, to_a_); },
                                                      settings_);
          b_->Start(t_);
        } else {
          b_->OnMessage(*m, t_);
        }
      }
      while (!to_a_.empty()) {
        auto m = DecodePeerMessage(to_a_.front().data(), to_a_.front().size());
        to_a_.pop_front();
        ASSERT_TRUE(m.ok()) << m.error();
        a_->OnMessage(*m, t_);
      }
    }
  }
  void Step(uint64_t ms) {
    t_ += ms * kMs;
    a_->Poll(t_);
    if (b_) b_->Poll(t_);
    Exchange();
  }

  MigrationSettings settings_;
  VmIdentity vm_;
  test::FakeSwitch sw_a_, sw_b_;
  test::FakeHypervisor *hv_a_ = nullptr, *hv_b_ = nullptr;
  std::unique_ptr<SourceMigration> a_;
  std::unique_ptr<DestinationMigration> b_;
  std::deque<std::vector<uint8_t>> to_a_, to_b_;
  bool link_up_ = true;
  uint64_t t_ = 1000 * kMs;
};

TEST_F(PairTest, WholeMigration) {
  a_->Start(t_);
  Exchange();
  ASSERT_NE(b_, nullptr);
  EXPECT_EQ(sw_b_.binding[5], "reserved");
  EXPECT_EQ(a_->record().phase, Phase::kPrecopy);
  hv_a_->Push(HvEventKind::kProgress, 1);
  Step(1);
  EXPECT_EQ(b_->record().progress.iteration, 1u);
  hv_a_->Push(HvEventKind::kPaused);
  Step(1);
  EXPECT_EQ(sw_a_.binding[5], "hold");
  EXPECT_EQ(b_->record().phase, Phase::kStop);
  hv_a_->Push(HvEventKind::kCompleted);
  Step(1);
  hv_b_->Push(HvEventKind::kResumed);
  Step(1);
  EXPECT_EQ(sw_b_.binding[5], "local");
  EXPECT_EQ(sw_a_.binding[5], "remote:20");
  EXPECT_EQ(b_->record().phase, Phase::kCleanup);
  for (int i = 0; i < 20; ++i) Step(50);
  EXPECT_EQ(a_->record().phase, Phase::kDone);
  EXPECT_EQ(b_->record().phase, Phase::kDone);
  EXPECT_EQ(sw_a_.binding.count(5), 0u);
  EXPECT_EQ(sw_b_.announced, 5u);
}

TEST_F(PairTest, DestinationDiesDuringPrecopy) {
  a_->Start(t_);
  Exchange();
  hv_a_->Push(HvEventKind::kProgress, 1);
  Step(1);
  link_up_ = false;  // B's hashi is killed: nothing more gets through
  b_.reset();
  a_->OnPeerLost(t_);
  EXPECT_EQ(a_->record().phase, Phase::kRolledBack);
  EXPECT_EQ(sw_a_.binding[5], "local");
  EXPECT_EQ(hv_a_->calls.back(), "cancel");
}

}  // namespace
}  // namespace hashi::mig
