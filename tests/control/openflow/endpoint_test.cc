// Tests for control/openflow/endpoint.h: OVS-style endpoint strings, and a
// listener and connector meeting over a unix socket.
#include "control/openflow/endpoint.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

namespace hashi::of {
namespace {

TEST(Endpoint, ParsesTheOvsForms) {
  auto a = ParseEndpoint("tcp:192.0.2.1");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->passive);
  EXPECT_EQ(a->host, "192.0.2.1");
  EXPECT_EQ(a->port, kDefaultOpenFlowPort);
  auto b = ParseEndpoint("ssl:192.0.2.1:6633");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 6633);
  auto c = ParseEndpoint("ptcp:6653:127.0.0.1");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->passive);
  EXPECT_EQ(c->host, "127.0.0.1");
  auto d = ParseEndpoint("ptcp:");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, kDefaultOpenFlowPort);
  EXPECT_EQ(d->host, "");
  auto e = ParseEndpoint("punix:/tmp/x.sock");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(e->path, "/tmp/x.sock");
}

TEST(Endpoint, RejectsMalformedOnesWithAReason) {
  for (const char* bad : {"tcp", "tcp:not-an-ip", "tcp:10.0.0.1:99999", "ptcp:abc", "ptcp:6653:300.1.1.1",
                          "udp:10.0.0.1", "unix:", "punix:"}) {
    auto r = ParseEndpoint(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().find("bad endpoint"), std::string::npos) << r.error();
    }
  }
}

TEST(Endpoint, ListenerAcceptsAConnector) {
  const std::string path = "/tmp/hashi_endpoint_test_" + std::to_string(getpid());
  auto listen = Listen(*ParseEndpoint("punix:" + path));
  ASSERT_TRUE(listen.ok()) << listen.error();
  auto conn = StartConnect(*ParseEndpoint("unix:" + path));
  ASSERT_TRUE(conn.ok()) << conn.error();
  pollfd p{conn->get(), POLLOUT, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  EXPECT_TRUE(ConnectResult(conn->get()).ok());
  std::string peer;
  pollfd l{listen->get(), POLLIN, 0};
  ASSERT_EQ(poll(&l, 1, 1000), 1);
  Fd accepted = Accept(listen->get(), &peer);
  EXPECT_TRUE(accepted.valid());
  EXPECT_EQ(peer, "unix");
  unlink(path.c_str());
  // Connecting where nobody listens fails with a reason.
  auto refused = StartConnect(*ParseEndpoint("unix:" + path));
  EXPECT_FALSE(refused.ok());
}

}  // namespace
}  // namespace hashi::of
