// Tests for dataplane/packet_parser.h: every header the parser knows, and
// malformed packets, which must be counted under the right drop reason and
// never read out of bounds (the ASan build checks the latter on every
// truncation of every test frame).
#include "dataplane/packet_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "tests/support/packets.h"

namespace hashi::dp {
namespace {

using test::Bytes;

struct Parsed {
  DropReason reason;
  FlowKey key;
  PacketLayout layout;
};

// Parses a copy on the heap sized exactly, so ASan sees any overread.
Parsed Parse(const Bytes& b, size_t len, uint32_t in_port = 3) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[len ? len : 1]);
  std::copy(b.begin(), b.begin() + len, buf.get());
  Parsed p;
  p.reason = ParsePacket(buf.get(), static_cast<uint32_t>(len), in_port, &p.key, &p.layout);
  return p;
}
Parsed Parse(const Bytes& b) { return Parse(b, b.size()); }

TEST(PacketParser, UdpOverIpv4) {
  const Parsed p = Parse(test::Udp4Frame(0x0a000001, 0x0a000002, 1234, 53));
  ASSERT_EQ(p.reason, DropReason::kCount);
  EXPECT_EQ(p.key.Get(Field::kInPort), 3u);
  EXPECT_EQ(p.key.Get(Field::kEthType), 0x0800u);
  EXPECT_EQ(p.key.Get(Field::kEthSrc), 0x020000000001u);
  EXPECT_EQ(p.key.Get(Field::kEthDst), 0x020000000002u);
  EXPECT_EQ(p.key.Get(Field::kNwSrc), 0x0a000001u);
  EXPECT_EQ(p.key.Get(Field::kNwDst), 0x0a000002u);
  EXPECT_EQ(p.key.Get(Field::kIpProto), 17u);
  EXPECT_EQ(p.key.Get(Field::kIpTtl), 64u);
  EXPECT_EQ(p.key.Get(Field::kTpSrc), 1234u);
  EXPECT_EQ(p.key.Get(Field::kTpDst), 53u);
  EXPECT_EQ(p.key.Get(Field::kVlanTci), 0u);
  EXPECT_EQ(p.layout.l3_ofs, 14);
  EXPECT_EQ(p.layout.l4_ofs, 34);
}

TEST(PacketParser, TcpFlagsAndVlan) {
  test::L2 l2;
  l2.vlan_tcis = {0x6064};  // PCP 3, VID 100
  const Parsed p = Parse(test::Tcp4Frame(1, 2, 80, 8080, l2, 0x12));
  ASSERT_EQ(p.reason, DropReason::kCount);
  EXPECT_EQ(p.key.Get(Field::kVlanTci), 0x6064u | kVlanPresent);
  EXPECT_EQ(p.key.Get(Field::kTcpFlags), 0x12u);
  EXPECT_EQ(p.key.Get(Field::kTpDst), 8080u);
  EXPECT_EQ(p.layout.vlan_tags, 1);
  EXPECT_EQ(p.layout.l3_ofs, 18);
}

TEST(PacketParser, QinQMatchesOuterTagAndReachesIp) {
  test::L2 l2;
  l2.vlan_tcis = {10, 20};
  const Parsed p = Parse(test::Udp4Frame(1, 2, 5, 6, l2));
  ASSERT_EQ(p.reason, DropReason::kCount);
  EXPECT_EQ(p.key.Get(Field::kVlanTci), 10u | kVlanPresent);
  EXPECT_EQ(p.key.Get(Field::kEthType), 0x0800u);
  EXPECT_EQ(p.key.Get(Field::kTpDst), 6u);
  EXPECT_EQ(p.layout.vlan_tags, 2);
}

TEST(PacketParser, Arp) {
  const Parsed p = Parse(test::ArpFrame(1, 0xaabbccddeeff, 0xc0a80001, 0, 0xc0a80002));
  ASSERT_EQ(p.reason, DropReason::kCount);
  EXPECT_EQ(p.key.Get(Field::kEthType), 0x0806u);
  EXPECT_EQ(p.key.Get(Field::kArpOp), 1u);
  EXPECT_EQ(p.key.Get(Field::kArpSha), 0xaabbccddeeffu);
  EXPECT_EQ(p.key.Get(Field::kNwSrc), 0xc0a80001u);
  EXPECT_EQ(p.key.Get(Field::kNwDst), 0xc0a80002u);
}

TEST(PacketParser, Ipv6WithHopByHop) {
  const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  for (bool hbh : {false, true}) {
    const Parsed p = Parse(test::Udp6Frame(src, dst, 546, 547, hbh));
    ASSERT_EQ(p.reason, DropReason::kCount) << hbh;
    EXPECT_EQ(p.key.Get(Field::kIpProto), 17u);
    EXPECT_EQ(p.key.Get(Field::kTpSrc), 546u);
    EXPECT_EQ(p.key.Get(Field::kIpv6SrcHi), 0x20010db800000000u);
    EXPECT_EQ(p.key.Get(Field::kIpv6SrcLo), 1u);
    EXPECT_EQ(p.key.Get(Field::kIpv6DstLo), 2u);
    EXPECT_EQ(p.key.Get(Field::kIpv6Label), 0x12345u);
    EXPECT_EQ(p.layout.l4_ofs, hbh ? 14 + 48 : 14 + 40);
  }
}

TEST(PacketParser, FragmentsAreMarkedAndLaterOnesSkipL4) {
  const Bytes l4 = test::L4Segment(17, 1, 2, 7, 9, 8);
  const Parsed first = Parse(test::Ethernet({}, 0x0800, test::Ipv4(1, 2, 17, l4, 64, 0, 0x2000)));
  ASSERT_EQ(first.reason, DropReason::kCount);
  EXPECT_EQ(first.key.Get(Field::kIpFrag), kFragAny);
  EXPECT_EQ(first.key.Get(Field::kTpDst), 9u);
  const Parsed later = Parse(test::Ethernet({}, 0x0800, test::Ipv4(1, 2, 17, l4, 64, 0, 0x0010)));
  ASSERT_EQ(later.reason, DropReason::kCount);
  EXPECT_EQ(later.key.Get(Field::kIpFrag), kFragAny | kFragLater);
  EXPECT_EQ(later.key.Get(Field::kTpDst), 0u);
}

TEST(PacketParser, GreHeaderValidated) {
  const Bytes inner = test::Udp4Frame(5, 6, 7, 8);
  EXPECT_EQ(Parse(test::GreFrame(1, 2, 0x2000, 42, inner)).reason, DropReason::kCount);
  EXPECT_EQ(Parse(test::GreFrame(1, 2, 0xa000, 42, inner)).reason, DropReason::kCount);
  EXPECT_EQ(Parse(test::GreFrame(1, 2, 0x2001, 42, inner)).reason, DropReason::kGreMalformed);  // version 1
  EXPECT_EQ(Parse(test::GreFrame(1, 2, 0x4000, 0, inner)).reason, DropReason::kGreMalformed);   // routing
}

TEST(PacketParser, MalformedPacketsNameTheirReason) {
  EXPECT_EQ(Parse(Bytes(13, 0)).reason, DropReason::kRunt);
  Bytes vlan = test::Ethernet({}, 0x8100, {});
  EXPECT_EQ(Parse(vlan, 15).reason, DropReason::kVlanTruncated);
  Bytes ip = test::Udp4Frame(1, 2, 3, 4);
  ip[14] = 0x55;  // version 5
  EXPECT_EQ(Parse(ip).reason, DropReason::kIpv4BadHeader);
  ip[14] = 0x44;  // IHL 4
  EXPECT_EQ(Parse(ip).reason, DropReason::kIpv4BadHeader);
  ip = test::Udp4Frame(1, 2, 3, 4);
  ip[16] = 0x05;  // total length 1280+ beyond the frame
  EXPECT_EQ(Parse(ip).reason, DropReason::kIpv4Truncated);
  const Bytes arp = test::ArpFrame(1, 1, 2, 3, 4);
  EXPECT_EQ(Parse(arp, 14 + 20).reason, DropReason::kArpTruncated);
  const Bytes tcp = test::Tcp4Frame(1, 2, 3, 4);
  Bytes cut(tcp.begin(), tcp.begin() + 14 + 20 + 10);
  cut[16] = 0; cut[17] = 30;  // IPv4 total length consistent with the cut
  EXPECT_EQ(Parse(cut).reason, DropReason::kL4Truncated);
}

TEST(PacketParser, PaddingBeyondIpTotalLengthIsIgnored) {
  Bytes f = test::Udp4Frame(1, 2, 3, 4, {}, 0);  // 42 bytes padded to 60
  ASSERT_EQ(f.size(), 60u);
  const Parsed p = Parse(f);
  EXPECT_EQ(p.reason, DropReason::kCount);
  EXPECT_EQ(p.layout.l3_end, 14 + 28);
}

// Every prefix of every frame kind parses without reading past the end, and
// a frame cut inside its headers is never accepted as complete IPv4/IPv6.
TEST(PacketParser, EveryTruncationIsSafe) {
  const uint8_t a6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  test::L2 tagged;
  tagged.vlan_tcis = {5, 6};
  const std::vector<Bytes> frames = {
      test::Udp4Frame(1, 2, 3, 4), test::Tcp4Frame(1, 2, 3, 4, tagged),
      test::ArpFrame(2, 1, 2, 3, 4), test::Udp6Frame(a6, a6, 1, 2, true),
      test::GreFrame(1, 2, 0xb000, 9, test::Udp4Frame(1, 2, 3, 4))};
  for (const Bytes& f : frames) {
    for (size_t len = 0; len <= f.size(); ++len) {
      const Parsed p = Parse(f, len);
      if (len < 14) {
        EXPECT_EQ(p.reason, DropReason::kRunt);
      }
      if (p.reason == DropReason::kCount && p.layout.l4_ofs) {
        EXPECT_LE(p.layout.l4_ofs, len);
      }
    }
  }
}

TEST(PacketParser, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 200);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() > 13 && (i & 1)) { b[12] = 0x08; b[13] = (i & 2) ? 0x00 : 0x06; }
    if (b.size() > 14 && (i & 4)) b[14] = 0x45;
    Parse(b);
  }
  SUCCEED();
}

}  // namespace
}  // namespace hashi::dp
