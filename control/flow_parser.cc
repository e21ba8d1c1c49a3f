// ovs-ofctl flow syntax: tokenizer, match fields with prerequisites, actions
// and instructions, and the reverse rendering used by dump-flows.
#include "control/flow_parser.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "dataplane/packet_parser.h"

namespace hashi::ctl {
namespace {

using dp::Action;
using dp::ActionType;
using dp::Field;
using dp::FlowRule;

Status Err(const std::string& m) { return Status::Error(m); }

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Splits on commas (and whitespace when ws_too) outside parentheses.
std::vector<std::string> SplitTop(const std::string& s, bool ws_too) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (depth == 0 && (c == ',' || (ws_too && (c == ' ' || c == '\t')))) {
      if (!Trim(cur).empty()) out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty()) out.push_back(Trim(cur));
  return out;
}

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || s[0] == '-') return false;
  *out = v;
  return true;
}

bool ParseMac(const std::string& s, uint64_t* out) {
  unsigned b[6];
  char extra;
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &extra) != 6) {
    return false;
  }
  uint64_t v = 0;
  for (unsigned x : b) {
    if (x > 0xff) return false;
    v = v << 8 | x;
  }
  *out = v;
  return true;
}

bool ParseIpv4(const std::string& s, uint32_t* out) {
  in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

enum class Kind { kNumber, kMac, kIpv4, kIpv6 };

// Parses "VALUE[/MASK]" of the given kind into value and mask of width bits.
Status ParseValueMask(const std::string& name, const std::string& text, Kind kind, int bits,
                      uint64_t* value, uint64_t* mask, uint64_t* value2 = nullptr,
                      uint64_t* mask2 = nullptr) {
  const size_t slash = text.find('/');
  const std::string v = text.substr(0, slash);
  const std::string m = slash == std::string::npos ? "" : text.substr(slash + 1);
  const uint64_t full = bits == 64 ? ~0ull : ((1ull << bits) - 1);
  const std::string bad = "bad value '" + text + "' for " + name;
  switch (kind) {
    case Kind::kNumber:
      if (!ParseU64(v, value) || (*value & ~full)) return Err(bad);
      *mask = full;
      if (!m.empty() && (!ParseU64(m, mask) || (*mask & ~full))) return Err(bad);
      return Status::Ok();
    case Kind::kMac:
      if (!ParseMac(v, value)) return Err(bad + " (expected xx:xx:xx:xx:xx:xx)");
      *mask = full;
      if (!m.empty() && !ParseMac(m, mask)) return Err(bad);
      return Status::Ok();
    case Kind::kIpv4: {
      uint32_t a;
      if (!ParseIpv4(v, &a)) return Err(bad + " (expected a.b.c.d[/prefix])");
      *value = a;
      *mask = 0xffffffffu;
      if (!m.empty()) {
        uint32_t dotted;
        uint64_t prefix;
        if (ParseIpv4(m, &dotted)) {
          *mask = dotted;
        } else if (ParseU64(m, &prefix) && prefix <= 32) {
          *mask = prefix == 0 ? 0 : (0xffffffffu << (32 - prefix)) & 0xffffffffu;
        } else {
          return Err(bad);
        }
      }
      return Status::Ok();
    }
    case Kind::kIpv6: {
      in6_addr a;
      if (inet_pton(AF_INET6, v.c_str(), &a) != 1) return Err(bad + " (expected an IPv6 address)");
      uint64_t hi = 0, lo = 0;
      for (int i = 0; i < 8; ++i) hi = hi << 8 | a.s6_addr[i];
      for (int i = 8; i < 16; ++i) lo = lo << 8 | a.s6_addr[i];
      uint64_t prefix = 128;
      if (!m.empty() && (!ParseU64(m, &prefix) || prefix > 128)) return Err(bad);
      const uint64_t mhi = prefix >= 64 ? ~0ull : (prefix == 0 ? 0 : ~0ull << (64 - prefix));
      const uint64_t mlo = prefix <= 64 ? 0 : (prefix == 128 ? ~0ull : ~0ull << (128 - prefix));
      *value = hi;
      *mask = mhi;
      *value2 = lo;
      *mask2 = mlo;
      return Status::Ok();
    }
  }
  return Err(bad);
}

struct FieldSpec {
  const char* name;
  Field field;
  Kind kind;
  int bits;
  int shift;  // value is shifted left into the field (ip_dscp, vlan pcp)
};

// Match-field names and aliases understood by both match and set_field.
constexpr FieldSpec kFields[] = {
    {"in_port", Field::kInPort, Kind::kNumber, 32, 0},
    {"dl_src", Field::kEthSrc, Kind::kMac, 48, 0},
    {"eth_src", Field::kEthSrc, Kind::kMac, 48, 0},
    {"dl_dst", Field::kEthDst, Kind::kMac, 48, 0},
    {"eth_dst", Field::kEthDst, Kind::kMac, 48, 0},
    {"dl_type", Field::kEthType, Kind::kNumber, 16, 0},
    {"eth_type", Field::kEthType, Kind::kNumber, 16, 0},
    {"vlan_tci", Field::kVlanTci, Kind::kNumber, 16, 0},
    {"nw_src", Field::kNwSrc, Kind::kIpv4, 32, 0},
    {"ip_src", Field::kNwSrc, Kind::kIpv4, 32, 0},
    {"arp_spa", Field::kNwSrc, Kind::kIpv4, 32, 0},
    {"nw_dst", Field::kNwDst, Kind::kIpv4, 32, 0},
    {"ip_dst", Field::kNwDst, Kind::kIpv4, 32, 0},
    {"arp_tpa", Field::kNwDst, Kind::kIpv4, 32, 0},
    {"nw_proto", Field::kIpProto, Kind::kNumber, 8, 0},
    {"ip_proto", Field::kIpProto, Kind::kNumber, 8, 0},
    {"nw_ttl", Field::kIpTtl, Kind::kNumber, 8, 0},
    {"tp_src", Field::kTpSrc, Kind::kNumber, 16, 0},
    {"tcp_src", Field::kTpSrc, Kind::kNumber, 16, 0},
    {"udp_src", Field::kTpSrc, Kind::kNumber, 16, 0},
    {"sctp_src", Field::kTpSrc, Kind::kNumber, 16, 0},
    {"tp_dst", Field::kTpDst, Kind::kNumber, 16, 0},
    {"tcp_dst", Field::kTpDst, Kind::kNumber, 16, 0},
    {"udp_dst", Field::kTpDst, Kind::kNumber, 16, 0},
    {"sctp_dst", Field::kTpDst, Kind::kNumber, 16, 0},
    {"icmp_type", Field::kTpSrc, Kind::kNumber, 8, 0},
    {"icmpv6_type", Field::kTpSrc, Kind::kNumber, 8, 0},
    {"icmp_code", Field::kTpDst, Kind::kNumber, 8, 0},
    {"icmpv6_code", Field::kTpDst, Kind::kNumber, 8, 0},
    {"tcp_flags", Field::kTcpFlags, Kind::kNumber, 12, 0},
    {"arp_op", Field::kArpOp, Kind::kNumber, 16, 0},
    {"arp_sha", Field::kArpSha, Kind::kMac, 48, 0},
    {"arp_tha", Field::kArpTha, Kind::kMac, 48, 0},
    {"ipv6_label", Field::kIpv6Label, Kind::kNumber, 20, 0},
    {"metadata", Field::kMetadata, Kind::kNumber, 64, 0},
    {"tun_id", Field::kTunnelId, Kind::kNumber, 64, 0},
    {"tunnel_id", Field::kTunnelId, Kind::kNumber, 64, 0},
    {"ip_dscp", Field::kIpTos, Kind::kNumber, 6, 2},
    {"nw_ecn", Field::kIpTos, Kind::kNumber, 2, 0},
    {"ip_ecn", Field::kIpTos, Kind::kNumber, 2, 0},
    {"vlan_pcp", Field::kVlanTci, Kind::kNumber, 3, 13},
    {"dl_vlan_pcp", Field::kVlanTci, Kind::kNumber, 3, 13},
};

void SetMasked(FlowRule& r, Field f, uint64_t v, uint64_t m) {
  r.mask.Set(f, r.mask.Get(f) | m);
  r.match.Set(f, (r.match.Get(f) & ~m) | (v & m));
}

// Parses one NAME=VALUE match assignment into r.
Status ParseMatchField(const std::string& name, const std::string& value, FlowRule& r) {
  uint64_t v = 0, m = 0, v2 = 0, m2 = 0;
  if (name == "ipv6_src" || name == "ipv6_dst") {
    HASHI_RETURN_IF_ERROR(ParseValueMask(name, value, Kind::kIpv6, 64, &v, &m, &v2, &m2));
    const bool src = name == "ipv6_src";
    SetMasked(r, src ? Field::kIpv6SrcHi : Field::kIpv6DstHi, v, m);
    SetMasked(r, src ? Field::kIpv6SrcLo : Field::kIpv6DstLo, v2, m2);
    return Status::Ok();
  }
  if (name == "dl_vlan" || name == "vlan_vid") {
    HASHI_RETURN_IF_ERROR(ParseValueMask(name, value, Kind::kNumber, 16, &v, &m));
    if (v == 0xffff) {  // ovs-ofctl: no VLAN tag
      SetMasked(r, Field::kVlanTci, 0, 0xffff);
    } else if (v > dp::kVlanVidMask) {
      return Err("bad value '" + value + "' for " + name + " (0..4095, or 0xffff for untagged)");
    } else {
      SetMasked(r, Field::kVlanTci, v | dp::kVlanPresent, dp::kVlanVidMask | dp::kVlanPresent);
    }
    return Status::Ok();
  }
  if (name == "nw_tos") {
    HASHI_RETURN_IF_ERROR(ParseValueMask(name, value, Kind::kNumber, 8, &v, &m));
    SetMasked(r, Field::kIpTos, v & 0xfc, 0xfc);
    return Status::Ok();
  }
  if (name == "ip_frag" || name == "nw_frag") {
    if (value == "no") SetMasked(r, Field::kIpFrag, 0, dp::kFragAny);
    else if (value == "yes") SetMasked(r, Field::kIpFrag, dp::kFragAny, dp::kFragAny);
    else if (value == "first") SetMasked(r, Field::kIpFrag, dp::kFragAny, 3);
    else if (value == "later") SetMasked(r, Field::kIpFrag, 3, 3);
    else if (value == "not_later") SetMasked(r, Field::kIpFrag, 0, dp::kFragLater);
    else return Err("bad value '" + value + "' for ip_frag (no, yes, first, later, not_later)");
    return Status::Ok();
  }
  for (const FieldSpec& f : kFields) {
    if (name != f.name) continue;
    HASHI_RETURN_IF_ERROR(ParseValueMask(name, value, f.kind, f.bits, &v, &m));
    SetMasked(r, f.field, v << f.shift, m << f.shift);
    if (f.field == Field::kVlanTci && f.shift == 13) SetMasked(r, Field::kVlanTci, dp::kVlanPresent, dp::kVlanPresent);
    return Status::Ok();
  }
  return Err("unknown field '" + name + "'");
}

Status ApplyShorthand(const std::string& s, FlowRule& r, bool* known) {
  struct Sh { const char* name; uint16_t type; int proto; };
  static constexpr Sh kSh[] = {
      {"ip", dp::kEthTypeIpv4, -1},   {"ipv6", dp::kEthTypeIpv6, -1}, {"arp", dp::kEthTypeArp, -1},
      {"tcp", dp::kEthTypeIpv4, 6},   {"udp", dp::kEthTypeIpv4, 17},  {"sctp", dp::kEthTypeIpv4, 132},
      {"icmp", dp::kEthTypeIpv4, 1},  {"tcp6", dp::kEthTypeIpv6, 6},  {"udp6", dp::kEthTypeIpv6, 17},
      {"sctp6", dp::kEthTypeIpv6, 132}, {"icmp6", dp::kEthTypeIpv6, 58},
  };
  *known = false;
  for (const Sh& x : kSh) {
    if (s != x.name) continue;
    *known = true;
    SetMasked(r, Field::kEthType, x.type, 0xffff);
    if (x.proto >= 0) SetMasked(r, Field::kIpProto, static_cast<uint64_t>(x.proto), 0xff);
  }
  return Status::Ok();
}

// ovs-ofctl's prerequisite rules, checked once the whole match is known.
Status CheckPrerequisites(const FlowRule& r) {
  const bool type_set = r.mask.Get(Field::kEthType) == 0xffff;
  const uint64_t type = r.match.Get(Field::kEthType);
  const bool ip4 = type_set && type == dp::kEthTypeIpv4;
  const bool ip6 = type_set && type == dp::kEthTypeIpv6;
  const bool arp = type_set && type == dp::kEthTypeArp;
  const bool proto_set = r.mask.Get(Field::kIpProto) == 0xff;
  const uint64_t proto = r.match.Get(Field::kIpProto);
  auto used = [&](Field f) { return r.mask.Get(f) != 0; };
  if ((used(Field::kNwSrc) || used(Field::kNwDst)) && !ip4 && !arp) {
    return Err("nw_src/nw_dst (or arp_spa/arp_tpa) require dl_type=0x0800 or 0x0806 (add 'ip' or 'arp')");
  }
  if ((used(Field::kIpProto) || used(Field::kIpTos) || used(Field::kIpTtl) || used(Field::kIpFrag)) &&
      !ip4 && !ip6) {
    return Err("nw_proto/nw_tos/nw_ecn/nw_ttl/ip_frag require 'ip' or 'ipv6'");
  }
  if (used(Field::kTpSrc) || used(Field::kTpDst)) {
    if (!proto_set || !(proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58)) {
      return Err("tp_src/tp_dst (and icmp_type/icmp_code) require nw_proto tcp, udp, sctp or icmp "
                 "(add e.g. 'tcp')");
    }
  }
  if (used(Field::kTcpFlags) && !(proto_set && proto == 6)) return Err("tcp_flags requires 'tcp'");
  if ((used(Field::kIpv6SrcLo) || used(Field::kIpv6DstLo) || used(Field::kIpv6Label) ||
       ((used(Field::kIpv6SrcHi) || used(Field::kIpv6DstHi)) && !arp)) && !ip6) {
    return Err("ipv6_src/ipv6_dst/ipv6_label require 'ipv6'");
  }
  if ((used(Field::kArpOp) || (!ip6 && (used(Field::kArpSha) || used(Field::kArpTha)))) && !arp) {
    return Err("arp_op/arp_sha/arp_tha require 'arp'");
  }
  return Status::Ok();
}

Status ParsePort(const std::string& s, uint32_t* port) {
  static const std::pair<const char*, uint32_t> kNamed[] = {
      {"in_port", dp::kPortInPort}, {"IN_PORT", dp::kPortInPort}, {"flood", dp::kPortFlood},
      {"FLOOD", dp::kPortFlood},    {"all", dp::kPortAll},        {"ALL", dp::kPortAll},
      {"normal", dp::kPortNormal},  {"NORMAL", dp::kPortNormal},  {"local", dp::kPortLocal},
      {"LOCAL", dp::kPortLocal},    {"controller", dp::kPortController},
      {"CONTROLLER", dp::kPortController}};
  for (const auto& [name, value] : kNamed) {
    if (s == name) {
      *port = value;
      return Status::Ok();
    }
  }
  uint64_t v;
  if (!ParseU64(s, &v) || v == 0 || v >= dp::kPortMax) return Err("bad output port '" + s + "'");
  *port = static_cast<uint32_t>(v);
  return Status::Ok();
}

Action Output(uint32_t port, uint64_t max_len = 0xffff) {
  Action a;
  a.type = ActionType::kOutput;
  a.port = port;
  a.value = max_len;
  return a;
}

// Turns "FIELD=VALUE" into set-field actions, reusing the match parser.
Status SetFieldActions(const std::string& field, const std::string& value, std::vector<Action>& out) {
  static const char* kNotSettable[] = {"in_port", "dl_type", "eth_type", "nw_proto", "ip_proto",
                                       "ip_frag", "nw_frag", "tcp_flags"};
  for (const char* n : kNotSettable) {
    if (field == n) return Err("field " + field + " cannot be set");
  }
  FlowRule tmp;
  HASHI_RETURN_IF_ERROR(ParseMatchField(field, value, tmp));
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    const Field f = static_cast<Field>(i);
    if (f == Field::kArpSha || f == Field::kArpTha) {
      if (field != "arp_sha" && field != "arp_tha") continue;
    } else if ((f == Field::kIpv6SrcHi || f == Field::kIpv6DstHi) &&
               (field == "arp_sha" || field == "arp_tha")) {
      continue;
    }
    uint64_t m = tmp.mask.Get(f);
    if (f == Field::kVlanTci) m &= ~static_cast<uint64_t>(dp::kVlanPresent);
    if (m == 0) continue;
    Action a;
    a.type = ActionType::kSetField;
    a.field = f;
    a.value = tmp.match.Get(f) & m;
    a.mask = m;
    out.push_back(a);
  }
  return Status::Ok();
}

Status ParseActionList(const std::string& text, FlowRule& r, std::vector<Action>& out, bool top);

Status ParseOneAction(const std::string& tok, FlowRule& r, std::vector<Action>& out, bool top) {
  const size_t colon = tok.find(':');
  const std::string verb = tok.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : tok.substr(colon + 1);
  uint64_t v = 0;
  auto instruction_only = [&]() -> Status {
    return top ? Status::Ok() : Err(verb + " is an instruction, not allowed inside write_actions");
  };
  if (tok == "drop") return Status::Ok();
  if (ParseU64(tok, &v)) {
    uint32_t port;
    HASHI_RETURN_IF_ERROR(ParsePort(tok, &port));
    out.push_back(Output(port));
    return Status::Ok();
  }
  if (verb == "output") {
    uint32_t port;
    HASHI_RETURN_IF_ERROR(ParsePort(arg, &port));
    out.push_back(Output(port));
    return Status::Ok();
  }
  if (tok == "controller" || tok == "CONTROLLER" || verb == "controller") {
    uint64_t len = 0xffff;
    if (!arg.empty() && !ParseU64(arg, &len)) return Err("bad controller max_len '" + arg + "'");
    out.push_back(Output(dp::kPortController, len));
    return Status::Ok();
  }
  if (tok.rfind("controller(", 0) == 0) {
    uint64_t len = 0xffff;
    const std::string inner = tok.substr(11, tok.size() - 12);
    if (inner.rfind("max_len=", 0) != 0 || !ParseU64(inner.substr(8), &len)) {
      return Err("bad controller action '" + tok + "' (controller(max_len=N))");
    }
    out.push_back(Output(dp::kPortController, len));
    return Status::Ok();
  }
  uint32_t port;
  if (colon == std::string::npos && ParsePort(tok, &port).ok()) {
    out.push_back(Output(port));
    return Status::Ok();
  }
  static const std::pair<const char*, const char*> kModAlias[] = {
      {"mod_dl_src", "dl_src"}, {"mod_dl_dst", "dl_dst"},   {"mod_nw_src", "nw_src"},
      {"mod_nw_dst", "nw_dst"}, {"mod_nw_tos", "nw_tos"},   {"mod_nw_ecn", "nw_ecn"},
      {"mod_nw_ttl", "nw_ttl"}, {"mod_tp_src", "tp_src"},   {"mod_tp_dst", "tp_dst"},
      {"mod_vlan_vid", "dl_vlan"}, {"mod_vlan_pcp", "dl_vlan_pcp"}};
  for (const auto& [alias, field] : kModAlias) {
    if (verb == alias) return SetFieldActions(field, arg, out);
  }
  if (verb == "set_field") {
    const size_t arrow = arg.find("->");
    if (arrow == std::string::npos) return Err("set_field needs VALUE->FIELD: '" + tok + "'");
    return SetFieldActions(arg.substr(arrow + 2), arg.substr(0, arrow), out);
  }
  if (tok == "strip_vlan" || tok == "pop_vlan") {
    Action a;
    a.type = ActionType::kPopVlan;
    out.push_back(a);
    return Status::Ok();
  }
  if (verb == "push_vlan") {
    if (!ParseU64(arg, &v) || (v != dp::kEthTypeVlan && v != dp::kEthTypeQinQ)) {
      return Err("push_vlan needs 0x8100 or 0x88a8, got '" + arg + "'");
    }
    Action a;
    a.type = ActionType::kPushVlan;
    a.ethertype = static_cast<uint16_t>(v);
    out.push_back(a);
    return Status::Ok();
  }
  if (verb == "group") {
    if (!ParseU64(arg, &v) || v > 0xffffff00u) return Err("bad group id '" + arg + "'");
    Action a;
    a.type = ActionType::kGroup;
    a.port = static_cast<uint32_t>(v);
    out.push_back(a);
    return Status::Ok();
  }
  if (tok == "dec_ttl") {
    Action a;
    a.type = ActionType::kDecTtl;
    out.push_back(a);
    return Status::Ok();
  }
  if (tok.rfind("write_actions(", 0) == 0 && tok.back() == ')') {
    HASHI_RETURN_IF_ERROR(instruction_only());
    return ParseActionList(tok.substr(14, tok.size() - 15), r, r.instructions.write, false);
  }
  if (tok == "clear_actions") {
    HASHI_RETURN_IF_ERROR(instruction_only());
    r.instructions.clear_actions = true;
    return Status::Ok();
  }
  if (verb == "write_metadata") {
    HASHI_RETURN_IF_ERROR(instruction_only());
    uint64_t m;
    HASHI_RETURN_IF_ERROR(ParseValueMask("write_metadata", arg, Kind::kNumber, 64, &v, &m));
    r.instructions.write_metadata = true;
    r.instructions.metadata_value = v;
    r.instructions.metadata_mask = m;
    return Status::Ok();
  }
  if (verb == "meter") {
    HASHI_RETURN_IF_ERROR(instruction_only());
    if (!ParseU64(arg, &v) || v == 0 || v > 0xffff0000u) return Err("bad meter id '" + arg + "'");
    r.instructions.meter_id = static_cast<uint32_t>(v);
    return Status::Ok();
  }
  if (verb == "goto_table") {
    HASHI_RETURN_IF_ERROR(instruction_only());
    if (!ParseU64(arg, &v) || v >= dp::kMaxTables) return Err("bad goto_table '" + arg + "'");
    r.instructions.goto_table = static_cast<uint8_t>(v);
    return Status::Ok();
  }
  return Err("unknown action '" + tok + "'");
}

Status ParseActionList(const std::string& text, FlowRule& r, std::vector<Action>& out, bool top) {
  for (const std::string& tok : SplitTop(text, false)) {
    HASHI_RETURN_IF_ERROR(ParseOneAction(tok, r, out, top));
  }
  return Status::Ok();
}

}  // namespace

Result<FlowRule> ParseFlow(const std::string& text) {
  FlowRule r;
  const size_t apos = text.find("actions=");
  if (apos == std::string::npos) return Err("flow has no actions= (use actions=drop to drop)");
  const std::string match_part = text.substr(0, apos);
  const std::string actions_part = Trim(text.substr(apos + 8));
  for (const std::string& tok : SplitTop(match_part, true)) {
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) {
      bool known;
      HASHI_RETURN_IF_ERROR(ApplyShorthand(tok, r, &known));
      if (!known) return Err("unknown field '" + tok + "'");
      continue;
    }
    const std::string name = Trim(tok.substr(0, eq));
    const std::string value = Trim(tok.substr(eq + 1));
    uint64_t v;
    if (name == "table") {
      if (!ParseU64(value, &v) || v >= dp::kMaxTables) return Err("bad table '" + value + "' (0..254)");
      r.table_id = static_cast<uint8_t>(v);
    } else if (name == "priority") {
      if (!ParseU64(value, &v) || v > 0xffff) return Err("bad priority '" + value + "' (0..65535)");
      r.priority = static_cast<uint16_t>(v);
    } else if (name == "cookie") {
      if (!ParseU64(value.substr(0, value.find('/')), &v)) return Err("bad cookie '" + value + "'");
      r.cookie = v;
    } else if (name == "idle_timeout" || name == "hard_timeout") {
      if (!ParseU64(value, &v) || v > 0xffff) return Err("bad " + name + " '" + value + "'");
      (name == "idle_timeout" ? r.idle_timeout : r.hard_timeout) = static_cast<uint16_t>(v);
    } else {
      HASHI_RETURN_IF_ERROR(ParseMatchField(name, value, r));
    }
  }
  HASHI_RETURN_IF_ERROR(CheckPrerequisites(r));
  if (actions_part.empty()) return Err("empty actions= (use actions=drop to drop)");
  HASHI_RETURN_IF_ERROR(ParseActionList(actions_part, r, r.instructions.apply, true));
  if (r.instructions.goto_table != dp::kNoGoto && r.instructions.goto_table <= r.table_id) {
    return Err("goto_table:" + std::to_string(r.instructions.goto_table) +
               " must name a later table than table " + std::to_string(r.table_id));
  }
  r.Normalize();
  return r;
}

Result<std::vector<FlowRule>> ParseFlowFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err("cannot open flow file '" + path + "'");
  std::vector<FlowRule> rules;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string t = Trim(line.substr(0, line.find('#')));
    if (t.empty()) continue;
    auto r = ParseFlow(t);
    if (!r.ok()) return Err(path + ":" + std::to_string(lineno) + ": " + r.error());
    rules.push_back(std::move(r).value());
  }
  return rules;
}

namespace {

std::string Hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
std::string Mac(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x", int(v >> 40 & 0xff), int(v >> 32 & 0xff),
                int(v >> 24 & 0xff), int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff));
  return b;
}
std::string Ip(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%d.%d.%d.%d", int(v >> 24 & 0xff), int(v >> 16 & 0xff),
                int(v >> 8 & 0xff), int(v & 0xff));
  return b;
}
std::string FormatValue(Field f, uint64_t v) {
  switch (f) {
    case Field::kEthSrc: case Field::kEthDst: case Field::kArpSha: case Field::kArpTha: return Mac(v);
    case Field::kNwSrc: case Field::kNwDst: return Ip(v);
    case Field::kInPort: case Field::kTpSrc: case Field::kTpDst: case Field::kIpProto:
    case Field::kIpTtl: case Field::kArpOp: return std::to_string(v);
    default: return Hex(v);
  }
}
std::string FormatAction(const Action& a) {
  switch (a.type) {
    case ActionType::kOutput:
      switch (a.port) {
        case dp::kPortInPort: return "IN_PORT";
        case dp::kPortFlood: return "FLOOD";
        case dp::kPortAll: return "ALL";
        case dp::kPortNormal: return "NORMAL";
        case dp::kPortLocal: return "LOCAL";
        case dp::kPortController: return "CONTROLLER:" + std::to_string(a.value);
        default: return "output:" + std::to_string(a.port);
      }
    case ActionType::kSetField: {
      const uint64_t full = dp::InfoOf(a.field).bits == 64 ? ~0ull : (1ull << dp::InfoOf(a.field).bits) - 1;
      std::string s = "set_field:" + FormatValue(a.field, a.value);
      if (a.mask != full) s += "/" + Hex(a.mask);
      return s + "->" + dp::InfoOf(a.field).name;
    }
    case ActionType::kPushVlan: return "push_vlan:" + Hex(a.ethertype);
    case ActionType::kPopVlan: return "pop_vlan";
    case ActionType::kDecTtl: return "dec_ttl";
    case ActionType::kGroup: return "group:" + std::to_string(a.port);
    case ActionType::kMeter: return "meter";
  }
  return "?";
}

}  // namespace

std::string FormatFlow(const FlowRule& r) {
  std::string s = "cookie=" + Hex(r.cookie) + ", table=" + std::to_string(r.table_id) +
                  ", priority=" + std::to_string(r.priority);
  const bool ip6 = r.mask.Get(Field::kEthType) == 0xffff && r.match.Get(Field::kEthType) == dp::kEthTypeIpv6;
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    const Field f = static_cast<Field>(i);
    const uint64_t m = r.mask.Get(f);
    if (m == 0) continue;
    if (f == Field::kIpTos) {
      if (m & 0xfc) s += ",nw_tos=" + std::to_string(r.match.Get(f) & 0xfc);
      if (m & 0x03) s += ",nw_ecn=" + std::to_string(r.match.Get(f) & 0x03);
      continue;
    }
    if (f == Field::kIpFrag) {
      static const char* kNames[] = {"no", "yes", "not_later", "first", "later"};
      const uint64_t v = r.match.Get(f);
      const char* n = m == 1 ? kNames[v] : m == 2 ? kNames[2] : (v == 1 ? kNames[3] : kNames[4]);
      s += std::string(",ip_frag=") + n;
      continue;
    }
    if (f == Field::kIpv6SrcHi || f == Field::kIpv6DstHi || f == Field::kIpv6SrcLo ||
        f == Field::kIpv6DstLo || ((f == Field::kArpSha || f == Field::kArpTha) && ip6)) {
      if (f != Field::kIpv6SrcHi && f != Field::kIpv6DstHi) continue;
      const bool src = f == Field::kIpv6SrcHi;
      const uint64_t hi = r.match.Get(f), lo = r.match.Get(src ? Field::kIpv6SrcLo : Field::kIpv6DstLo);
      const uint64_t mlo = r.mask.Get(src ? Field::kIpv6SrcLo : Field::kIpv6DstLo);
      in6_addr a;
      for (int b = 0; b < 8; ++b) a.s6_addr[b] = static_cast<uint8_t>(hi >> (56 - 8 * b));
      for (int b = 0; b < 8; ++b) a.s6_addr[8 + b] = static_cast<uint8_t>(lo >> (56 - 8 * b));
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &a, text, sizeof(text));
      const int prefix = __builtin_popcountll(m) + __builtin_popcountll(mlo);
      s += std::string(src ? ",ipv6_src=" : ",ipv6_dst=") + text;
      if (prefix != 128) s += "/" + std::to_string(prefix);
      continue;
    }
    const uint64_t full = dp::InfoOf(f).bits == 64 ? ~0ull : (1ull << dp::InfoOf(f).bits) - 1;
    s += "," + std::string(dp::InfoOf(f).name) + "=" + FormatValue(f, r.match.Get(f));
    if (m != full) s += "/" + (f == Field::kNwSrc || f == Field::kNwDst ? Ip(m) : Hex(m));
  }
  std::string acts;
  auto add = [&](const std::string& x) { acts += (acts.empty() ? "" : ",") + x; };
  if (r.instructions.meter_id != 0) add("meter:" + std::to_string(r.instructions.meter_id));
  for (const Action& a : r.instructions.apply) add(FormatAction(a));
  if (r.instructions.clear_actions) add("clear_actions");
  if (!r.instructions.write.empty()) {
    std::string w;
    for (const Action& a : r.instructions.write) w += (w.empty() ? "" : ",") + FormatAction(a);
    add("write_actions(" + w + ")");
  }
  if (r.instructions.write_metadata) {
    add("write_metadata:" + Hex(r.instructions.metadata_value) + "/" + Hex(r.instructions.metadata_mask));
  }
  if (r.instructions.goto_table != dp::kNoGoto) add("goto_table:" + std::to_string(r.instructions.goto_table));
  return s + " actions=" + (acts.empty() ? "drop" : acts);
}

}  // namespace hashi::ctl
