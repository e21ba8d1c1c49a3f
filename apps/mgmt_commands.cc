// The management commands (see mgmt_commands.h).
#include "apps/mgmt_commands.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstdio>

#include "control/flow_parser.h"
#include "control/trace.h"
#include "tunnel/tunnel_config.h"

namespace hashi::app {
namespace {

using ctl::MgmtReply;
using nlohmann::json;

// A flow filter from an optional ovs-ofctl match ("" selects everything).
Result<ctl::FlowFilter> FilterOf(const std::vector<std::string>& a, size_t at) {
  ctl::FlowFilter f;
  if (a.size() <= at) return f;
  auto rule = ctl::ParseFlow(a[at] + " actions=drop");
  if (!rule.ok()) return rule.status();
  const bool has_table = a[at].find("table=") != std::string::npos;
  if (has_table) f.table = rule->table_id;
  f.match = rule->match;
  f.mask = rule->mask;
  f.priority = rule->priority;
  f.cookie = rule->cookie;
  f.cookie_mask = rule->cookie ? ~0ull : 0;
  return f;
}

std::string BindingName(const dp::PortBinding* b) {
  if (b == nullptr) return "unbound";
  switch (b->kind) {
    case dp::BindingKind::kLocal: return "local(dpdk " + std::to_string(b->eth_port) + ")";
    case dp::BindingKind::kTunnel: return "tunnel";
    case dp::BindingKind::kHold: return "hold";
    case dp::BindingKind::kRemote: return "remote(tunnel port " + std::to_string(b->remote_tunnel) + ")";
    case dp::BindingKind::kReserved: return "reserved";
  }
  return "?";
}

Result<MgmtReply> Show(SwitchParts& p) {
  MgmtReply r;
  char head[160];
  std::snprintf(head, sizeof head, "hashi datapath_id=%016llx fail_mode=%s flows=%zu\n",
                static_cast<unsigned long long>(p.ofswitch.datapath_id()),
                p.ofswitch.fail_mode() == ctl::FailMode::kSecure ? "secure" : "standalone", p.flows.size());
  r.text = head;
  r.data = {{"datapath_id", p.ofswitch.datapath_id()},
            {"fail_mode", p.ofswitch.fail_mode() == ctl::FailMode::kSecure ? "secure" : "standalone"},
            {"flows", p.flows.size()}, {"fail_open", p.flows.fail_open()}};
  json ports = json::array();
  const dp::PortMap* map = p.datapath.ports();
  for (const ctl::PortInfo& i : p.ports.List()) {
    const std::string binding = BindingName(map->Find(i.spec.ofport));
    char line[256];
    std::snprintf(line, sizeof line, "  port %u (%s): %s link=%s admin=%s mac=%s binding=%s\n", i.spec.ofport,
                  i.spec.name.c_str(), i.spec.devargs.c_str(), i.link_up ? "up" : "down",
                  i.forward ? "up" : "down", tun::FormatMac(i.mac).c_str(), binding.c_str());
    r.text += line;
    ports.push_back({{"ofport", i.spec.ofport}, {"name", i.spec.name}, {"devargs", i.spec.devargs},
                     {"dpdk_port", i.eth_port}, {"link_up", i.link_up}, {"forward", i.forward},
                     {"receive", i.receive}, {"mac", tun::FormatMac(i.mac)}, {"binding", binding}});
  }
  r.data["ports"] = ports;
  json conns = json::array();
  for (const auto& c : p.ofswitch.Connections()) {
    static const char* kRoles[] = {"nochange", "equal", "master", "slave"};
    r.text += std::string("  ") + (c.controller ? "controller " : "peer ") + c.name + ": " +
              (c.connected ? "connected, role " + std::string(kRoles[c.role & 3]) : "not connected") +
              (c.last_error.empty() ? "" : " (last error: " + c.last_error + ")") + "\n";
    conns.push_back({{"target", c.name}, {"controller", c.controller}, {"connected", c.connected},
                     {"role", kRoles[c.role & 3]}, {"last_error", c.last_error}});
  }
  for (const std::string& l : p.ofswitch.listeners()) r.text += "  listening on " + l + "\n";
  r.data["connections"] = conns;
  r.data["listeners"] = p.ofswitch.listeners();
  ShowUnderlay(p, r);
  return r;
}

Result<MgmtReply> AddFlows(SwitchParts& p, const std::vector<std::string>& lines) {
  std::vector<dp::FlowRule> rules;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto rule = ctl::ParseFlow(lines[i]);
    if (!rule.ok()) return Status::Error("flow " + std::to_string(i + 1) + ": " + rule.error());
    const dp::Instructions& ins = rule->instructions;
    if (ins.meter_id && !p.flows.HasMeter(ins.meter_id)) {
      return Status::Error("flow " + std::to_string(i + 1) + ": no meter " + std::to_string(ins.meter_id));
    }
    if (auto g = p.flows.MissingGroup(ins)) {
      return Status::Error("flow " + std::to_string(i + 1) + ": no group " + std::to_string(*g));
    }
    rules.push_back(std::move(rule).value());
  }
  for (auto& r : rules) HASHI_RETURN_IF_ERROR(p.flows.Add(std::move(r)));  // all parsed: add them all
  p.ofswitch.CommitNow();
  MgmtReply r;
  r.text = std::to_string(lines.size()) + " flow(s) added\n";
  r.data = {{"added", lines.size()}};
  return r;
}

Result<MgmtReply> DumpFlows(SwitchParts& p, const std::vector<std::string>& a) {
  auto filter = FilterOf(a, 0);
  if (!filter.ok()) return filter.status();
  auto stats = p.flows.Dump(&*filter);
  std::sort(stats.begin(), stats.end(), [](const ctl::FlowStats& x, const ctl::FlowStats& y) {
    return x.rule->table_id != y.rule->table_id ? x.rule->table_id < y.rule->table_id : x.rule->priority > y.rule->priority;
  });
  MgmtReply r;
  r.data = json::array();
  for (const auto& s : stats) {
    char head[128];
    std::snprintf(head, sizeof head, " duration=%.3fs, n_packets=%llu, n_bytes=%llu, ", s.age_ns / 1e9,
                  static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(s.bytes));
    const std::string flow = ctl::FormatFlow(*s.rule);
    r.text += head + flow + "\n";
    r.data.push_back({{"flow", flow}, {"packets", s.packets}, {"bytes", s.bytes}, {"duration", s.age_ns / 1e9}});
  }
  return r;
}

Result<MgmtReply> DumpPorts(SwitchParts& p, const std::vector<std::string>& a) {
  const dp::DatapathTotals t = p.datapath.Totals();
  MgmtReply r;
  r.data = json::array();
  for (const ctl::PortInfo& i : p.ports.List()) {
    if (!a.empty() && a[0] != i.spec.name && a[0] != std::to_string(i.spec.ofport)) continue;
    const dp::PortCounters& c = t.ports[i.counter_index];
    rte_eth_stats hw{};
    if (!i.tunnel) rte_eth_stats_get(i.eth_port, &hw);
    char line[256];
    std::snprintf(line, sizeof line,
                  "  port %u (%s): rx pkts=%llu bytes=%llu missed=%llu; tx pkts=%llu bytes=%llu dropped=%llu refused=%llu\n",
                  i.spec.ofport, i.spec.name.c_str(), (unsigned long long)c.rx_packets, (unsigned long long)c.rx_bytes,
                  (unsigned long long)hw.imissed, (unsigned long long)c.tx_packets, (unsigned long long)c.tx_bytes,
                  (unsigned long long)c.tx_dropped, (unsigned long long)c.tx_refused);
    r.text += line;
    r.data.push_back({{"ofport", i.spec.ofport}, {"name", i.spec.name}, {"rx_packets", c.rx_packets},
                      {"rx_bytes", c.rx_bytes}, {"rx_missed", hw.imissed}, {"tx_packets", c.tx_packets},
                      {"tx_bytes", c.tx_bytes}, {"tx_dropped", c.tx_dropped}, {"tx_refused", c.tx_refused}});
  }
  if (!a.empty() && r.data.empty()) return Status::Error("no port '" + a[0] + "'");
  return r;
}

Result<MgmtReply> DumpTables(SwitchParts& p) {
  const std::vector<ctl::TableStat> stats = p.flows.TableStats();
  MgmtReply r;
  r.data = json::array();
  for (int t = 0; t < dp::kMaxTables; ++t) {
    const ctl::TableStat& s = stats[t];
    if (s.active == 0 && s.lookups == s.matched) continue;  // unused: no rules, no misses
    char line[160];
    std::snprintf(line, sizeof line, "  table %d: active=%llu lookup=%llu matched=%llu\n", t,
                  (unsigned long long)s.active, (unsigned long long)s.lookups, (unsigned long long)s.matched);
    r.text += line;
    r.data.push_back({{"table", t}, {"active", s.active}, {"lookup", s.lookups}, {"matched", s.matched}});
  }
  return r;
}

Result<MgmtReply> DumpGroups(SwitchParts& p) {
  static const char* kTypes[] = {"all", "select", "indirect", "ff"};
  MgmtReply r;
  r.data = json::array();
  for (const ctl::GroupStats& g : p.flows.DumpGroups()) {
    std::string line = "  group_id=" + std::to_string(g.group->id) + ",type=" + kTypes[static_cast<int>(g.group->type)];
    for (const dp::Bucket& b : g.group->buckets) {
      dp::FlowRule tmp;
      tmp.instructions.apply = b.actions;
      const std::string f = ctl::FormatFlow(tmp);
      line += ",bucket=" + f.substr(f.find("actions=") + 8);
    }
    r.text += line + " packets=" + std::to_string(g.total.packets) + " ref_count=" + std::to_string(g.ref_count) + "\n";
    r.data.push_back({{"group_id", g.group->id}, {"type", kTypes[static_cast<int>(g.group->type)]},
                      {"buckets", g.group->buckets.size()}, {"packets", g.total.packets}, {"ref_count", g.ref_count}});
  }
  return r;
}

Result<MgmtReply> Stats(SwitchParts& p) {
  MgmtReply r;
  json workers = json::array();
  const double hz = static_cast<double>(rte_get_tsc_hz());
  for (unsigned w = 0; w < p.datapath.num_workers(); ++w) {
    const dp::WorkerStats& s = p.datapath.worker(w).stats;
    const uint64_t packets = dp::ReadCounter(s.packets), busy = dp::ReadCounter(s.busy_cycles);
    const uint64_t loops = dp::ReadCounter(s.loops), busy_loops = dp::ReadCounter(s.busy_loops);
    const uint64_t emc = dp::ReadCounter(s.emc_hits), classified = dp::ReadCounter(s.classified);
    const double max_busy_us = dp::ReadCounter(s.max_loop_cycles) / hz * 1e6;
    const double max_gap_us = dp::ReadCounter(s.max_gap_cycles) / hz * 1e6;
    const uint64_t sleeps = dp::ReadCounter(s.sleeps), asleep = dp::ReadCounter(s.sleep_cycles);
    const double up = static_cast<double>(rte_get_tsc_cycles() - p.datapath.started_tsc());
    const double busy_pct = up > 0 ? 100.0 * static_cast<double>(busy) / up : 0;
    const double asleep_pct = up > 0 ? 100.0 * static_cast<double>(asleep) / up : 0;
    char text[640];
    std::snprintf(text, sizeof text,
                  "worker %u:\n  packets received: %llu\n  emc hits: %llu\n  classified: %llu\n"
                  "  loops: %llu (busy %llu)\n  busy cycles: %llu (%.1f cycles/packet)\n"
                  "  longest busy loop: %.1f us\n  longest gap between loops: %.1f us\n"
                  "  busy %.1f%%, asleep %.1f%% (%llu sleeps of at most %u us)\n",
                  w, (unsigned long long)packets, (unsigned long long)emc, (unsigned long long)classified,
                  (unsigned long long)loops, (unsigned long long)busy_loops, (unsigned long long)busy,
                  packets ? static_cast<double>(busy) / static_cast<double>(packets) : 0.0, max_busy_us, max_gap_us,
                  busy_pct, asleep_pct, (unsigned long long)sleeps, p.datapath.max_sleep_us());
    r.text += text;
    workers.push_back({{"worker", w}, {"packets", packets}, {"emc_hits", emc}, {"classified", classified},
                       {"loops", loops}, {"busy_loops", busy_loops}, {"busy_cycles", busy},
                       {"max_loop_us", max_busy_us}, {"max_gap_us", max_gap_us}, {"sleeps", sleeps},
                       {"sleep_cycles", asleep}, {"busy_pct", busy_pct}, {"asleep_pct", asleep_pct}});
  }
  const ctl::OfSwitch::CommitStats& c = p.ofswitch.commit_stats();
  char text[256];
  std::snprintf(text, sizeof text, "control:\n  snapshot commits: %llu (%.1f ms in all, longest %.1f ms, last %.1f ms)\n",
                (unsigned long long)c.commits, c.total_ns / 1e6, c.max_ns / 1e6, c.last_ns / 1e6);
  r.text += text;
  const dp::DatapathTotals t = p.datapath.Totals();
  json drops = json::object();
  std::string drop_text;
  for (int d = 0; d < dp::kDropReasonCount; ++d) {
    if (t.drops[d] == 0) continue;
    drops[dp::kDropReasonNames[d]] = t.drops[d];
    drop_text += std::string(" ") + dp::kDropReasonNames[d] + "=" + std::to_string(t.drops[d]);
  }
  r.text += "drops:" + (drop_text.empty() ? std::string(" none") : drop_text) + "\n";
  r.data = {{"workers", workers},
            {"control", {{"commits", c.commits}, {"commit_ms_total", c.total_ns / 1e6},
                         {"commit_ms_max", c.max_ns / 1e6}, {"commit_ms_last", c.last_ns / 1e6}}},
            {"drops", drops}};
  return r;
}

}  // namespace

Status NeedArgs(const std::vector<std::string>& a, size_t min, size_t max) {
  if (a.size() < min || a.size() > max) return Status::Error("wrong number of arguments");
  return Status::Ok();
}

void RegisterCommands(ctl::MgmtServer& server, SwitchParts parts) {
  RegisterTunnelCommands(server, parts);
  RegisterMigrationCommands(server, parts);
  auto p = std::make_shared<SwitchParts>(parts);
  server.Register("show", "show: ports, bindings, links, controllers",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
                    return Show(*p);
                  });
  server.Register("add-port", "add-port NAME:OFPORT:DEVARGS", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    auto spec = ctl::ParsePortSpec(a[0]);
    if (!spec.ok()) return spec.status();
    HASHI_RETURN_IF_ERROR(p->ports.AddPort(*spec));
    return MgmtReply{"port " + spec->name + " added as OpenFlow port " + std::to_string(spec->ofport) + "\n", {}};
  });
  server.Register("del-port", "del-port NAME", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    HASHI_RETURN_IF_ERROR(p->ports.DeletePort(a[0]));
    return MgmtReply{"port " + a[0] + " deleted\n", {}};
  });
  server.Register("add-flow", "add-flow FLOW (ovs-ofctl syntax)", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    return AddFlows(*p, a);
  });
  server.Register("add-flows", "add-flows FLOW... (hashictl reads them from a file)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> { return AddFlows(*p, a); });
  server.Register("del-flows", "del-flows [MATCH]", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 1));
    auto f = FilterOf(a, 0);
    if (!f.ok()) return f.status();
    const size_t n = p->flows.Delete(*f);
    p->ofswitch.CommitNow();
    return MgmtReply{std::to_string(n) + " flow(s) deleted\n", {{"deleted", n}}};
  });
  server.Register("dump-flows", "dump-flows [MATCH]", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 1));
    return DumpFlows(*p, a);
  });
  server.Register("dump-ports", "dump-ports [PORT]", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 1));
    return DumpPorts(*p, a);
  });
  server.Register("dump-tables", "dump-tables", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
    return DumpTables(*p);
  });
  server.Register("dump-groups", "dump-groups", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
    return DumpGroups(*p);
  });
  server.Register("set-controller", "set-controller TARGET... (tcp:IP[:PORT], unix:PATH)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 8));
                    HASHI_RETURN_IF_ERROR(p->ofswitch.SetControllers(a));
                    return MgmtReply{"controllers set\n", {}};
                  });
  server.Register("del-controller", "del-controller", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
    HASHI_RETURN_IF_ERROR(p->ofswitch.SetControllers({}));
    return MgmtReply{"controllers removed\n", {}};
  });
  server.Register("set-fail-mode", "set-fail-mode standalone|secure", [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    if (a[0] != "standalone" && a[0] != "secure") return Status::Error("fail mode must be standalone or secure");
    p->ofswitch.SetFailMode(a[0] == "secure" ? ctl::FailMode::kSecure : ctl::FailMode::kStandalone);
    return MgmtReply{"fail mode " + a[0] + "\n", {}};
  });
  server.Register("trace", "trace PACKET (e.g. in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
                    const uint32_t now = static_cast<uint32_t>(rte_get_tsc_cycles() / rte_get_tsc_hz());
                    auto t = ctl::Trace(*p->datapath.tables(), *p->datapath.ports(), p->datapath.macs(), now, a[0]);
                    if (!t.ok()) return t.status();
                    MgmtReply r;
                    for (const std::string& l : t->lines) r.text += l + "\n";
                    r.data = {{"steps", t->lines}, {"outputs", t->outputs}, {"controller", t->to_controller},
                              {"dropped", t->dropped}};
                    return r;
                  });
  server.Register("stats", "stats [--clear]: per-worker loop and cycle figures (--clear resets the maxima)",
                  [p](const std::vector<std::string>& a) -> Result<MgmtReply> {
                    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 1));
                    if (a.size() == 1 && a[0] != "--clear") return Status::Error("unknown argument '" + a[0] + "'");
                    auto r = Stats(*p);
                    if (a.size() == 1) p->datapath.ClearLoopMaxima();
                    return r;
                  });
}

}  // namespace hashi::app
