// Tests for control/flow_parser.h: ovs-ofctl syntax for matches, masks,
// shorthands, actions and instructions, prerequisite errors, and files.
#include "control/flow_parser.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace hashi::ctl {
namespace {

using dp::ActionType;
using dp::Field;

dp::FlowRule MustParse(const std::string& s) {
  auto r = ParseFlow(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.error();
  return r.ok() ? r.value() : dp::FlowRule{};
}

std::string ErrorOf(const std::string& s) {
  auto r = ParseFlow(s);
  EXPECT_FALSE(r.ok()) << s;
  return r.ok() ? "" : r.error();
}

TEST(FlowParser, BasicMatchAndOutput) {
  auto r = MustParse("table=2, priority=100, in_port=1, ip, nw_dst=10.0.0.0/24, actions=output:2");
  EXPECT_EQ(r.table_id, 2);
  EXPECT_EQ(r.priority, 100);
  EXPECT_EQ(r.match.Get(Field::kInPort), 1u);
  EXPECT_EQ(r.match.Get(Field::kEthType), 0x0800u);
  EXPECT_EQ(r.match.Get(Field::kNwDst), 0x0a000000u);
  EXPECT_EQ(r.mask.Get(Field::kNwDst), 0xffffff00u);
  ASSERT_EQ(r.instructions.apply.size(), 1u);
  EXPECT_EQ(r.instructions.apply[0].type, ActionType::kOutput);
  EXPECT_EQ(r.instructions.apply[0].port, 2u);
}

TEST(FlowParser, DefaultsFollowOvs) {
  auto r = MustParse("actions=drop");
  EXPECT_EQ(r.table_id, 0);
  EXPECT_EQ(r.priority, 0x8000);
  EXPECT_TRUE(r.instructions.apply.empty());
}

TEST(FlowParser, ShorthandsAndTransportFields) {
  auto r = MustParse("tcp,tp_dst=80,tcp_flags=0x002/0x012 actions=normal");
  EXPECT_EQ(r.match.Get(Field::kIpProto), 6u);
  EXPECT_EQ(r.match.Get(Field::kTpDst), 80u);
  EXPECT_EQ(r.mask.Get(Field::kTcpFlags), 0x12u);
  EXPECT_EQ(r.instructions.apply[0].port, dp::kPortNormal);
  auto u6 = MustParse("udp6,ipv6_dst=2001:db8::/32,udp_src=53 actions=flood");
  EXPECT_EQ(u6.match.Get(Field::kEthType), 0x86ddu);
  EXPECT_EQ(u6.mask.Get(Field::kIpv6DstHi), 0xffffffff00000000u);
  EXPECT_EQ(u6.match.Get(Field::kIpv6DstHi), 0x20010db800000000u);
  EXPECT_EQ(u6.mask.Get(Field::kIpv6DstLo), 0u);
}

TEST(FlowParser, MacMasksVlanAndMetadata) {
  auto r = MustParse("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_vlan=100,dl_vlan_pcp=5,"
                     "metadata=0x10/0xf0 actions=all");
  EXPECT_EQ(r.mask.Get(Field::kEthDst), 0x010000000000u);
  EXPECT_EQ(r.match.Get(Field::kVlanTci), (5u << 13) | dp::kVlanPresent | 100);
  EXPECT_EQ(r.mask.Get(Field::kMetadata), 0xf0u);
  auto untagged = MustParse("dl_vlan=0xffff actions=drop");
  EXPECT_EQ(untagged.mask.Get(Field::kVlanTci), 0xffffu);
  EXPECT_EQ(untagged.match.Get(Field::kVlanTci), 0u);
}

TEST(FlowParser, ArpFields) {
  auto r = MustParse("arp,arp_op=1,arp_tpa=192.168.1.1,arp_sha=aa:bb:cc:dd:ee:ff actions=controller:64");
  EXPECT_EQ(r.match.Get(Field::kArpOp), 1u);
  EXPECT_EQ(r.match.Get(Field::kNwDst), 0xc0a80101u);
  EXPECT_EQ(r.match.Get(Field::kArpSha), 0xaabbccddeeffu);
  EXPECT_EQ(r.instructions.apply[0].port, dp::kPortController);
  EXPECT_EQ(r.instructions.apply[0].value, 64u);
}

TEST(FlowParser, ActionsAndInstructions) {
  auto r = MustParse("table=1,ip actions=mod_dl_dst:02:00:00:00:00:09,mod_nw_src:1.2.3.4,"
                     "set_field:7->tp_dst,push_vlan:0x8100,mod_vlan_vid:42,dec_ttl,strip_vlan,"
                     "write_actions(output:3,set_field:5->ip_dscp),clear_actions,"
                     "write_metadata:0x1/0xff,goto_table:4");
  const auto& a = r.instructions.apply;
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[0].field, Field::kEthDst);
  EXPECT_EQ(a[0].value, 0x020000000009u);
  EXPECT_EQ(a[1].field, Field::kNwSrc);
  EXPECT_EQ(a[2].field, Field::kTpDst);
  EXPECT_EQ(a[3].type, ActionType::kPushVlan);
  EXPECT_EQ(a[4].field, Field::kVlanTci);
  EXPECT_EQ(a[4].mask, 0x0fffu);
  EXPECT_EQ(a[5].type, ActionType::kDecTtl);
  EXPECT_EQ(a[6].type, ActionType::kPopVlan);
  ASSERT_EQ(r.instructions.write.size(), 2u);
  EXPECT_EQ(r.instructions.write[1].value, 5u << 2);
  EXPECT_EQ(r.instructions.write[1].mask, 0xfcu);
  EXPECT_TRUE(r.instructions.clear_actions);
  EXPECT_TRUE(r.instructions.write_metadata);
  EXPECT_EQ(r.instructions.metadata_mask, 0xffu);
  EXPECT_EQ(r.instructions.goto_table, 4);
}

TEST(FlowParser, PrerequisitesAreEnforced) {
  EXPECT_NE(ErrorOf("tp_dst=80 actions=drop").find("require"), std::string::npos);
  EXPECT_NE(ErrorOf("nw_src=1.2.3.4 actions=drop").find("require"), std::string::npos);
  EXPECT_NE(ErrorOf("ip,tp_dst=80 actions=drop").find("nw_proto"), std::string::npos);
  EXPECT_NE(ErrorOf("arp_op=1 actions=drop").find("arp"), std::string::npos);
  EXPECT_NE(ErrorOf("ip,ipv6_src=::1 actions=drop").find("ipv6"), std::string::npos);
  EXPECT_NE(ErrorOf("udp,tcp_flags=2 actions=drop").find("tcp"), std::string::npos);
}

TEST(FlowParser, BadInputGetsClearErrors) {
  EXPECT_NE(ErrorOf("in_port=1").find("actions"), std::string::npos);
  EXPECT_NE(ErrorOf("foo=1 actions=drop").find("unknown field 'foo'"), std::string::npos);
  EXPECT_NE(ErrorOf("ip,nw_src=1.2.3 actions=drop").find("bad value"), std::string::npos);
  EXPECT_NE(ErrorOf("dl_src=zz:00:00:00:00:00 actions=drop").find("bad value"), std::string::npos);
  EXPECT_NE(ErrorOf("priority=70000 actions=drop").find("priority"), std::string::npos);
  EXPECT_NE(ErrorOf("table=255 actions=drop").find("table"), std::string::npos);
  EXPECT_NE(ErrorOf("actions=frobnicate").find("unknown action"), std::string::npos);
  EXPECT_NE(ErrorOf("table=3 actions=goto_table:2").find("later table"), std::string::npos);
  EXPECT_NE(ErrorOf("actions=set_field:1->in_port").find("cannot be set"), std::string::npos);
  EXPECT_NE(ErrorOf("actions=push_vlan:0x0800").find("push_vlan"), std::string::npos);
  EXPECT_NE(ErrorOf("actions=write_actions(goto_table:1)").find("instruction"), std::string::npos);
  EXPECT_NE(ErrorOf("actions=output:0").find("port"), std::string::npos);
  EXPECT_NE(ErrorOf("in_port=1 actions=").find("empty"), std::string::npos);
}

TEST(FlowParser, FormatRoundTrips) {
  const char* flows[] = {
      "table=1,priority=5,tcp,nw_src=10.1.0.0/16,tp_dst=22 actions=output:3,dec_ttl,goto_table:9",
      "dl_dst=02:00:00:00:00:01,dl_vlan=7 actions=set_field:02:00:00:00:00:02->dl_dst,NORMAL",
      "arp,arp_op=2 actions=write_actions(output:1),write_metadata:0x5/0xff,goto_table:2",
  };
  for (const char* f : flows) {
    const dp::FlowRule a = MustParse(f);
    std::string text = FormatFlow(a);
    // dump-flows prints "cookie=..., table=..., priority=..." which parses back.
    const dp::FlowRule b = MustParse(text);
    EXPECT_TRUE(a.SameMatch(b)) << text;
    EXPECT_EQ(a.instructions, b.instructions) << text;
  }
}

TEST(FlowParser, FileWithCommentsAndLineNumbers) {
  const std::string path = ::testing::TempDir() + "/flows.txt";
  {
    std::ofstream out(path);
    out << "# a comment\n\npriority=10,in_port=1 actions=output:2\n"
        << "priority=10,in_port=2 actions=output:1  # trailing comment\n";
  }
  auto rules = ParseFlowFile(path);
  ASSERT_TRUE(rules.ok()) << rules.error();
  EXPECT_EQ(rules->size(), 2u);
  {
    std::ofstream out(path);
    out << "in_port=1 actions=output:2\nin_port=x actions=drop\n";
  }
  auto bad = ParseFlowFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("flows.txt:2:"), std::string::npos) << bad.error();
  EXPECT_FALSE(ParseFlowFile("/nonexistent/flows").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace hashi::ctl
