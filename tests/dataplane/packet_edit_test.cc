// Tests for dataplane/packet_edit.h: every set-field keeps IPv4 and L4
// checksums valid (checked by full recomputation), keys follow the bytes,
// and dec_ttl refuses TTL 1. Push/pop VLAN need mbufs and are covered in
// pipeline_test.cc.
#include "dataplane/packet_edit.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/packets.h"

namespace hashi::dp {
namespace {

using test::Bytes;

struct Frame {
  Bytes bytes;
  FlowKey key;
  PacketLayout layout;
  explicit Frame(Bytes b) : bytes(std::move(b)) {
    EXPECT_EQ(ParsePacket(bytes.data(), static_cast<uint32_t>(bytes.size()), 1, &key, &layout),
              DropReason::kCount);
  }
  void Set(Field f, uint64_t v) { edit::SetField(bytes.data(), layout, key, f, v); }
  FlowKey Reparse() const {
    FlowKey k;
    PacketLayout l;
    ParsePacket(bytes.data(), static_cast<uint32_t>(bytes.size()), 1, &k, &l);
    return k;
  }
};

TEST(PacketEdit, SetIpv4AddressesAndPortsKeepChecksums) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    const bool tcp = i % 2;
    Frame f(tcp ? test::Tcp4Frame(rng(), rng(), rng() & 0xffff, rng() & 0xffff)
                : test::Udp4Frame(rng(), rng(), rng() & 0xffff, rng() & 0xffff));
    ASSERT_TRUE(test::Ipv4ChecksumsOk(f.bytes));
    f.Set(Field::kNwSrc, rng());
    f.Set(Field::kNwDst, rng());
    f.Set(Field::kTpSrc, rng() & 0xffff);
    f.Set(Field::kTpDst, rng() & 0xffff);
    f.Set(Field::kIpTos, rng() & 0xff);
    f.Set(Field::kIpTtl, 1 + rng() % 250);
    ASSERT_TRUE(test::Ipv4ChecksumsOk(f.bytes)) << i;
    EXPECT_EQ(f.Reparse(), f.key);
  }
}

TEST(PacketEdit, SetMacsAndVlanVid) {
  test::L2 l2;
  l2.vlan_tcis = {0x2005};
  Frame f(test::Udp4Frame(1, 2, 3, 4, l2));
  f.Set(Field::kEthDst, 0x0a0b0c0d0e0f);
  f.Set(Field::kEthSrc, 0x010203040506);
  f.Set(Field::kVlanTci, 0x2000 | kVlanPresent | 77);
  const FlowKey k = f.Reparse();
  EXPECT_EQ(k.Get(Field::kEthDst), 0x0a0b0c0d0e0fu);
  EXPECT_EQ(k.Get(Field::kEthSrc), 0x010203040506u);
  EXPECT_EQ(k.Get(Field::kVlanTci), 0x2000u | kVlanPresent | 77);
}

TEST(PacketEdit, ArpFieldsAreRewritten) {
  Frame f(test::ArpFrame(1, 0xaa, 0x01020304, 0, 0x05060708));
  f.Set(Field::kNwSrc, 0x0a0a0a0a);
  f.Set(Field::kArpSha, 0x0000000000bb);
  f.Set(Field::kArpOp, 2);
  const FlowKey k = f.Reparse();
  EXPECT_EQ(k.Get(Field::kNwSrc), 0x0a0a0a0au);
  EXPECT_EQ(k.Get(Field::kArpSha), 0xbbu);
  EXPECT_EQ(k.Get(Field::kArpOp), 2u);
}

TEST(PacketEdit, Ipv6AddressRewriteKeepsUdpChecksum) {
  const uint8_t a[16] = {0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Frame f(test::Udp6Frame(a, a, 10, 20));
  f.Set(Field::kIpv6DstLo, 0x99);
  f.Set(Field::kIpv6SrcHi, 0xfe80000000000000ull);
  const FlowKey k = f.Reparse();
  EXPECT_EQ(k.Get(Field::kIpv6DstLo), 0x99u);
  // Verify the UDP checksum over the IPv6 pseudo header.
  const Bytes& b = f.bytes;
  const size_t l4 = 14 + 40;
  uint32_t sum = 17 + 12;
  sum = test::SumWords(b.data() + 14 + 8, 32, sum);
  EXPECT_EQ(test::Fold(test::SumWords(b.data() + l4, 12, sum)), 0);
}

TEST(PacketEdit, DecTtl) {
  Frame f(test::Udp4Frame(1, 2, 3, 4));
  f.Set(Field::kIpTtl, 2);
  EXPECT_TRUE(edit::DecTtl(f.bytes.data(), f.layout, f.key));
  EXPECT_EQ(f.Reparse().Get(Field::kIpTtl), 1u);
  EXPECT_TRUE(test::Ipv4ChecksumsOk(f.bytes));
  EXPECT_FALSE(edit::DecTtl(f.bytes.data(), f.layout, f.key));
  Frame arp(test::ArpFrame(1, 1, 1, 1, 1));
  EXPECT_TRUE(edit::DecTtl(arp.bytes.data(), arp.layout, arp.key));  // non-IP untouched
}

TEST(PacketEdit, IncrementalChecksumMatchesRfc1624Example) {
  // RFC 1624 section 4: HC=0xdd2f, m=0x5555 -> m'=0x3285 gives HC'=0x0000.
  EXPECT_EQ(edit::CsumReplace16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

}  // namespace
}  // namespace hashi::dp
