// Tests for migration/peer_link.h over real sockets (a unix socket and
// loopback TCP): messages both ways, queueing while the connect completes,
// a refused connect, a peer that closes, and garbage that is refused.
#include "migration/peer_link.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace hashi::mig {
namespace {

struct Recorder : PeerLink::Sink {
  std::vector<std::pair<PeerLink::ConnId, PeerMessage>> got;
  std::vector<std::pair<PeerLink::ConnId, std::string>> closed;
  void OnPeerMessage(PeerLink::ConnId c, const PeerMessage& m) override { got.emplace_back(c, m); }
  void OnPeerClosed(PeerLink::ConnId c, const std::string& why) override { closed.emplace_back(c, why); }
};

template <typename Done>
void PollUntil(PeerLink& a, Recorder& ra, PeerLink& b, Recorder& rb, Done done) {
  for (int i = 0; i < 2000 && !done(); ++i) {
    a.Poll(0, ra);
    b.Poll(0, rb);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(done());
}

PeerMessage Msg(MsgType t, uint64_t id) {
  PeerMessage m;
  m.type = t;
  m.migration_id = id;
  m.vm.name = "web1";
  m.vm.ofport = 5;
  return m;
}

std::string SocketPath() { return "/tmp/hashi_peer_link_" + std::to_string(::getpid()) + ".sock"; }

TEST(PeerLink, MessagesBothWaysOverAUnixSocket) {
  ::unlink(SocketPath().c_str());
  PeerLink a, b;
  Recorder ra, rb;
  ASSERT_TRUE(b.Listen("punix:" + SocketPath()).ok());
  auto conn = a.ConnectTo("unix:" + SocketPath());
  ASSERT_TRUE(conn.ok()) << conn.error();
  EXPECT_EQ(*a.ConnectTo("unix:" + SocketPath()), *conn);  // reused
  ASSERT_TRUE(a.Send(*conn, Msg(MsgType::kPrepare, 7)));    // queued while connecting
  ASSERT_TRUE(a.Send(*conn, Msg(MsgType::kCommit, 7)));
  PollUntil(a, ra, b, rb, [&] { return rb.got.size() == 2; });
  EXPECT_EQ(rb.got[0].second.type, MsgType::kPrepare);
  EXPECT_EQ(rb.got[0].second.vm.name, "web1");
  EXPECT_EQ(rb.got[1].second.type, MsgType::kCommit);
  // The destination answers on the connection the message came from.
  ASSERT_TRUE(b.Send(rb.got[0].first, Msg(MsgType::kReserved, 7)));
  PollUntil(a, ra, b, rb, [&] { return ra.got.size() == 1; });
  EXPECT_EQ(ra.got[0].first, *conn);
  EXPECT_EQ(ra.got[0].second.type, MsgType::kReserved);
  // The source side goes away: the destination hears of it.
  a.Shutdown();
  PollUntil(a, ra, b, rb, [&] { return rb.closed.size() == 1; });
  EXPECT_EQ(rb.closed[0].first, rb.got[0].first);
  EXPECT_FALSE(b.Send(rb.got[0].first, Msg(MsgType::kAck, 7)));
  ::unlink(SocketPath().c_str());
}

TEST(PeerLink, UnreachablePeerIsReportedClosed) {
  PeerLink a, b;
  Recorder ra, rb;
  auto conn = a.ConnectTo("tcp:127.0.0.1:1");  // nothing listens there
  if (!conn.ok()) {  // refused at once
    EXPECT_NE(conn.error().find("127.0.0.1"), std::string::npos);
    return;
  }
  a.Send(*conn, Msg(MsgType::kPrepare, 1));
  PollUntil(a, ra, b, rb, [&] { return ra.closed.size() == 1; });
  EXPECT_NE(ra.closed[0].second.find("refused"), std::string::npos) << ra.closed[0].second;
  EXPECT_EQ(a.open_connections(), 0u);
}

TEST(PeerLink, GarbageIsRefusedAndClosed) {
  ::unlink(SocketPath().c_str());
  PeerLink b;
  Recorder rb;
  ASSERT_TRUE(b.Listen("punix:" + SocketPath()).ok());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", SocketPath().c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_GT(::write(fd, junk, sizeof junk - 1), 0);
  for (int i = 0; i < 1000 && rb.closed.empty(); ++i) {
    b.Poll(0, rb);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(rb.closed.size(), 1u);
  EXPECT_NE(rb.closed[0].second.find("bad magic"), std::string::npos) << rb.closed[0].second;
  EXPECT_TRUE(rb.got.empty());
  ::close(fd);
  ::unlink(SocketPath().c_str());
}

TEST(PeerLink, EndpointsDefaultToPort6655) {
  EXPECT_EQ(*NormalizePeerEndpoint("tcp:10.2.0.1"), "tcp:10.2.0.1:6655");
  EXPECT_EQ(*NormalizePeerEndpoint("tcp:10.2.0.1:7000"), "tcp:10.2.0.1:7000");
  EXPECT_EQ(*NormalizePeerEndpoint("ptcp:"), "ptcp:6655");
  EXPECT_EQ(*NormalizePeerEndpoint("unix:/run/x"), "unix:/run/x");
  EXPECT_FALSE(NormalizePeerEndpoint("udp:1.2.3.4").ok());
  PeerLink a;
  EXPECT_FALSE(a.Listen("tcp:127.0.0.1:7000").ok());     // not passive
  EXPECT_FALSE(a.ConnectTo("ssl:127.0.0.1:7000").ok());  // no TLS files
}

}  // namespace
}  // namespace hashi::mig
