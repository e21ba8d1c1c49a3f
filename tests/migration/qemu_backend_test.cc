// Tests for migration/qmp_client.h and qemu_backend.h against a real QEMU
// (qemu-system-x86_64 with no machine, so it starts in milliseconds): the
// greeting and negotiation, commands and errors, the source's checks, the
// destination's migrate-incoming and quit. The whole migration through
// QMP runs in the end-to-end test (tests/integration/migration_test.sh).
// Skipped, and said so, where QEMU is not installed.
#include "migration/qemu_backend.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace hashi::mig {
namespace {

const char* kQemu = "/usr/bin/qemu-system-x86_64";

class Qemu {
 public:
  explicit Qemu(const std::vector<std::string>& extra) {
    path_ = "/tmp/hashi_qmp_test_" + std::to_string(::getpid()) + "_" + std::to_string(n_++) + ".sock";
    std::vector<std::string> args = {kQemu, "-machine", "none", "-nodefaults", "-display", "none",
                                     "-qmp", "unix:" + path_ + ",server=on,wait=off"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kQemu, argv.data());
      ::_exit(127);
    }
  }
  ~Qemu() {
    if (pid_ > 0 && !Exited(0)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(path_.c_str());
  }
  // Whether QEMU exited within ms.
  bool Exited(int ms) {
    for (int i = 0; i <= ms / 10; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  const std::string& path() const { return path_; }

 private:
  static inline int n_ = 0;
  std::string path_;
  pid_t pid_ = -1;
};

class QemuBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kQemu, X_OK) != 0) GTEST_SKIP() << "qemu-system-x86_64 is not installed: QMP not tested";
  }
};

TEST_F(QemuBackendTest, ClientNegotiatesAndReportsErrors) {
  Qemu q({});
  auto c = QmpClient::Connect(q.path(), 10000);
  ASSERT_TRUE(c.ok()) << c.error();
  auto st = (*c)->Call("query-status");
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st->contains("status"));
  auto bad = (*c)->Call("no-such-command");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("no-such-command"), std::string::npos) << bad.error();
  ASSERT_TRUE((*c)->Call("stop").ok());
  bool stop_seen = false;
  for (int i = 0; i < 100 && !stop_seen; ++i) {
    for (const auto& e : (*c)->TakeEvents()) stop_seen |= e.name == "STOP";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(stop_seen);
}

TEST_F(QemuBackendTest, NothingListeningIsAClearError) {
  auto c = QmpClient::Connect("/tmp/hashi_no_such_qmp.sock", 100);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("cannot connect to QMP"), std::string::npos) << c.error();
}

TEST_F(QemuBackendTest, SourceMustBeRunning) {
  Qemu q({"-S"});  // started paused
  QemuBackend b({.qmp_path = q.path()});
  const Status s = b.CheckSource();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not running"), std::string::npos) << s.message();
}

TEST_F(QemuBackendTest, DestinationListensThenQuitsWhenCancelled) {
  const std::string uri = "unix:/tmp/hashi_qmp_test_in_" + std::to_string(::getpid()) + ".mig";
  {
    Qemu plain({});  // not started with -incoming: refused
    QemuBackend b({.qmp_path = plain.path(), .incoming_uri = uri});
    auto r = b.PrepareIncoming(VmIdentity{"web1", 5});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("-incoming defer"), std::string::npos) << r.error();
  }
  Qemu q({"-incoming", "defer"});
  QemuBackend b({.qmp_path = q.path(), .incoming_uri = uri});
  auto r = b.PrepareIncoming(VmIdentity{"web1", 5});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, uri);
  EXPECT_TRUE(b.Poll().empty());
  b.CancelIncoming();
  EXPECT_TRUE(q.Exited(5000));
  ::unlink(uri.substr(5).c_str());
}

// Follow mode: an orchestrator (here the test, on QEMU's first monitor)
// drives the migration and pauses it at pre-switchover; the backend on a
// second monitor commands nothing, sees the pause at once, and leaves the
// continuing to the orchestrator.
TEST_F(QemuBackendTest, FollowedSourceSeesThePauseAndCommandsNothing) {
  const std::string second = "/tmp/hashi_qmp_test_f_" + std::to_string(::getpid()) + ".sock";
  Qemu q({"-qmp", "unix:" + second + ",server=on,wait=off"});
  auto orch = QmpClient::Connect(q.path(), 10000);
  ASSERT_TRUE(orch.ok()) << orch.error();
  ASSERT_TRUE((*orch)->Call("migrate-set-capabilities",
                            {{"capabilities", {{{"capability", "events"}, {"state", true}},
                                               {{"capability", "pause-before-switchover"}, {"state", true}}}}}).ok());
  ASSERT_TRUE((*orch)->Call("migrate", {{"uri", "exec:cat > /dev/null"}}).ok());
  std::string status;
  for (int i = 0; i < 500 && status != "pre-switchover"; ++i) {
    auto m = (*orch)->Call("query-migrate");
    ASSERT_TRUE(m.ok()) << m.error();
    status = m->value("status", "");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status, "pre-switchover");
  QemuBackend b({.qmp_path = second, .progress_interval_ms = 10, .follow = true});
  ASSERT_TRUE(b.CheckSource().ok());  // a VM already migrating is no error when following
  ASSERT_TRUE(b.Start("", MigrationLimits{}).ok());
  bool paused = false;
  for (const HvEvent& e : b.Poll()) paused |= e.kind == HvEventKind::kPaused;
  EXPECT_TRUE(paused) << "the pause was not reported at once";
  ASSERT_TRUE(b.Continue().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ((*orch)->Call("query-migrate")->value("status", ""), "pre-switchover") << "the backend continued";
  ASSERT_TRUE((*orch)->Call("migrate-continue", {{"state", "pre-switchover"}}).ok());
  bool completed = false;
  for (int i = 0; i < 300 && !completed; ++i) {
    for (const HvEvent& e : b.Poll()) completed |= e.kind == HvEventKind::kCompleted;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(completed);
  ::unlink(second.c_str());
}

TEST_F(QemuBackendTest, FollowedDestinationIsNeverCommanded) {
  const std::string second = "/tmp/hashi_qmp_test_fd_" + std::to_string(::getpid()) + ".sock";
  Qemu q({"-incoming", "defer", "-qmp", "unix:" + second + ",server=on,wait=off"});
  QemuBackend b({.qmp_path = second, .follow = true});
  auto r = b.PrepareIncoming(VmIdentity{"web1", 5});
  ASSERT_TRUE(r.ok()) << r.error();
  auto orch = QmpClient::Connect(q.path(), 10000);
  ASSERT_TRUE(orch.ok()) << orch.error();
  EXPECT_EQ((*orch)->Call("query-migrate")->value("status", "none"), "none") << "migrate-incoming was sent";
  b.CancelIncoming();
  EXPECT_FALSE(q.Exited(300)) << "a followed QEMU was told to quit";
  ::unlink(second.c_str());
}

}  // namespace
}  // namespace hashi::mig
