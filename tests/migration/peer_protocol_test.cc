// Tests for migration/peer_protocol.h: every message type round-trips; the
// header is laid out as documented; truncated, foreign and newer-version
// input is refused with a reason; unknown fields are skipped.
#include "migration/peer_protocol.h"

#include <gtest/gtest.h>

namespace hashi::mig {
namespace {

std::vector<uint8_t> Encode(const PeerMessage& m) {
  std::vector<uint8_t> b;
  EncodePeerMessage(m, b);
  return b;
}

PeerMessage Prepare() {
  PeerMessage m;
  m.type = MsgType::kPrepare;
  m.migration_id = 0x0102030405060708;
  m.vm.name = "web1";
  m.vm.ofport = 5;
  m.vm.mac = 0x0200000000aa;
  m.vm.ipv4 = {0x0a000002, 0x0a000003};
  m.vm.memory_bytes = 512ull << 20;
  m.source_ip = 0x0a010001;
  return m;
}

TEST(PeerProtocol, HeaderLayout) {
  const auto b = Encode(Prepare());
  ASSERT_GE(b.size(), kPeerHeaderLen);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "HSMP");
  EXPECT_EQ(b[4], kPeerProtocolVersion);
  EXPECT_EQ(b[5], 1);  // prepare
  EXPECT_EQ(static_cast<size_t>(b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11]), b.size());
  EXPECT_EQ(b[12], 0x01);
  EXPECT_EQ(b[19], 0x08);
  EXPECT_EQ(*PeerMessageLength(b.data(), b.size()), b.size());
  EXPECT_EQ(*PeerMessageLength(b.data(), kPeerHeaderLen - 1), 0u);  // wait for more
}

TEST(PeerProtocol, EveryTypeRoundTrips) {
  const PeerMessage p = Prepare();
  auto d = DecodePeerMessage(Encode(p).data(), Encode(p).size());
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->type, MsgType::kPrepare);
  EXPECT_EQ(d->migration_id, p.migration_id);
  EXPECT_EQ(d->vm.name, "web1");
  EXPECT_EQ(d->vm.ofport, 5u);
  EXPECT_EQ(d->vm.mac, p.vm.mac);
  EXPECT_EQ(d->vm.ipv4, p.vm.ipv4);
  EXPECT_EQ(d->vm.memory_bytes, p.vm.memory_bytes);
  EXPECT_EQ(d->source_ip, p.source_ip);
  EXPECT_FALSE(d->follow);
  PeerMessage f = Prepare();
  f.follow = true;
  auto df = DecodePeerMessage(Encode(f).data(), Encode(f).size());
  ASSERT_TRUE(df.ok()) << df.error();
  EXPECT_TRUE(df->follow);

  PeerMessage m;
  m.migration_id = 3;
  m.type = MsgType::kReserved;
  m.incoming_uri = "tcp:10.2.0.1:4444";
  auto b = Encode(m);
  EXPECT_EQ(DecodePeerMessage(b.data(), b.size())->incoming_uri, m.incoming_uri);
  for (MsgType t : {MsgType::kRefused, MsgType::kAbort}) {
    m.type = t;
    m.reason = "no room";
    b = Encode(m);
    EXPECT_EQ(DecodePeerMessage(b.data(), b.size())->reason, "no room");
  }
  m.type = MsgType::kPrecopyProgress;
  m.iteration = 4;
  m.sent_bytes = 1ull << 33;
  m.remaining_bytes = 77;
  m.dirty_rate_bps = 123456789;
  b = Encode(m);
  auto pr = DecodePeerMessage(b.data(), b.size());
  EXPECT_EQ(pr->iteration, 4u);
  EXPECT_EQ(pr->sent_bytes, 1ull << 33);
  EXPECT_EQ(pr->remaining_bytes, 77u);
  EXPECT_EQ(pr->dirty_rate_bps, 123456789u);
  m.type = MsgType::kResumed;
  m.held_at_destination = 42;
  b = Encode(m);
  EXPECT_EQ(DecodePeerMessage(b.data(), b.size())->held_at_destination, 42u);
  m.type = MsgType::kAck;
  m.acked = MsgType::kCommit;
  b = Encode(m);
  EXPECT_EQ(DecodePeerMessage(b.data(), b.size())->acked, MsgType::kCommit);
  for (MsgType t : {MsgType::kSwitchoverArmed, MsgType::kCommit}) {
    m.type = t;
    b = Encode(m);
    EXPECT_EQ(b.size(), kPeerHeaderLen);
    EXPECT_EQ(DecodePeerMessage(b.data(), b.size())->type, t);
  }
}

TEST(PeerProtocol, RefusesWhatItCannotTrust) {
  auto b = Encode(Prepare());
  auto bad = b;
  bad[0] = 'X';
  EXPECT_FALSE(PeerMessageLength(bad.data(), bad.size()).ok());
  bad = b;
  bad[4] = 2;
  auto v = DecodePeerMessage(bad.data(), bad.size());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().rfind("version", 0), 0u) << v.error();
  bad = b;
  bad[5] = 99;
  EXPECT_FALSE(DecodePeerMessage(bad.data(), bad.size()).ok());
  bad = b;
  bad[8] = 0x7f;  // absurd length
  EXPECT_FALSE(PeerMessageLength(bad.data(), bad.size()).ok());
  // Cut inside a field: the header's length no longer matches.
  EXPECT_FALSE(DecodePeerMessage(b.data(), b.size() - 1).ok());
  // A field whose length disagrees with its type.
  PeerMessage m;
  m.type = MsgType::kAck;
  m.acked = MsgType::kCommit;
  b = Encode(m);
  b[kPeerHeaderLen + 3] = 2;  // acked claims 2 bytes
  b.push_back(0);
  b[11] = static_cast<uint8_t>(b.size());
  EXPECT_FALSE(DecodePeerMessage(b.data(), b.size()).ok());
  // A prepare naming no VM.
  PeerMessage p = Prepare();
  p.vm.name.clear();
  b = Encode(p);
  EXPECT_FALSE(DecodePeerMessage(b.data(), b.size()).ok());
}

TEST(PeerProtocol, SkipsFieldsFromANewerPeer) {
  PeerMessage m;
  m.type = MsgType::kReserved;
  m.incoming_uri = "tcp:1.2.3.4:5";
  auto b = Encode(m);
  for (uint8_t x : {0x7f, 0x00, 0x00, 0x03, 1, 2, 3}) b.push_back(x);  // field 0x7f00, 3 bytes
  b[11] = static_cast<uint8_t>(b.size());
  auto d = DecodePeerMessage(b.data(), b.size());
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->incoming_uri, "tcp:1.2.3.4:5");
}

}  // namespace
}  // namespace hashi::mig
