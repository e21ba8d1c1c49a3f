// Parsing flows in ovs-ofctl's text syntax, so operators can reuse what they
// know: "table=0,priority=100,ip,nw_dst=10.0.0.0/24,actions=output:2".
//
// Supported match fields: in_port, dl_src, dl_dst, dl_type, dl_vlan,
// dl_vlan_pcp, vlan_tci, nw_src, nw_dst, nw_proto, nw_tos, ip_dscp, nw_ecn,
// nw_ttl, ip_frag, tp_src, tp_dst (and tcp_/udp_/sctp_ aliases), tcp_flags,
// icmp_type, icmp_code, arp_op, arp_spa, arp_tpa, arp_sha, arp_tha, ipv6_src,
// ipv6_dst, ipv6_label, metadata, tun_id; the shorthands ip, ipv6, arp, tcp,
// udp, sctp, icmp, tcp6, udp6, sctp6, icmp6; masks as VALUE/MASK or /PREFIX.
// Actions and instructions: output:N (or N), in_port, flood, all, normal,
// controller[:LEN], drop, mod_dl_src/dst, mod_nw_src/dst, mod_nw_tos,
// mod_nw_ttl, mod_tp_src/dst, mod_vlan_vid, mod_vlan_pcp, strip_vlan,
// pop_vlan, push_vlan:TPID, dec_ttl, set_field:V[/M]->FIELD,
// write_actions(...), clear_actions, write_metadata:V[/M], goto_table:N.
// Prerequisites are checked as ovs-ofctl does (tp_dst needs a transport
// protocol, and so on). Pure functions: text in, rule or error out.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "dataplane/flow_rule.h"

namespace hashi::ctl {

// Parses one flow in add-flow syntax.
Result<dp::FlowRule> ParseFlow(const std::string& text);

// Parses a file of flows (one per line, '#' comments, blank lines ignored).
// Errors name the line: "flows.txt:3: unknown field 'foo'".
Result<std::vector<dp::FlowRule>> ParseFlowFile(const std::string& path);

// Renders a rule back in ovs-ofctl syntax (dump-flows style).
std::string FormatFlow(const dp::FlowRule& rule);

}  // namespace hashi::ctl
