// Tests for control/openflow/match.h: OXM decoding into FlowKey/mask, the
// spec's BAD_MATCH codes, prerequisites, and encode/decode round trips.
#include "control/openflow/match.h"

#include <gtest/gtest.h>

#include "control/flow_parser.h"
#include "tests/control/openflow/test_bytes.h"

namespace hashi::of {
namespace {

using test::Hex;
using test::ToHex;

// An ofp_match of OXM TLVs given in hex, with header and padding added.
std::vector<uint8_t> MatchOf(const std::string& tlvs_hex) {
  const std::vector<uint8_t> tlvs = Hex(tlvs_hex);
  std::vector<uint8_t> m = Hex("0001");
  m.push_back(0);
  m.push_back(static_cast<uint8_t>(4 + tlvs.size()));
  for (uint8_t b : tlvs) m.push_back(b);
  while (m.size() % 8) m.push_back(0);
  return m;
}

std::optional<OfError> Decode(const std::vector<uint8_t>& bytes, dp::FlowKey* match, dp::FlowKey* mask) {
  Reader r(bytes.data(), bytes.size());
  return DecodeMatch(r, match, mask);
}

OfError Err(uint16_t code) { return OfError{kBadMatch, code}; }

TEST(OxmMatch, DecodesPyofVector) {
  // From pyof: eth_type=0x0800, ipv4_dst=10.0.0.0/255.255.255.0.
  const auto bytes = Hex("0001 0016 80000a02 0800 80001908 0a000000 ffffff00 0000");
  dp::FlowKey m, k;
  ASSERT_FALSE(Decode(bytes, &m, &k));
  EXPECT_EQ(m.Get(dp::Field::kEthType), 0x0800u);
  EXPECT_EQ(m.Get(dp::Field::kNwDst), 0x0a000000u);
  EXPECT_EQ(k.Get(dp::Field::kNwDst), 0xffffff00u);
  EXPECT_EQ(k.Get(dp::Field::kNwSrc), 0u);
}

TEST(OxmMatch, EncodesCanonicalBytes) {
  auto rule = ctl::ParseFlow("ip,nw_dst=10.0.0.0/24,actions=drop");
  ASSERT_TRUE(rule.ok());
  std::vector<uint8_t> out;
  Writer w(out);
  EncodeMatch(w, rule->match, rule->mask);
  EXPECT_EQ(ToHex(out), "0001001680000a020800800019080a000000ffffff000000");
}

TEST(OxmMatch, RoundTripsEveryFieldThroughTheFlowParser) {
  const char* flows[] = {
      "in_port=3,dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
      "dl_vlan=10,dl_vlan_pcp=5,actions=drop",
      "vlan_tci=0x1000/0x1000,actions=drop",
      "dl_vlan=0xffff,actions=drop",
      "tcp,nw_src=10.0.0.1,nw_dst=10.0.0.0/8,tp_src=1000,tp_dst=80,ip_dscp=46,nw_ecn=1,actions=drop",
      "udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12345,udp_dst=53,actions=drop",
      "sctp,tp_src=9,actions=drop",
      "icmp,icmp_type=8,icmp_code=0,actions=drop",
      "icmp6,icmpv6_type=135,actions=drop",
      "arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00,actions=drop",
      "metadata=0x5/0xff,tun_id=0x77,actions=drop",
      "tcp,tcp_flags=0x002/0x012,actions=drop",
      "ip,ip_frag=later,nw_ttl=1,actions=drop",
  };
  for (const char* text : flows) {
    auto rule = ctl::ParseFlow(text);
    ASSERT_TRUE(rule.ok()) << text << ": " << rule.error();
    std::vector<uint8_t> out;
    Writer w(out);
    EncodeMatch(w, rule->match, rule->mask);
    ASSERT_EQ(out.size() % 8, 0u) << text;
    dp::FlowKey m, k;
    auto e = Decode(out, &m, &k);
    ASSERT_FALSE(e) << text << ": type " << e->type << " code " << e->code << " bytes " << ToHex(out);
    EXPECT_TRUE(m == rule->match) << text << ": " << dp::FormatKey(m);
    EXPECT_TRUE(k == rule->mask) << text;
  }
}

TEST(OxmMatch, VlanNoneMeansUntagged) {
  dp::FlowKey m, k;
  ASSERT_FALSE(Decode(MatchOf("80000c02 0000"), &m, &k));  // VLAN_VID=OFPVID_NONE
  EXPECT_EQ(k.Get(dp::Field::kVlanTci), 0xffffu);
  EXPECT_EQ(m.Get(dp::Field::kVlanTci), 0u);
}

TEST(OxmMatch, MalformedMatchesGetTheSpecCodes) {
  dp::FlowKey m, k;
  // ofp_match type 0 (OFPMT_STANDARD) is not OXM.
  EXPECT_EQ(Decode(Hex("0000 0004 00000000"), &m, &k), Err(bad_match::kBadType));
  // Match length shorter than its header.
  EXPECT_EQ(Decode(Hex("0001 0002 00000000"), &m, &k), Err(bad_match::kBadLen));
  // Match length running past the message.
  EXPECT_EQ(Decode(Hex("0001 0020 80000a02 0800"), &m, &k), Err(bad_match::kBadLen));
  // A TLV whose length runs past the match.
  EXPECT_EQ(Decode(MatchOf("80000a08 0800"), &m, &k), Err(bad_match::kBadLen));
  // A TLV whose length does not fit the field (ETH_TYPE is 2 bytes).
  EXPECT_EQ(Decode(MatchOf("80000a03 080000"), &m, &k), Err(bad_match::kBadLen));
  // The same field twice.
  EXPECT_EQ(Decode(MatchOf("80000a02 0800 80000a02 0800"), &m, &k), Err(bad_match::kDupField));
  // MPLS_LABEL: a basic field this switch cannot match.
  EXPECT_EQ(Decode(MatchOf("80004404 00000001"), &m, &k), Err(bad_match::kBadField));
  // An unknown OXM class.
  EXPECT_EQ(Decode(MatchOf("12340002 0001"), &m, &k), Err(bad_match::kBadField));
  // IPV4_DST without eth_type=0x0800.
  EXPECT_EQ(Decode(MatchOf("80001804 0a000001"), &m, &k), Err(bad_match::kBadPrereq));
  // TCP_DST with nw_proto=17.
  EXPECT_EQ(Decode(MatchOf("80000a02 0800 80001401 11 80001c02 0050"), &m, &k), Err(bad_match::kBadPrereq));
  // VLAN_PCP without a VLAN.
  EXPECT_EQ(Decode(MatchOf("80000e01 03"), &m, &k), Err(bad_match::kBadPrereq));
  // A mask on ETH_TYPE, which takes none.
  EXPECT_EQ(Decode(MatchOf("80000b04 0800ffff"), &m, &k), Err(bad_match::kBadMask));
  // A value bit outside its mask.
  EXPECT_EQ(Decode(MatchOf("80000a02 0800 80001908 0a000001 ffffff00"), &m, &k), Err(bad_match::kBadWildcards));
  // VLAN_VID beyond 13 bits, and IP_DSCP beyond 6.
  EXPECT_EQ(Decode(MatchOf("80000c02 2001"), &m, &k), Err(bad_match::kBadValue));
  EXPECT_EQ(Decode(MatchOf("80000a02 0800 80001001 40"), &m, &k), Err(bad_match::kBadValue));
}

TEST(OxmMatch, EveryTruncationIsRejectedWithoutReadingPastTheEnd) {
  auto rule = ctl::ParseFlow("tcp6,ipv6_src=2001:db8::1,tp_dst=80,metadata=1,actions=drop");
  ASSERT_TRUE(rule.ok());
  std::vector<uint8_t> out;
  Writer w(out);
  EncodeMatch(w, rule->match, rule->mask);
  for (size_t n = 0; n < out.size(); ++n) {
    std::vector<uint8_t> cut(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    dp::FlowKey m, k;
    EXPECT_TRUE(Decode(cut, &m, &k)) << "accepted a match cut to " << n << " bytes";
  }
}

TEST(OxmMatch, SetFieldDecodesOneFieldAndChecksPrerequisites) {
  auto udp = ctl::ParseFlow("udp,actions=drop");
  ASSERT_TRUE(udp.ok());
  std::vector<dp::Action> out;
  // SET_FIELD UDP_DST=53, padded to 8 bytes.
  const auto tlv = Hex("80002002 0035 0000");
  EXPECT_FALSE(DecodeSetField(Reader(tlv.data(), tlv.size()), &udp->match, &udp->mask, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, dp::Field::kTpDst);
  EXPECT_EQ(out[0].value, 53u);
  // TCP_DST on a UDP flow is inconsistent with the match.
  const auto tcp = Hex("80001c02 0050 0000");
  EXPECT_EQ(DecodeSetField(Reader(tcp.data(), tcp.size()), &udp->match, &udp->mask, &out),
            (OfError{kBadAction, bad_action::kMatchInconsistent}));
  // ETH_TYPE cannot be set.
  const auto type = Hex("80000a02 0800 0000");
  EXPECT_EQ(DecodeSetField(Reader(type.data(), type.size()), nullptr, nullptr, &out),
            (OfError{kBadAction, bad_action::kBadSetType}));
  // A masked set-field does not exist in 1.3.
  const auto masked = Hex("80001908 0a000000 ffffff00");
  EXPECT_EQ(DecodeSetField(Reader(masked.data(), masked.size()), nullptr, nullptr, &out),
            (OfError{kBadAction, bad_action::kBadSetArgument}));
}

}  // namespace
}  // namespace hashi::of
