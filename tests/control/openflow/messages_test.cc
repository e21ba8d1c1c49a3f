// Tests for control/openflow/messages.h and actions.h: decoding byte vectors
// made by an independent implementation (python3-openflow), exact encodings
// of what the switch sends, round trips, and the spec's error codes for
// malformed messages.
#include "control/openflow/messages.h"

#include <gtest/gtest.h>

#include "control/flow_parser.h"
#include "tests/control/openflow/test_bytes.h"

namespace hashi::of {
namespace {

using test::Fix;
using test::Hex;
using test::ToHex;

// pyof: FlowMod(xid=7, cookie=0x1234, table_id=1, ADD, priority=10,
// flags=SEND_FLOW_REM, match eth_type=0x800,ipv4_dst=10.0.0.0/24,
// apply(output:2), goto_table:3).
const char* kPyofFlowMod =
    "040e006800000007 0000000000001234 0000000000000000 01 00 0000 0000 000a ffffffff ffffffff"
    " ffffffff 0001 0000 0001001680000a020800800019080a000000ffffff000000"
    " 0004001800000000 00000010000000020000000000000000 0001000803000000";
// pyof: PacketOut(xid=9, in_port=CONTROLLER, actions=[output:TABLE], 42-byte ARP frame).
const char* kPyofPacketOut =
    "040d005200000009 ffffffff fffffffd 0010 000000000000 0000 0010 fffffff9 ffff 000000000000"
    " ffffffffffff001122334455080600000000000000000000000000000000000000000000000000000000";

TEST(OfMessages, DecodesPyofFlowMod) {
  const auto b = Hex(kPyofFlowMod);
  FlowMod fm;
  ASSERT_FALSE(DecodeFlowMod(b.data(), b.size(), &fm));
  EXPECT_EQ(fm.cookie, 0x1234u);
  EXPECT_EQ(fm.table_id, 1);
  EXPECT_EQ(fm.command, kAdd);
  EXPECT_EQ(fm.priority, 10);
  EXPECT_EQ(fm.flags, kSendFlowRem);
  EXPECT_EQ(fm.buffer_id, kNoBuffer);
  EXPECT_EQ(fm.match.Get(dp::Field::kNwDst), 0x0a000000u);
  ASSERT_EQ(fm.instructions.ins.apply.size(), 1u);
  EXPECT_EQ(fm.instructions.ins.apply[0].port, 2u);
  EXPECT_EQ(fm.instructions.ins.goto_table, 3);
}

TEST(OfMessages, DecodesPyofPacketOut) {
  const auto b = Hex(kPyofPacketOut);
  PacketOut po;
  ASSERT_FALSE(DecodePacketOut(b.data(), b.size(), &po));
  EXPECT_EQ(po.in_port, dp::kPortController);
  ASSERT_EQ(po.actions.size(), 1u);
  EXPECT_EQ(po.actions[0].port, dp::kPortTable);
  EXPECT_EQ(po.data_len, 42u);
  EXPECT_EQ(po.data[12], 0x08);
}

TEST(OfMessages, EncodesHelloErrorEchoAndBarrier) {
  std::vector<uint8_t> out;
  EncodeHello(out, 1);
  EXPECT_EQ(ToHex(out), "04000010000000010001000800000010");
  out.clear();
  std::vector<uint8_t> big(100, 0xab);
  EncodeError(out, 5, OfError{kBadRequest, bad_request::kBadType}, big.data(), big.size());
  EXPECT_EQ(out.size(), 12u + 64u);  // at least 64 bytes of the request, no more
  EXPECT_EQ(ToHex(std::vector<uint8_t>(out.begin(), out.begin() + 12)), "0401004c0000000500010001");
  out.clear();
  const uint8_t payload[] = {1, 2, 3};
  EncodeEcho(out, kEchoReply, 9, payload, 3);
  EXPECT_EQ(ToHex(out), "0403000b00000009010203");
  out.clear();
  EncodeSimple(out, kBarrierReply, 0x42);
  EXPECT_EQ(ToHex(out), "0415000800000042");
}

TEST(OfMessages, EncodesFeaturesConfigRoleAndAsync) {
  std::vector<uint8_t> out;
  EncodeFeaturesReply(out, 2, Features{0x0000aabbccddeeffull, 256, 255, 7});
  EXPECT_EQ(ToHex(out), "04060020000000020000aabbccddeeff00000100ff00000000000007""00000000");
  out.clear();
  EncodeGetConfigReply(out, 3, SwitchConfig{0, 128});
  EXPECT_EQ(ToHex(out), "0408000c0000000300000080");
  out.clear();
  EncodeRoleReply(out, 4, RoleRequest{kRoleMaster, 0x10});
  EXPECT_EQ(ToHex(out), "041900180000000400000002000000000000000000000010");
  out.clear();
  EncodeGetAsyncReply(out, 6, AsyncConfig{});
  EXPECT_EQ(ToHex(out), "041b002000000006" "0000000700000000" "0000000700000007" "0000000f00000000");
}

TEST(OfMessages, EncodesPacketInFlowRemovedAndPortStatus) {
  std::vector<uint8_t> out;
  PacketIn p;
  p.buffer_id = 17;
  p.total_len = 60;
  p.reason = kReasonAction;
  p.table_id = 2;
  p.cookie = 0xc0;
  p.match.Clear();
  p.mask.Clear();
  p.match.Set(dp::Field::kInPort, 3);
  p.mask.Set(dp::Field::kInPort, 0xffffffff);
  const uint8_t data[4] = {0xde, 0xad, 0xbe, 0xef};
  p.data = data;
  p.data_len = 4;
  EncodePacketIn(out, p);
  EXPECT_EQ(ToHex(out), "040a002e00000000" "00000011003c0102" "00000000000000c0" "0001000c8000000400000003"
                        "00000000" "0000" "deadbeef");
  PacketIn back;
  ASSERT_FALSE(DecodePacketIn(out.data(), out.size(), &back));
  EXPECT_EQ(back.match.Get(dp::Field::kInPort), 3u);
  EXPECT_EQ(back.data_len, 4u);
  out.clear();
  FlowRemoved f;
  f.cookie = 1;
  f.priority = 2;
  f.reason = kRemovedIdle;
  f.table_id = 0;
  f.duration_sec = 3;
  f.idle_timeout = 5;
  f.packet_count = 7;
  f.byte_count = 8;
  f.match.Clear();
  f.mask.Clear();
  EncodeFlowRemoved(out, f);
  EXPECT_EQ(ToHex(out), "040b003800000000" "0000000000000001" "0002" "00" "00" "00000003" "00000000" "0005" "0000"
                        "0000000000000007" "0000000000000008" "0001000400000000");
  out.clear();
  PortDesc d;
  d.port_no = 1;
  d.hw_addr = 0x0a0b0c0d0e0full;
  d.name = "vm1";
  d.state = kPortStateLive;
  EncodePortStatus(out, kPortAdd, d);
  ASSERT_EQ(out.size(), 80u);
  EXPECT_EQ(ToHex(std::vector<uint8_t>(out.begin(), out.begin() + 40)),
            "040c005000000000" "0000000000000000" "0000000100000000" "0a0b0c0d0e0f0000" "766d310000000000");
}

TEST(OfMessages, MultipartRepliesSplitWithReplyMore) {
  std::vector<uint8_t> out;
  MultipartReply reply(out, kMpPortStats, 77);
  for (int i = 0; i < 1000; ++i) {  // 112 bytes each: more than one message
    PortStats s;
    s.port_no = static_cast<uint32_t>(i + 1);
    EncodePortStats(reply.item(), s);
    reply.EndItem();
  }
  reply.Finish();
  size_t off = 0, messages = 0, items = 0;
  while (off < out.size()) {
    const Header h = ParseHeader(out.data() + off);
    ASSERT_EQ(h.type, kMultipartReply);
    ASSERT_EQ(h.xid, 77u);
    ASSERT_LE(off + h.length, out.size());
    const uint16_t flags = static_cast<uint16_t>(out[off + 10] << 8 | out[off + 11]);
    items += (h.length - 16u) / 112u;
    ++messages;
    off += h.length;
    EXPECT_EQ(flags, off < out.size() ? kMpReplyMore : 0) << "message " << messages;
  }
  EXPECT_EQ(items, 1000u);
  EXPECT_EQ(messages, 2u);
}

TEST(OfMessages, DecodesRequests) {
  Hello hello;
  auto b = Hex("04000010000000010001000800000012");  // bitmap: 1.0 and 1.3
  ASSERT_FALSE(DecodeHello(b.data(), b.size(), &hello));
  EXPECT_EQ(hello.versions, 0x12u);
  b = Hex("0400000800000001");  // no bitmap: every version up to 1.3
  ASSERT_FALSE(DecodeHello(b.data(), b.size(), &hello));
  EXPECT_EQ(hello.versions, 0x1eu);
  SwitchConfig cfg;
  b = Hex("0409000c0000000200000400");
  ASSERT_FALSE(DecodeSetConfig(b.data(), b.size(), &cfg));
  EXPECT_EQ(cfg.miss_send_len, 0x400);
  MultipartRequest mp;
  b = Hex("0412003800000003 0002 0000 00000000" "ff000000 00000002 ffffffff 00000000 0000000000000005"
          "00000000000000ff 0001000400000000");
  ASSERT_FALSE(DecodeMultipartRequest(b.data(), b.size(), &mp));
  EXPECT_EQ(mp.type, kMpAggregate);
  EXPECT_EQ(mp.flow.out_port, 2u);
  EXPECT_EQ(mp.flow.cookie_mask, 0xffu);
  b = Hex("0412001800000003 0004 0000 00000000 00000007 00000000");
  ASSERT_FALSE(DecodeMultipartRequest(b.data(), b.size(), &mp));
  EXPECT_EQ(mp.port_no, 7u);
  RoleRequest role;
  b = Hex("041800180000000400000002000000000000000000000009");
  ASSERT_FALSE(DecodeRoleRequest(b.data(), b.size(), &role));
  EXPECT_EQ(role.role, kRoleMaster);
  EXPECT_EQ(role.generation_id, 9u);
  AsyncConfig async;
  b = Hex("041c002000000005" "0000000100000002" "0000000300000004" "0000000500000006");
  ASSERT_FALSE(DecodeSetAsync(b.data(), b.size(), &async));
  EXPECT_EQ(async.packet_in[1], 2u);
  EXPECT_EQ(async.flow_removed[0], 5u);
  PortMod pm;
  b = Hex("0410002800000006 00000002 00000000 0a0b0c0d0e0f 0000 00000001 00000001 00000000 00000000");
  ASSERT_FALSE(DecodePortMod(b.data(), b.size(), &pm));
  EXPECT_EQ(pm.port_no, 2u);
  EXPECT_EQ(pm.hw_addr, 0x0a0b0c0d0e0full);
  EXPECT_EQ(pm.config, kPortConfigDown);
  TableMod tm;
  b = Hex("0411001000000007 ff000000 00000003");
  ASSERT_FALSE(DecodeTableMod(b.data(), b.size(), &tm));
  EXPECT_EQ(tm.table_id, kTableAll);
}

// Replaces bytes at offset in a copy of the pyof flow-mod.
std::vector<uint8_t> PatchedFlowMod(size_t offset, const std::string& hex) {
  auto b = Hex(kPyofFlowMod);
  const auto p = Hex(hex);
  std::copy(p.begin(), p.end(), b.begin() + static_cast<std::ptrdiff_t>(offset));
  return b;
}

std::optional<OfError> FlowModError(const std::vector<uint8_t>& b) {
  FlowMod fm;
  return DecodeFlowMod(b.data(), b.size(), &fm);
}

// The instructions of the pyof flow-mod replaced by hex (length fixed).
std::vector<uint8_t> WithInstructions(const std::string& hex) {
  auto b = Hex(kPyofFlowMod);
  b.resize(48 + 24);  // fixed part and the match
  for (uint8_t x : Hex(hex)) b.push_back(x);
  return Fix(b);
}

TEST(OfMessages, MalformedFlowModsGetTheSpecCodes) {
  EXPECT_EQ(FlowModError(Hex("040e000800000001")), (OfError{kBadRequest, bad_request::kBadLen}));
  EXPECT_EQ(FlowModError(PatchedFlowMod(25, "07")), (OfError{kFlowModFailed, flow_mod_failed::kBadCommand}));
  EXPECT_EQ(FlowModError(PatchedFlowMod(24, "ff")), (OfError{kFlowModFailed, flow_mod_failed::kBadTableId}));
  EXPECT_EQ(FlowModError(PatchedFlowMod(44, "0080")), (OfError{kFlowModFailed, flow_mod_failed::kBadFlags}));
  EXPECT_EQ(FlowModError(PatchedFlowMod(48, "0000")), (OfError{kBadMatch, bad_match::kBadType}));
  auto e = [](const std::string& ins) { return FlowModError(WithInstructions(ins)); };
  const OfError bad_len{kBadAction, bad_action::kBadLen};
  // Output action of length 12 (not a multiple of 8, and not 16).
  EXPECT_EQ(e("0004 0018 00000000 0000000c 00000002 00000000 00000000"), bad_len);
  // Output to port 0, to OFPP_ANY and to OFPP_TABLE (packet-out only).
  EXPECT_EQ(e("0004 0018 00000000 0000 0010 00000000 0000 000000000000"), (OfError{kBadAction, bad_action::kBadOutPort}));
  EXPECT_EQ(e("0004 0018 00000000 0000 0010 ffffffff 0000 000000000000"), (OfError{kBadAction, bad_action::kBadOutPort}));
  EXPECT_EQ(e("0004 0018 00000000 0000 0010 fffffff9 0000 000000000000"), (OfError{kBadAction, bad_action::kBadOutPort}));
  // PUSH_MPLS (unsupported), PUSH_VLAN with a bad ethertype, GROUP beyond
  // OFPG_MAX (an unknown but valid id is the handler's check), SET_QUEUE.
  EXPECT_EQ(e("0004 0010 00000000 0013 0008 8847 0000"), (OfError{kBadAction, bad_action::kBadType}));
  EXPECT_EQ(e("0004 0010 00000000 0011 0008 0800 0000"), (OfError{kBadAction, bad_action::kBadArgument}));
  EXPECT_EQ(e("0004 0010 00000000 0016 0008 ffffff01"), (OfError{kBadAction, bad_action::kBadOutGroup}));
  EXPECT_EQ(e("0004 0010 00000000 0015 0008 00000001"), (OfError{kBadAction, bad_action::kBadQueue}));
  EXPECT_EQ(e("0004 0018 00000000 ffff 0010 00002320 0000000000000000"), (OfError{kBadAction, bad_action::kBadExperimenter}));
  // Set-field TCP_DST on a flow that matches IPv4 but no transport protocol.
  EXPECT_EQ(e("0004 0018 00000000 0019 0010 80001c02 0050 000000000000"),
            (OfError{kBadAction, bad_action::kMatchInconsistent}));
  // Instructions: unknown type, duplicate, goto backwards, bad length, experimenter.
  EXPECT_EQ(e("0007 0008 00000000"), (OfError{kBadInstruction, bad_instruction::kUnknownInst}));
  EXPECT_EQ(e("0005 0008 00000000 0005 0008 00000000"), (OfError{kBadInstruction, bad_instruction::kDupInst}));
  EXPECT_EQ(e("0001 0008 00000000"), (OfError{kBadInstruction, bad_instruction::kBadTableId}));
  EXPECT_EQ(e("0001 0010 03000000 00000000"), (OfError{kBadInstruction, bad_instruction::kBadLen}));
  EXPECT_EQ(e("0001 000c 03000000"), (OfError{kBadInstruction, bad_instruction::kBadLen}));
  EXPECT_EQ(e("ffff 0008 00002320"), (OfError{kBadInstruction, bad_instruction::kBadExperimenter}));
}

TEST(OfMessages, MalformedRequestsGetTheSpecCodes) {
  const OfError bad_len{kBadRequest, bad_request::kBadLen};
  MultipartRequest mp;
  auto b = Hex("041200100000000300140000 00000000");  // multipart type 20: unknown
  EXPECT_EQ(DecodeMultipartRequest(b.data(), b.size(), &mp), (OfError{kBadRequest, bad_request::kBadMultipart}));
  b = Hex("04120018000000030000000000000000 0000000000000000");  // DESC with a body
  EXPECT_EQ(DecodeMultipartRequest(b.data(), b.size(), &mp), bad_len);
  b = Hex("0412001000000003ffff000000000000");
  EXPECT_EQ(DecodeMultipartRequest(b.data(), b.size(), &mp), (OfError{kBadRequest, bad_request::kBadExperimenter}));
  b = Hex("0412001800000003 0004 0000 00000000 00000000 00000000");  // port stats for port 0
  EXPECT_EQ(DecodeMultipartRequest(b.data(), b.size(), &mp), (OfError{kBadRequest, bad_request::kBadPort}));
  RoleRequest role;
  b = Hex("041800180000000400000005000000000000000000000009");
  EXPECT_EQ(DecodeRoleRequest(b.data(), b.size(), &role), (OfError{kRoleRequestFailed, role_failed::kBadRole}));
  PortMod pm;
  b = Hex("0410002800000006 00000002 00000000 0a0b0c0d0e0f 0000 00000100 00000100 00000000 00000000");
  EXPECT_EQ(DecodePortMod(b.data(), b.size(), &pm), (OfError{kPortModFailed, port_mod_failed::kBadConfig}));
  TableMod tm;
  b = Hex("0411001000000007 01000000 00000010");
  EXPECT_EQ(DecodeTableMod(b.data(), b.size(), &tm), (OfError{kTableModFailed, table_mod_failed::kBadConfig}));
  SwitchConfig cfg;
  b = Hex("0409000e000000020000008000");
  EXPECT_EQ(DecodeSetConfig(b.data(), b.size(), &cfg), bad_len);
  PacketOut po;
  b = Hex("040d001800000009 ffffffff 00000000 0000 000000000000");  // in_port 0
  EXPECT_EQ(DecodePacketOut(b.data(), b.size(), &po), (OfError{kBadRequest, bad_request::kBadPort}));
  b = Hex("040d001800000009 ffffffff fffffffd 0010 000000000000");  // actions_len past the end
  EXPECT_EQ(DecodePacketOut(b.data(), b.size(), &po), bad_len);
}

TEST(OfMessages, EveryTruncationOfEveryRequestIsRejectedSafely) {
  const std::vector<std::vector<uint8_t>> msgs = {Hex(kPyofFlowMod), Hex(kPyofPacketOut)};
  for (const auto& full : msgs) {
    for (size_t n = kHeaderLen; n < full.size(); ++n) {
      auto cut = Fix(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
      FlowMod fm;
      PacketOut po;
      if (full[1] == kFlowMod) {
        // Cut between two instructions (after the match or the apply-actions),
        // it is a shorter but valid flow-mod.
        const bool boundary = n == 72 || n == 96;
        EXPECT_EQ(!DecodeFlowMod(cut.data(), cut.size(), &fm), boundary) << "flow-mod cut to " << n;
      } else if (n < 40) {  // inside the actions; beyond, a shorter packet is still valid
        EXPECT_TRUE(DecodePacketOut(cut.data(), cut.size(), &po)) << "packet-out cut to " << n;
      }
    }
  }
}

TEST(OfActions, InstructionsRoundTripThroughTheFlowParser) {
  const char* flows[] = {
      "ip,actions=mod_nw_dst:10.0.0.9,mod_dl_src:00:11:22:33:44:55,dec_ttl,output:3",
      "tcp,actions=mod_tp_dst:8080,mod_nw_tos:40,push_vlan:0x8100,mod_vlan_vid:7,mod_vlan_pcp:3,output:1",
      "ipv6,actions=set_field:2001:db8::9->ipv6_dst,output:in_port",
      "actions=pop_vlan,output:flood,output:all,output:normal,controller:128",
      "arp,actions=write_actions(output:2),clear_actions,write_metadata:0x5/0xf,goto_table:4",
      "actions=set_field:0x77->tun_id,mod_nw_ttl:9,output:2",
  };
  for (const char* text : flows) {
    auto rule = ctl::ParseFlow(text);
    ASSERT_TRUE(rule.ok()) << text << ": " << rule.error();
    std::vector<uint8_t> out;
    Writer w(out);
    EncodeInstructions(w, rule->instructions, rule->match);
    DecodedInstructions back;
    ActionContext ctx{&rule->match, &rule->mask, false};
    auto e = DecodeInstructions(Reader(out.data(), out.size()), 0, ctx, &back);
    ASSERT_FALSE(e) << text << ": type " << e->type << " code " << e->code << " " << ToHex(out);
    EXPECT_TRUE(back.ins == rule->instructions) << text << "\n  got: " << ctl::FormatFlow([&] {
      dp::FlowRule r = *rule;
      r.instructions = back.ins;
      return r;
    }());
  }
}

}  // namespace
}  // namespace hashi::of
