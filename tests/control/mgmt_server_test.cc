// Tests for control/mgmt_server.h over a real unix socket: dispatch, errors
// for unknown commands and malformed JSON on a connection that stays usable,
// and refusing a socket another server still answers on.
#include "control/mgmt_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

namespace hashi::ctl {
namespace {

class MgmtServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = "/tmp/hashi_mgmt_test_" + std::to_string(getpid());
    ASSERT_TRUE(server_.Listen(path_).ok());
    server_.Register("echo", "echo ARG", [](const std::vector<std::string>& a) -> Result<MgmtReply> {
      if (a.size() != 1) return Status::Error("echo needs one argument");
      return MgmtReply{a[0] + "\n", {{"arg", a[0]}}};
    });
    fd_ = Fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof(sa.sun_path) - 1);
    ASSERT_EQ(connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    server_.Poll(100);  // accept
  }
  nlohmann::json Ask(const std::string& line) {
    const std::string l = line + "\n";
    EXPECT_EQ(write(fd_.get(), l.data(), l.size()), static_cast<ssize_t>(l.size()));
    std::string reply;
    char buf[4096];
    for (int i = 0; i < 50 && reply.find('\n') == std::string::npos; ++i) {
      server_.Poll(20);
      const ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) reply.append(buf, static_cast<size_t>(n));
    }
    return nlohmann::json::parse(reply.substr(0, reply.find('\n')));
  }
  std::string path_;
  MgmtServer server_;
  Fd fd_;
};

TEST_F(MgmtServerTest, DispatchesAndReportsErrorsOnAConnectionThatStaysUp) {
  auto r = Ask(R"({"cmd":"echo","args":["hi"]})");
  EXPECT_TRUE(r["ok"].get<bool>());
  EXPECT_EQ(r["text"], "hi\n");
  EXPECT_EQ(r["data"]["arg"], "hi");
  r = Ask(R"({"cmd":"echo"})");
  EXPECT_FALSE(r["ok"].get<bool>());
  EXPECT_EQ(r["error"], "echo needs one argument");
  EXPECT_EQ(r["usage"], "echo ARG");
  r = Ask(R"({"cmd":"nope"})");
  EXPECT_NE(r["error"].get<std::string>().find("unknown command"), std::string::npos);
  r = Ask("{not json");
  EXPECT_FALSE(r["ok"].get<bool>());
  r = Ask(R"({"cmd":"echo","args":[1]})");
  EXPECT_FALSE(r["ok"].get<bool>());
  r = Ask(R"({"cmd":"help"})");
  EXPECT_NE(r["text"].get<std::string>().find("echo ARG"), std::string::npos);
}

TEST_F(MgmtServerTest, RefusesASocketAnotherServerAnswersOn) {
  MgmtServer second;
  std::thread answer([this] {
    for (int i = 0; i < 10; ++i) server_.Poll(20);
  });
  const Status s = second.Listen(path_);
  answer.join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace hashi::ctl
