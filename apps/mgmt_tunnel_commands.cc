// hashictl's tunnel and underlay commands, and the underlay part of `show`.
#include <cstdio>
#include <memory>

#include "apps/mgmt_commands.h"
#include "tunnel/tunnel_config.h"

namespace hashi::app {
namespace {

using ctl::MgmtReply;
using nlohmann::json;

const char* StateName(tun::NeighborState s) {
  switch (s) {
    case tun::NeighborState::kIncomplete: return "incomplete";
    case tun::NeighborState::kReachable: return "reachable";
    case tun::NeighborState::kStatic: return "static";
  }
  return "?";
}

MgmtReply DumpTunnels(SwitchParts& p) {
  MgmtReply r;
  r.data = json::array();
  const dp::DatapathTotals t = p.datapath.Totals();
  for (const auto& v : p.tunnels.Tunnels()) {
    uint64_t rx = 0, tx = 0;
    for (const auto& port : p.ports.List()) {
      if (port.tunnel && port.spec.ofport == v.spec.ofport) {
        rx = t.ports[port.counter_index].rx_packets;
        tx = t.ports[port.counter_index].tx_packets;
      }
    }
    const std::string where = v.uplink.empty() ? "no route" :
        "via " + v.uplink + " next hop " + tun::FormatIpv4(v.next_hop) +
        (v.resolved ? " (" + tun::FormatMac(v.next_hop_mac) + ")" : " (resolving)");
    r.text += "  tunnel " + std::to_string(v.spec.ofport) + " (" + v.spec.name + "): gre " +
              tun::FormatTunnelOptions(v.spec) + " local " + tun::FormatIpv4(v.local_ip) + ", " + where +
              ", rx " + std::to_string(rx) + " tx " + std::to_string(tx) + "\n";
    r.data.push_back({{"name", v.spec.name}, {"ofport", v.spec.ofport}, {"options", tun::FormatTunnelOptions(v.spec)},
                      {"remote_ip", tun::FormatIpv4(v.spec.remote_ip)}, {"local_ip", tun::FormatIpv4(v.local_ip)},
                      {"uplink", v.uplink}, {"next_hop", tun::FormatIpv4(v.next_hop)}, {"resolved", v.resolved},
                      {"next_hop_mac", v.resolved ? tun::FormatMac(v.next_hop_mac) : ""},
                      {"rx_packets", rx}, {"tx_packets", tx}});
  }
  return r;
}

}  // namespace

void ShowUnderlay(SwitchParts& p, MgmtReply& r) {
  MgmtReply tunnels = DumpTunnels(p);
  r.text += tunnels.text;
  r.data["tunnels"] = tunnels.data;
  json uplinks = json::array();
  for (const auto& u : p.tunnels.Uplinks()) {
    r.text += "  uplink " + u.name + ": " + tun::FormatIpv4Prefix(u.address) + " mac " + tun::FormatMac(u.mac) +
              " mtu " + std::to_string(u.mtu) + " (dpdk " + std::to_string(u.eth_port) + ")\n";
    uplinks.push_back({{"name", u.name}, {"address", tun::FormatIpv4Prefix(u.address)},
                       {"mac", tun::FormatMac(u.mac)}, {"mtu", u.mtu}, {"dpdk_port", u.eth_port}});
  }
  r.data["uplinks"] = uplinks;
  json routes = json::array();
  for (const auto& rt : p.tunnels.Routes()) {
    const std::string via = rt.connected ? "connected" : "via " + tun::FormatIpv4(rt.gateway);
    r.text += "  route " + tun::FormatIpv4Prefix(rt.prefix) + " " + via + "\n";
    routes.push_back({{"prefix", tun::FormatIpv4Prefix(rt.prefix)}, {"gateway", rt.connected ? "" : tun::FormatIpv4(rt.gateway)},
                      {"connected", rt.connected}});
  }
  r.data["routes"] = routes;
  json neighbors = json::array();
  for (const auto& n : p.tunnels.Neighbors()) {
    const bool known = n.state != tun::NeighborState::kIncomplete;
    r.text += "  neighbor " + tun::FormatIpv4(n.ip) + " " + (known ? tun::FormatMac(n.mac) : "?") + " " +
              StateName(n.state) + "\n";
    neighbors.push_back({{"ip", tun::FormatIpv4(n.ip)}, {"mac", known ? tun::FormatMac(n.mac) : ""},
                         {"state", StateName(n.state)}});
  }
  r.data["neighbors"] = neighbors;
  const ctl::UnderlayCounters& c = p.tunnels.counters();
  r.data["underlay"] = {{"arp_requests_sent", c.arp_requests_sent}, {"arp_replies_sent", c.arp_replies_sent},
                        {"echo_replies_sent", c.echo_replies_sent}, {"held", c.held}, {"held_sent", c.held_sent},
                        {"held_dropped", c.held_dropped}, {"held_now", p.tunnels.held_now()}};
  if (!p.tunnels.Uplinks().empty()) {
    char line[200];
    std::snprintf(line, sizeof line, "  underlay: arp requests %llu, replies %llu, echo replies %llu, held %llu (sent %llu, dropped %llu)\n",
                  (unsigned long long)c.arp_requests_sent, (unsigned long long)c.arp_replies_sent,
                  (unsigned long long)c.echo_replies_sent, (unsigned long long)c.held,
                  (unsigned long long)c.held_sent, (unsigned long long)c.held_dropped);
    r.text += line;
  }
}

void RegisterTunnelCommands(ctl::MgmtServer& server, SwitchParts parts) {
  auto p = std::make_shared<SwitchParts>(parts);
  server.Register("add-tunnel", "add-tunnel NAME OFPORT remote_ip=IP[,key=N|flow,local_ip=IP,csum=true,ttl=N|inherit,tos=N|inherit]",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 3, 3));
                    auto spec = tun::ParseTunnelSpec(a[0] + ":" + a[1] + ":" + a[2]);
                    if (!spec.ok()) return spec.status();
                    HASHI_RETURN_IF_ERROR(p->tunnels.AddTunnel(*spec));
                    return MgmtReply{"tunnel " + spec->name + " added as OpenFlow port " + a[1] + "\n", {}};
                  });
  server.Register("del-tunnel", "del-tunnel NAME", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    HASHI_RETURN_IF_ERROR(p->tunnels.DeleteTunnel(a[0]));
    return MgmtReply{"tunnel " + a[0] + " deleted\n", {}};
  });
  server.Register("dump-tunnels", "dump-tunnels", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
    return DumpTunnels(*p);
  });
  server.Register("add-route", "add-route PREFIX GATEWAY (PREFIX: A.B.C.D/LEN or default)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 2, 2));
                    auto r = tun::ParseRouteSpec(a[0] + ":" + a[1]);
                    if (!r.ok()) return r.status();
                    HASHI_RETURN_IF_ERROR(p->tunnels.AddRoute(*r));
                    return MgmtReply{"route " + tun::FormatIpv4Prefix(r->prefix) + " via " + a[1] + " added\n", {}};
                  });
  server.Register("del-route", "del-route PREFIX", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    auto prefix = tun::ParseIpv4Prefix(a[0]);
    if (!prefix.ok()) return prefix.status();
    HASHI_RETURN_IF_ERROR(p->tunnels.DeleteRoute(*prefix));
    return MgmtReply{"route " + a[0] + " deleted\n", {}};
  });
  server.Register("add-neighbor", "add-neighbor IP MAC (static ARP entry)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 2, 2));
                    auto n = tun::ParseNeighborSpec(a[0] + "=" + a[1]);
                    if (!n.ok()) return n.status();
                    HASHI_RETURN_IF_ERROR(p->tunnels.AddNeighbor(*n));
                    return MgmtReply{"neighbor " + a[0] + " is-at " + a[1] + "\n", {}};
                  });
  server.Register("del-neighbor", "del-neighbor IP", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    auto ip = tun::ParseIpv4(a[0]);
    if (!ip.ok()) return ip.status();
    HASHI_RETURN_IF_ERROR(p->tunnels.DeleteNeighbor(*ip));
    return MgmtReply{"neighbor " + a[0] + " deleted\n", {}};
  });
}

}  // namespace hashi::app
