// Tests for control/openflow/connection.h over a socketpair: version
// negotiation, HELLO_FAILED for an unsupported peer, ECHO, BAD_VERSION,
// framing errors, reassembly of split messages and the inactivity probe.
#include "control/openflow/connection.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include "tests/control/openflow/test_bytes.h"

namespace hashi::of {
namespace {

using test::Hex;
using test::ToHex;

class Recorder : public MessageSink {
 public:
  void OnMessage(Connection&, const Header& h, const uint8_t*, size_t len) override {
    types.push_back(h.type);
    lengths.push_back(len);
  }
  std::vector<uint8_t> types;
  std::vector<size_t> lengths;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    peer_ = Fd(sv[1]);
    ConnectionOptions opts;
    opts.probe_interval_ns = 1'000'000'000ull;
    conn_ = std::make_unique<Connection>(Fd(sv[0]), "test", false, opts, now_);
  }
  // Writes bytes as the peer, then lets the connection read and reply.
  void PeerSends(const std::vector<uint8_t>& b) {
    ASSERT_EQ(::send(peer_.get(), b.data(), b.size(), 0), static_cast<ssize_t>(b.size()));
    conn_->OnEvents(POLLIN, now_, sink_);
  }
  // Everything the connection sent so far, split into messages.
  std::vector<std::vector<uint8_t>> PeerReceives() {
    conn_->OnEvents(POLLOUT, now_, sink_);
    std::vector<uint8_t> buf(65536);
    const ssize_t n = ::recv(peer_.get(), buf.data(), buf.size(), 0);
    std::vector<std::vector<uint8_t>> msgs;
    size_t off = 0;
    while (n > 0 && off + 8 <= static_cast<size_t>(n)) {
      const Header h = ParseHeader(buf.data() + off);
      msgs.emplace_back(buf.begin() + static_cast<std::ptrdiff_t>(off),
                        buf.begin() + static_cast<std::ptrdiff_t>(off + h.length));
      off += h.length;
    }
    return msgs;
  }
  uint64_t now_ = 1'000'000'000ull;
  Fd peer_;
  std::unique_ptr<Connection> conn_;
  Recorder sink_;
};

TEST_F(ConnectionTest, NegotiatesOpenFlow13AndAnswersEcho) {
  auto sent = PeerReceives();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][1], kHello);
  PeerSends(Hex("04000010000000010001000800000012"));  // offers 1.0 and 1.3
  EXPECT_EQ(conn_->state(), Connection::State::kActive);
  PeerSends(Hex("0402000b00000009616263"));  // ECHO_REQUEST "abc"
  auto reply = PeerReceives();
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(ToHex(reply[0]), "0403000b00000009616263");
  EXPECT_TRUE(sink_.types.empty());
}

TEST_F(ConnectionTest, RejectsAPeerWithoutOpenFlow13) {
  PeerReceives();
  PeerSends(Hex("01000008000000aa"));  // an OpenFlow 1.0 HELLO
  auto sent = PeerReceives();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][0], 0x01);  // in a version the peer can read
  EXPECT_EQ(sent[0][1], kError);
  EXPECT_EQ(ToHex(std::vector<uint8_t>(sent[0].begin() + 8, sent[0].begin() + 12)), "00000000");  // HELLO_FAILED/INCOMPATIBLE
  EXPECT_TRUE(conn_->closed());
}

TEST_F(ConnectionTest, WrongVersionAfterHelloIsBadVersionAndKeepsTheSession) {
  PeerReceives();
  PeerSends(Hex("0400000800000001"));
  PeerSends(Hex("0505000800000002"));  // a 1.4 FEATURES_REQUEST
  auto sent = PeerReceives();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ToHex(std::vector<uint8_t>(sent[0].begin(), sent[0].begin() + 12)), "0401001400000002""00010000");
  EXPECT_FALSE(conn_->closed());
  PeerSends(Hex("0405000800000003"));
  ASSERT_EQ(sink_.types.size(), 1u);
  EXPECT_EQ(sink_.types[0], kFeaturesRequest);
}

TEST_F(ConnectionTest, ReassemblesMessagesSplitAcrossReads) {
  PeerReceives();
  PeerSends(Hex("0400000800000001"));
  const auto two = Hex("0414000800000005 0405000800000006");
  PeerSends(std::vector<uint8_t>(two.begin(), two.begin() + 3));
  PeerSends(std::vector<uint8_t>(two.begin() + 3, two.begin() + 11));
  PeerSends(std::vector<uint8_t>(two.begin() + 11, two.end()));
  ASSERT_EQ(sink_.types.size(), 2u);
  EXPECT_EQ(sink_.types[0], kBarrierRequest);
  EXPECT_EQ(sink_.types[1], kFeaturesRequest);
}

TEST_F(ConnectionTest, LengthShorterThanAHeaderIsBadLenThenClose) {
  PeerReceives();
  PeerSends(Hex("0400000800000001"));
  PeerSends(Hex("0405000400000007"));
  auto sent = PeerReceives();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ToHex(std::vector<uint8_t>(sent[0].begin() + 8, sent[0].begin() + 12)), "00010006");
  EXPECT_TRUE(conn_->closed());
}

TEST_F(ConnectionTest, ProbesAnIdlePeerThenDisconnects) {
  PeerReceives();
  PeerSends(Hex("0400000800000001"));
  now_ += 1'500'000'000ull;
  conn_->Tick(now_);
  auto sent = PeerReceives();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][1], kEchoRequest);
  now_ += 1'000'000'000ull;
  conn_->Tick(now_);
  EXPECT_TRUE(conn_->closed());
  EXPECT_NE(conn_->close_reason().find("inactivity"), std::string::npos);
}

TEST_F(ConnectionTest, PacketInTokenBucketLimitsTheRate) {
  ConnectionOptions opts;
  opts.packet_in_rate = 100;
  opts.packet_in_burst = 10;
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Fd other(sv[1]);
  Connection c(Fd(sv[0]), "rate", false, opts, 0);
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += c.TakePacketInToken(0);
  EXPECT_EQ(granted, 10);  // the burst
  for (int i = 0; i < 100; ++i) granted += c.TakePacketInToken(100'000'000ull);  // 0.1 s later
  EXPECT_EQ(granted, 20);
  EXPECT_EQ(c.packet_ins_limited, 180u);
}

}  // namespace
}  // namespace hashi::of
