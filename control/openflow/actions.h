// OpenFlow 1.3 action lists and instructions to and from hashi's Action and
// Instructions. Decoding validates lengths, ports, ethertypes and set-field
// targets with the spec's OFPET_BAD_ACTION / OFPET_BAD_INSTRUCTION codes, and
// checks set-field prerequisites against the flow's match
// (OFPBAC_MATCH_INCONSISTENT), as Open vSwitch does. Pure functions.
#pragma once

#include <optional>
#include <vector>

#include "control/openflow/wire.h"
#include "dataplane/flow_rule.h"

namespace hashi::of {

struct ActionContext {
  // The flow's match, for set-field prerequisites (empty for packet-out).
  const dp::FlowKey* match = nullptr;
  const dp::FlowKey* mask = nullptr;
  bool packet_out = false;  // OFPP_TABLE is only valid in a packet-out
};

// Decodes exactly len bytes of ofp_action TLVs from r, appending to out.
std::optional<OfError> DecodeActions(Reader r, const ActionContext& ctx, std::vector<dp::Action>* out);

struct DecodedInstructions {
  dp::Instructions ins;
  uint32_t meter_id = 0;  // OFPIT_METER (0: none); also in ins.meter_id
};

// Decodes the instruction list that fills the rest of r; table_id is the
// flow's table (goto must go forward).
std::optional<OfError> DecodeInstructions(Reader r, uint8_t table_id, const ActionContext& ctx,
                                          DecodedInstructions* out);

void EncodeActions(Writer& w, const std::vector<dp::Action>& actions, const dp::FlowKey& match);
void EncodeInstructions(Writer& w, const dp::Instructions& ins, const dp::FlowKey& match);

}  // namespace hashi::of
