// Tests for tunnel/underlay_frames.h: ARP request and reply bytes, ARP
// parsing, and ICMP echo replies (built and refused).
#include "tunnel/underlay_frames.h"

#include <gtest/gtest.h>

#include "tests/support/packets.h"

namespace hashi::tun {
namespace {

using test::Bytes;

TEST(UnderlayFrames, ArpRequestAndReplyBytes) {
  uint8_t f[kArpFrameLen];
  ASSERT_EQ(BuildArpRequest(f, 0x020000000001, 0x0a010001, 0x0a0100fe), kArpFrameLen);
  const Bytes want = test::ArpFrame(1, 0x020000000001, 0x0a010001, 0, 0x0a0100fe,
                                    test::L2{0xffffffffffff, 0x020000000001, {}});
  EXPECT_EQ(Bytes(f, f + kArpFrameLen), Bytes(want.begin(), want.begin() + kArpFrameLen));
  ArpInfo a;
  ASSERT_TRUE(ParseArp(f, kArpFrameLen, &a));
  EXPECT_EQ(a.op, 1);
  EXPECT_EQ(a.tpa, 0x0a0100feu);
  BuildArpReply(f, 0x020000000001, 0x0a010001, 0x02000000aaaa, 0x0a010009);
  const Bytes reply = test::ArpFrame(2, 0x020000000001, 0x0a010001, 0x02000000aaaa, 0x0a010009,
                                     test::L2{0x02000000aaaa, 0x020000000001, {}});
  EXPECT_EQ(Bytes(f, f + kArpFrameLen), Bytes(reply.begin(), reply.begin() + kArpFrameLen));
}

TEST(UnderlayFrames, ParseArpRefusesOtherFrames) {
  ArpInfo a;
  Bytes arp = test::ArpFrame(1, 2, 3, 4, 5);
  EXPECT_FALSE(ParseArp(arp.data(), 41, &a));  // cut short
  Bytes bad_op = arp;
  bad_op[21] = 9;
  EXPECT_FALSE(ParseArp(bad_op.data(), bad_op.size(), &a));
  Bytes ipv6_arp = arp;
  ipv6_arp[16] = 0x86;
  EXPECT_FALSE(ParseArp(ipv6_arp.data(), ipv6_arp.size(), &a));
  Bytes udp = test::Udp4Frame(1, 2, 3, 4);
  EXPECT_FALSE(ParseArp(udp.data(), udp.size(), &a));
}

Bytes Echo(uint32_t src, uint32_t dst, uint64_t dst_mac) {
  return test::Ethernet(test::L2{dst_mac, 0x02000000beef, {}}, 0x0800,
                        test::Ipv4(src, dst, 1, test::L4Segment(1, src, dst, 8, 0, 32)));
}

TEST(UnderlayFrames, AnswersEchoRequestsForUs) {
  Bytes f = Echo(0x0a0100fe, 0x0a010001, 0x020000000001);
  ASSERT_TRUE(MakeEchoReply(f.data(), f.size(), 0x020000000001, 0x0a010001));
  EXPECT_EQ(test::Get16(f, 0), 0x0200);                    // to the asker's MAC
  EXPECT_EQ(test::Get16(f, 4), 0xbeef);
  EXPECT_EQ(test::Get16(f, 10), 0x0001);                   // from ours
  EXPECT_EQ(f[14 + 20], 0);                                 // echo reply
  EXPECT_EQ(test::Get16(f, 14 + 12), 0x0a01);               // from us
  EXPECT_EQ(test::Get16(f, 14 + 16 + 2), 0x00fe);           // to the asker
  EXPECT_EQ(test::Fold(test::SumWords(f.data() + 14, 20)), 0);        // IPv4 checksum
  EXPECT_EQ(test::Fold(test::SumWords(f.data() + 34, 8 + 32)), 0);    // ICMP checksum
}

TEST(UnderlayFrames, RefusesEchoesNotForUsOrBroken) {
  Bytes other_ip = Echo(0x0a0100fe, 0x0a010002, 0x020000000001);
  EXPECT_FALSE(MakeEchoReply(other_ip.data(), other_ip.size(), 0x020000000001, 0x0a010001));
  Bytes other_mac = Echo(0x0a0100fe, 0x0a010001, 0x020000000009);
  EXPECT_FALSE(MakeEchoReply(other_mac.data(), other_mac.size(), 0x020000000001, 0x0a010001));
  Bytes bad_sum = Echo(0x0a0100fe, 0x0a010001, 0x020000000001);
  bad_sum[34 + 8] ^= 1;
  EXPECT_FALSE(MakeEchoReply(bad_sum.data(), bad_sum.size(), 0x020000000001, 0x0a010001));
  Bytes truncated = Echo(0x0a0100fe, 0x0a010001, 0x020000000001);
  EXPECT_FALSE(MakeEchoReply(truncated.data(), 40, 0x020000000001, 0x0a010001));
  Bytes from_broadcast = Echo(0xffffffff, 0x0a010001, 0x020000000001);
  EXPECT_FALSE(MakeEchoReply(from_broadcast.data(), from_broadcast.size(), 0x020000000001, 0x0a010001));
  const Bytes untouched = Echo(0x0a0100fe, 0x0a010002, 0x020000000001);
  EXPECT_EQ(other_ip, untouched);
}

}  // namespace
}  // namespace hashi::tun
