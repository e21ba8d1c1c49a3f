// Action and instruction codec (OpenFlow 1.3.5 sections 7.2.4 and 7.2.5).
#include "control/openflow/actions.h"

#include "control/openflow/match.h"

namespace hashi::of {
namespace {

using dp::Action;
using dp::ActionType;
using dp::Field;

enum ActionCode : uint16_t {
  kOutput = 0, kCopyTtlOut = 11, kCopyTtlIn = 12, kSetMplsTtl = 15, kDecMplsTtl = 16,
  kPushVlan = 17, kPopVlan = 18, kPushMpls = 19, kPopMpls = 20, kSetQueue = 21, kGroup = 22,
  kSetNwTtl = 23, kDecNwTtl = 24, kSetField = 25, kPushPbb = 26, kPopPbb = 27,
  kActionExperimenter = 0xffff,
};
enum InstructionCode : uint16_t {
  kGotoTable = 1, kWriteMetadata = 2, kWriteActions = 3, kApplyActions = 4, kClearActions = 5,
  kMeter = 6, kInstructionExperimenter = 0xffff,
};
constexpr size_t kMaxActions = 64;

OfError ActErr(uint16_t code) { return OfError{kBadAction, code}; }
OfError InsErr(uint16_t code) { return OfError{kBadInstruction, code}; }

bool ValidOutputPort(uint32_t port, bool packet_out) {
  if (port == 0) return false;
  if (port <= dp::kPortMax) return true;
  switch (port) {
    case dp::kPortInPort: case dp::kPortNormal: case dp::kPortFlood: case dp::kPortAll:
    case dp::kPortController: case dp::kPortLocal:
      return true;
    case dp::kPortTable:
      return packet_out;
    default:
      return false;
  }
}

std::optional<OfError> DecodeOne(uint16_t type, Reader body, const ActionContext& ctx,
                                 std::vector<Action>* out) {
  Action a;
  switch (type) {
    case kOutput: {
      if (body.remaining() != 12) return ActErr(bad_action::kBadLen);
      a.type = ActionType::kOutput;
      a.port = body.U32();
      a.value = body.U16();
      if (!ValidOutputPort(a.port, ctx.packet_out)) return ActErr(bad_action::kBadOutPort);
      out->push_back(a);
      return std::nullopt;
    }
    case kPushVlan: {
      if (body.remaining() != 4) return ActErr(bad_action::kBadLen);
      a.type = ActionType::kPushVlan;
      a.ethertype = body.U16();
      if (a.ethertype != 0x8100 && a.ethertype != 0x88a8) return ActErr(bad_action::kBadArgument);
      out->push_back(a);
      return std::nullopt;
    }
    case kPopVlan:
    case kDecNwTtl:
      if (body.remaining() != 4) return ActErr(bad_action::kBadLen);
      a.type = type == kPopVlan ? ActionType::kPopVlan : ActionType::kDecTtl;
      out->push_back(a);
      return std::nullopt;
    case kSetNwTtl:
      if (body.remaining() != 4) return ActErr(bad_action::kBadLen);
      a.type = ActionType::kSetField;
      a.field = Field::kIpTtl;
      a.value = body.U8();
      a.mask = 0xff;
      out->push_back(a);
      return std::nullopt;
    case kSetField:
      return DecodeSetField(body, ctx.match, ctx.mask, out);
    case kGroup:
      // Whether the group exists is the handler's check (OFPBAC_BAD_OUT_GROUP).
      if (body.remaining() != 4) return ActErr(bad_action::kBadLen);
      a.type = ActionType::kGroup;
      a.port = body.U32();
      if (a.port > kGroupMax) return ActErr(bad_action::kBadOutGroup);
      out->push_back(a);
      return std::nullopt;
    case kSetQueue:
      if (body.remaining() != 4) return ActErr(bad_action::kBadLen);
      return ActErr(bad_action::kBadQueue);  // no queues are configured
    case kActionExperimenter:
      return ActErr(bad_action::kBadExperimenter);
    default:
      return ActErr(bad_action::kBadType);  // MPLS, PBB, TTL copies and unknown types
  }
}

}  // namespace

std::optional<OfError> DecodeActions(Reader r, const ActionContext& ctx, std::vector<Action>* out) {
  size_t count = 0;
  while (r.remaining() > 0) {
    if (!r.Has(4)) return ActErr(bad_action::kBadLen);
    const uint16_t type = r.U16();
    const uint16_t len = r.U16();
    if (len < 8 || len % 8 != 0 || !r.Has(len - 4u)) return ActErr(bad_action::kBadLen);
    if (++count > kMaxActions) return ActErr(bad_action::kTooMany);
    if (auto e = DecodeOne(type, r.Sub(len - 4u), ctx, out)) return e;
  }
  return std::nullopt;
}

std::optional<OfError> DecodeInstructions(Reader r, uint8_t table_id, const ActionContext& ctx,
                                          DecodedInstructions* out) {
  bool seen[8] = {};
  while (r.remaining() > 0) {
    if (!r.Has(4)) return InsErr(bad_instruction::kBadLen);
    const uint16_t type = r.U16();
    const uint16_t len = r.U16();
    if (len < 8 || len % 8 != 0 || !r.Has(len - 4u)) return InsErr(bad_instruction::kBadLen);
    Reader body = r.Sub(len - 4u);
    if (type == kInstructionExperimenter) return InsErr(bad_instruction::kBadExperimenter);
    if (type < kGotoTable || type > kMeter) return InsErr(bad_instruction::kUnknownInst);
    if (seen[type]) return InsErr(bad_instruction::kDupInst);
    seen[type] = true;
    switch (type) {
      case kGotoTable: {
        if (len != 8) return InsErr(bad_instruction::kBadLen);
        const uint8_t t = body.U8();
        if (t >= dp::kMaxTables || t <= table_id) return InsErr(bad_instruction::kBadTableId);
        out->ins.goto_table = t;
        break;
      }
      case kWriteMetadata:
        if (len != 24) return InsErr(bad_instruction::kBadLen);
        body.Skip(4);
        out->ins.write_metadata = true;
        out->ins.metadata_value = body.U64();
        out->ins.metadata_mask = body.U64();
        out->ins.metadata_value &= out->ins.metadata_mask;
        break;
      case kWriteActions:
      case kApplyActions: {
        body.Skip(4);
        auto& list = type == kApplyActions ? out->ins.apply : out->ins.write;
        if (auto e = DecodeActions(body.Sub(body.remaining()), ctx, &list)) return e;
        break;
      }
      case kClearActions:
        if (len != 8) return InsErr(bad_instruction::kBadLen);
        out->ins.clear_actions = true;
        break;
      case kMeter:
        if (len != 8) return InsErr(bad_instruction::kBadLen);
        out->meter_id = body.U32();
        out->ins.meter_id = out->meter_id;
        break;
    }
  }
  return std::nullopt;
}

namespace {

void WriteSetField(Writer& w, const std::vector<Action>& list, size_t* i, const dp::FlowKey& match) {
  const Action& a = list[*i];
  const size_t start = w.size();
  w.U16(kSetField);
  w.U16(0);
  const bool ipv6 = a.field == Field::kIpv6SrcHi || a.field == Field::kIpv6DstHi;
  if (a.field == Field::kIpTtl) {  // SET_NW_TTL is the 1.3 form
    w.buffer().resize(start);
    w.U16(kSetNwTtl);
    w.U16(8);
    w.U8(static_cast<uint8_t>(a.value));
    w.Zeros(3);
    return;
  }
  if (ipv6) {
    const Field lo = a.field == Field::kIpv6SrcHi ? Field::kIpv6SrcLo : Field::kIpv6DstLo;
    uint64_t low = 0;
    if (*i + 1 < list.size() && list[*i + 1].type == ActionType::kSetField && list[*i + 1].field == lo) {
      low = list[*i + 1].value;
      ++*i;
    }
    w.U16(0x8000);
    w.U8(a.field == Field::kIpv6SrcHi ? 26 << 1 : 27 << 1);
    w.U8(16);
    w.U64(a.value);
    w.U64(low);
  } else if (!EncodeSetFieldOxm(w, a.field, a.value, a.mask, match)) {
    w.buffer().resize(start);  // no OpenFlow form: leave it out
    return;
  }
  w.PadTo8(start);
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
}

}  // namespace

void EncodeActions(Writer& w, const std::vector<Action>& actions, const dp::FlowKey& match) {
  for (size_t i = 0; i < actions.size(); ++i) {
    const Action& a = actions[i];
    switch (a.type) {
      case ActionType::kOutput:
        w.U16(kOutput);
        w.U16(16);
        w.U32(a.port);
        w.U16(static_cast<uint16_t>(a.value));  // max_len (only CONTROLLER uses it)
        w.Zeros(6);
        break;
      case ActionType::kPushVlan:
        w.U16(kPushVlan);
        w.U16(8);
        w.U16(a.ethertype);
        w.Zeros(2);
        break;
      case ActionType::kPopVlan:
      case ActionType::kDecTtl:
        w.U16(a.type == ActionType::kPopVlan ? kPopVlan : kDecNwTtl);
        w.U16(8);
        w.Zeros(4);
        break;
      case ActionType::kSetField:
        WriteSetField(w, actions, &i, match);
        break;
      case ActionType::kGroup:
        w.U16(kGroup);
        w.U16(8);
        w.U32(a.port);
        break;
      case ActionType::kMeter:
        break;  // the meter instruction, encoded by EncodeInstructions
    }
  }
}

void EncodeInstructions(Writer& w, const dp::Instructions& ins, const dp::FlowKey& match) {
  if (ins.meter_id != 0) {
    w.U16(kMeter);
    w.U16(8);
    w.U32(ins.meter_id);
  }
  auto list = [&](uint16_t type, const std::vector<Action>& actions) {
    const size_t start = w.size();
    w.U16(type);
    w.U16(0);
    w.Zeros(4);
    EncodeActions(w, actions, match);
    w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  };
  if (!ins.apply.empty()) list(kApplyActions, ins.apply);
  if (ins.clear_actions) {
    w.U16(kClearActions);
    w.U16(8);
    w.Zeros(4);
  }
  if (!ins.write.empty()) list(kWriteActions, ins.write);
  if (ins.write_metadata) {
    w.U16(kWriteMetadata);
    w.U16(24);
    w.Zeros(4);
    w.U64(ins.metadata_value);
    w.U64(ins.metadata_mask);
  }
  if (ins.goto_table != dp::kNoGoto) {
    w.U16(kGotoTable);
    w.U16(8);
    w.U8(ins.goto_table);
    w.Zeros(3);
  }
}

}  // namespace hashi::of
