// Tests for the group, meter and bundle parts of the codec
// (control/openflow/group_meter_codec.cc, bundle_codec.cc): decoding real
// layouts, the spec's error codes, and the encodings multipart replies use.
#include <gtest/gtest.h>

#include "control/openflow/messages.h"
#include "tests/control/openflow/test_bytes.h"

namespace hashi::of {
namespace {

using test::Fix;
using test::Hex;
using test::ToHex;

std::optional<OfError> GroupError(const std::string& hex, GroupMod* out = nullptr) {
  GroupMod g;
  const auto b = Fix(Hex(hex));
  return DecodeGroupMod(b.data(), b.size(), out ? out : &g);
}

std::optional<OfError> MeterError(const std::string& hex, MeterMod* out = nullptr) {
  MeterMod m;
  const auto b = Fix(Hex(hex));
  return DecodeMeterMod(b.data(), b.size(), out ? out : &m);
}

// A bucket: len 32, weight, watch_port, watch_group, pad, output:N.
std::string Bucket(uint16_t weight, uint32_t watch_port, uint32_t port) {
  char b[128];
  std::snprintf(b, sizeof b, "0020 %04x %08x ffffffff 00000000 0000 0010 %08x 0000 000000000000", weight, watch_port,
                port);
  return b;
}

TEST(GroupMeterCodec, DecodesGroupModsOfEveryType) {
  GroupMod g;
  ASSERT_FALSE(GroupError("040f000000000001 0000 01 00 00000007" + Bucket(3, 0xffffffff, 2) +
                              Bucket(1, 0xffffffff, 3),
                          &g));
  EXPECT_EQ(g.group.id, 7u);
  EXPECT_EQ(g.group.type, dp::GroupType::kSelect);
  ASSERT_EQ(g.group.buckets.size(), 2u);
  EXPECT_EQ(g.group.buckets[0].weight, 3);
  EXPECT_EQ(g.group.buckets[1].actions[0].port, 3u);
  std::vector<uint8_t> out;
  Writer w(out);
  EncodeGroupDesc(w, g.group);
  EXPECT_EQ(ToHex(out), "0048" "01" "00" "00000007" + ToHex(Hex(Bucket(3, 0xffffffff, 2) + Bucket(1, 0xffffffff, 3))));
}

TEST(GroupMeterCodec, GroupModErrors) {
  const OfError bad_bucket{kGroupModFailed, group_mod_failed::kBadBucket};
  EXPECT_EQ(GroupError("040f000000000001 0003 00 00 00000001"), (OfError{kGroupModFailed, group_mod_failed::kBadCommand}));
  EXPECT_EQ(GroupError("040f000000000001 0000 07 00 00000001"), (OfError{kGroupModFailed, group_mod_failed::kBadType}));
  EXPECT_EQ(GroupError("040f000000000001 0000 00 00 ffffff01"), (OfError{kGroupModFailed, group_mod_failed::kInvalidGroup}));
  // A weight outside a select group; a fast-failover bucket watching nothing.
  EXPECT_EQ(GroupError("040f000000000001 0000 00 00 00000001" + Bucket(5, 0xffffffff, 2)), bad_bucket);
  EXPECT_EQ(GroupError("040f000000000001 0000 03 00 00000001" + Bucket(0, 0xffffffff, 2)),
            (OfError{kGroupModFailed, group_mod_failed::kBadWatch}));
  // An indirect group needs exactly one bucket.
  EXPECT_EQ(GroupError("040f000000000001 0000 02 00 00000001" + Bucket(0, 0xffffffff, 2) + Bucket(0, 0xffffffff, 3)),
            (OfError{kGroupModFailed, group_mod_failed::kInvalidGroup}));
  // A bucket sending to another group: chaining is not supported.
  EXPECT_EQ(GroupError("040f000000000001 0000 00 00 00000001 0018 0000 ffffffff ffffffff 00000000 0016 0008 00000002"),
            (OfError{kGroupModFailed, group_mod_failed::kChainingUnsupported}));
  // A truncated bucket.
  EXPECT_EQ(GroupError("040f000000000001 0000 00 00 00000001 0020 0000 ffffffff"), bad_bucket);
  // Deleting every group is valid.
  EXPECT_FALSE(GroupError("040f000000000001 0002 00 00 fffffffc"));
}

TEST(GroupMeterCodec, DecodesMeterModsAndTheirErrors) {
  MeterMod m;
  // pktps|burst, meter 5: drop at 1000/s burst 10; dscp_remark at 2000/s, prec 1.
  ASSERT_FALSE(MeterError("041d000000000002 0000 0006 00000005 0001 0010 000003e8 0000000a 00000000"
                          " 0002 0010 000007d0 00000014 01000000",
                          &m));
  EXPECT_EQ(m.config.id, 5u);
  ASSERT_EQ(m.config.bands.size(), 2u);
  EXPECT_EQ(m.config.bands[1].type, dp::MeterBandType::kDscpRemark);
  EXPECT_EQ(m.config.bands[1].prec_level, 1);
  std::vector<uint8_t> out;
  Writer w(out);
  EncodeMeterConfig(w, m.config);
  EXPECT_EQ(ToHex(out), "0028" "0006" "00000005" "00010010000003e80000000a00000000" "00020010000007d00000001401000000");
  auto err = [](uint16_t code) { return OfError{kMeterModFailed, code}; };
  EXPECT_EQ(MeterError("041d000000000002 0003 0001 00000001"), err(meter_mod_failed::kBadCommand));
  EXPECT_EQ(MeterError("041d000000000002 0000 0001 00000000 0001 0010 00000001 00000000 00000000"),
            err(meter_mod_failed::kInvalidMeter));
  EXPECT_EQ(MeterError("041d000000000002 0000 0003 00000001 0001 0010 00000001 00000000 00000000"),
            err(meter_mod_failed::kBadFlags));  // both kbps and pktps
  EXPECT_EQ(MeterError("041d000000000002 0000 0001 00000001 0001 0010 00000000 00000000 00000000"),
            err(meter_mod_failed::kBadRate));
  EXPECT_EQ(MeterError("041d000000000002 0000 0001 00000001 0009 0010 00000001 00000000 00000000"),
            err(meter_mod_failed::kBadBand));
  EXPECT_EQ(MeterError("041d000000000002 0000 0005 00000001 0001 0010 00000001 00000000 00000000"),
            err(meter_mod_failed::kBadBurst));  // burst flag without a burst size
  EXPECT_EQ(MeterError("041d000000000002 0000 0001 00000001"), err(meter_mod_failed::kBadBand));  // no band
}

TEST(GroupMeterCodec, BundleMessagesAndTheirExperimenterErrors) {
  BundleCtrl ctrl;
  auto b = Hex("0404001800000009 4f4e4600 000008fc 00000001 0004 0003");
  ASSERT_FALSE(DecodeBundleCtrl(b.data(), b.size(), &ctrl));
  EXPECT_EQ(ctrl.type, kBundleCommitRequest);
  EXPECT_EQ(ctrl.flags, kBundleAtomic | kBundleOrdered);
  b = Hex("0404001800000009 4f4e4600 000008fc 00000001 0005 0000");  // a reply sent as a request
  EXPECT_EQ(DecodeBundleCtrl(b.data(), b.size(), &ctrl), (OfError{kBundleFailedType, bundle_failed::kBadType}));
  BundleAdd add;
  b = Hex("0404002000000009 4f4e4600 000008fd 00000001 0000 0003 0414000800000010");
  ASSERT_FALSE(DecodeBundleAdd(b.data(), b.size(), &add));
  EXPECT_EQ(add.inner_len, 8u);
  EXPECT_EQ(add.inner[1], kBarrierRequest);
  b = Hex("0404002000000009 4f4e4600 000008fd 00000001 0000 0003 0414001000000010");  // inner runs past the end
  EXPECT_EQ(DecodeBundleAdd(b.data(), b.size(), &add), (OfError{kBundleFailedType, bundle_failed::kMsgBadLen}));
  // Over OpenFlow 1.3 a bundle error is an experimenter error: ONF code 2300 + n.
  std::vector<uint8_t> out;
  EncodeError(out, 9, OfError{kBundleFailedType, bundle_failed::kMsgFailed}, nullptr, 0);
  EXPECT_EQ(ToHex(out), "0401001000000009" "ffff" "0909" "4f4e4600");
}

}  // namespace
}  // namespace hashi::of
