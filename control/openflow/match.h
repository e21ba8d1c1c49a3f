// OpenFlow 1.3 matches (ofp_match with OXM TLVs) to and from hashi's
// FlowKey/mask pair. Decoding checks everything the spec asks for: lengths,
// duplicate fields, masks on fields that take none, value bits outside the
// mask, out-of-range values and prerequisites, each with the spec's
// OFPET_BAD_MATCH code. Besides the OpenFlow basic class it reads the few
// Nicira/ONF fields that ovs-ofctl uses under OpenFlow 1.3 for what OXM 1.3
// lacks (tcp_flags, ip_frag, nw_ttl). Pure functions: no I/O, no DPDK.
#pragma once

#include <optional>

#include "control/openflow/wire.h"
#include <vector>

#include "dataplane/flow_key.h"
#include "dataplane/flow_rule.h"

namespace hashi::of {

// Reads one ofp_match (with its trailing padding) from r into match/mask
// (match already masked). Returns the error to send, or nothing.
std::optional<OfError> DecodeMatch(Reader& r, dp::FlowKey* match, dp::FlowKey* mask);

// Reads a bare OXM TLV list (as in set-field) of exactly len bytes.
std::optional<OfError> DecodeOxmList(Reader r, dp::FlowKey* match, dp::FlowKey* mask,
                                     bool check_prerequisites);

// Decodes the OXM TLV of a set-field action (r holds the TLV and the action's
// zero padding) into one Action, or two for an IPv6 address. When match is
// given, the field's prerequisites must hold in it. Errors are OFPET_BAD_ACTION.
std::optional<OfError> DecodeSetField(Reader r, const dp::FlowKey* match, const dp::FlowKey* mask,
                                      std::vector<dp::Action>* out);

// Appends an ofp_match (header, OXM TLVs, padding to 8) for match/mask.
void EncodeMatch(Writer& w, const dp::FlowKey& match, const dp::FlowKey& mask);

// Appends the OXM TLV(s) that set field to value (for a set-field action);
// returns false when the field has no OXM form.
bool EncodeSetFieldOxm(Writer& w, dp::Field field, uint64_t value, uint64_t mask,
                       const dp::FlowKey& context_match);

// OXM headers (class, field, hasmask, length) of the fields hashi matches
// (or, with settable, can set), for table features. maskable_only lists the
// maskable ones (OFPTFPT_WILDCARDS).
std::vector<uint32_t> OxmHeaders(bool settable, bool maskable_only);

// Checks OpenFlow's prerequisites (Table 12 of the 1.3.5 spec) on a match.
std::optional<OfError> CheckPrerequisites(const dp::FlowKey& match, const dp::FlowKey& mask);

}  // namespace hashi::of
