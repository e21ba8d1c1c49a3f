// Trace: a read-only walk of the flow tables for one described packet.
#include "control/trace.h"

#include <algorithm>

#include "control/flow_parser.h"

namespace hashi::ctl {
namespace {

using dp::Action;
using dp::ActionType;

class Tracer {
 public:
  Tracer(const dp::TableSet& ts, const dp::PortMap& pm, const dp::MacTable& macs, uint32_t now)
      : ts_(ts), pm_(pm), macs_(macs), now_(now) {}

  TraceResult Run(dp::FlowKey key) {
    key_ = key;
    in_port_ = static_cast<uint32_t>(key.Get(dp::Field::kInPort));
    std::vector<Action> set;
    int t = 0;
    for (int depth = 0; depth < dp::kMaxTables; ++depth) {
      const dp::RuleRef* ref = ts_.Lookup(static_cast<uint8_t>(t), key_);
      if (ref == nullptr) {
        if (Miss(t)) {
          ++t;
          continue;
        }
        return std::move(r_);
      }
      const dp::FlowRule& rule = *ref->rule;
      Line("table " + std::to_string(t) + ": matched " + FormatFlow(rule));
      const dp::Instructions& ins = rule.instructions;
      if (ins.meter_id) Line("  meter " + std::to_string(ins.meter_id) + " (passes unless its rate is exceeded)");
      for (const Action& a : ins.apply) Apply(a, "  ");
      if (ins.clear_actions) set.clear();
      for (const Action& a : ins.write) {
        // The action set keeps one action per type (one set-field per field).
        std::erase_if(set, [&](const Action& o) {
          return o.type == a.type && (a.type != ActionType::kSetField || o.field == a.field);
        });
        set.push_back(a);
      }
      if (ins.write_metadata) {
        key_.SetMasked(dp::Field::kMetadata, ins.metadata_value, ins.metadata_mask);
        Line("  metadata is now " + Hex(key_.Get(dp::Field::kMetadata)));
      }
      if (ins.goto_table == dp::kNoGoto) break;
      Line("  goto table " + std::to_string(ins.goto_table));
      t = ins.goto_table;
    }
    if (!set.empty()) {
      Line("action set:");
      const bool has_group = std::any_of(set.begin(), set.end(), [](const Action& a) { return a.type == ActionType::kGroup; });
      for (const Action& a : set) {
        if (has_group && a.type == ActionType::kOutput) continue;  // a group overrides output
        Apply(a, "  ");
      }
    }
    if (r_.outputs.empty() && !r_.to_controller) {
      r_.dropped = true;
      Line("result: dropped (no output)");
    } else {
      std::string outs;
      for (uint32_t p : r_.outputs) outs += (outs.empty() ? "" : ",") + std::to_string(p);
      Line("result: output to " + (outs.empty() ? std::string("no port") : "port(s) " + outs) +
           (r_.to_controller ? " and the controller" : ""));
    }
    return std::move(r_);
  }

 private:
  static std::string Hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
  }
  void Line(const std::string& s) { r_.lines.push_back(s); }

  // The table-miss behaviour; true to continue at the next table.
  bool Miss(int t) {
    const std::string where = "table " + std::to_string(t) + ": no match, table-miss ";
    switch (ts_.miss(static_cast<uint8_t>(t))) {
      case dp::TableMiss::kContinue:
        Line(where + "continues to table " + std::to_string(t + 1));
        return true;
      case dp::TableMiss::kController:
        Line(where + "sends to the controller (reason no_match)");
        r_.to_controller = true;
        return false;
      case dp::TableMiss::kNormal:
        Line(where + "is NORMAL");
        Normal("  ");
        return false;
      case dp::TableMiss::kDrop:
        Line(where + "drops");
        r_.dropped = true;
        return false;
    }
    return false;
  }

  void Output(uint32_t port, const std::string& indent) {
    if (port == in_port_) {
      Line(indent + "output:" + std::to_string(port) + " is the ingress port: not sent (use IN_PORT)");
    } else if (pm_.Find(port) == nullptr) {
      Line(indent + "output:" + std::to_string(port) + ": no such port, dropped");
    } else {
      Line(indent + "output:" + std::to_string(port) + " (" + pm_.Find(port)->name + ")");
      r_.outputs.push_back(port);
    }
  }

  void Flood(bool all, const std::string& indent) {
    std::string list;
    for (uint16_t s = 0; s < pm_.slot_count(); ++s) {
      const dp::PortBinding& b = pm_.slot(s);
      if (b.ofport == in_port_ || !b.admin_up || (!all && !b.flood)) continue;
      r_.outputs.push_back(b.ofport);
      list += (list.empty() ? "" : ",") + std::to_string(b.ofport);
    }
    Line(indent + (all ? "ALL" : "FLOOD") + " to port(s) " + (list.empty() ? "none" : list));
  }

  void Normal(const std::string& indent) {
    const uint64_t dst = key_.Get(dp::Field::kEthDst);
    const uint16_t vid = static_cast<uint16_t>(key_.Get(dp::Field::kVlanTci) & dp::kVlanVidMask);
    const uint32_t port = (dst >> 40) & 1 ? 0 : macs_.Lookup(vid, dst, now_);
    if (port == 0) {
      Line(indent + "NORMAL: destination not learned (or multicast): flood");
      Flood(false, indent + "  ");
    } else if (port == in_port_) {
      Line(indent + "NORMAL: destination is on the ingress port: dropped");
    } else {
      Line(indent + "NORMAL: destination learned on port " + std::to_string(port));
      Output(port, indent + "  ");
    }
  }

  void Group(uint64_t id, const std::string& indent) {
    for (size_t i = 0; i < ts_.group_count(); ++i) {
      const dp::GroupRef& g = ts_.group(i);
      if (g.group->id != id) continue;
      static const char* kTypes[] = {"all", "select", "indirect", "fast_failover"};
      Line(indent + "group " + std::to_string(id) + " (" + kTypes[static_cast<int>(g.type)] + ", " +
           std::to_string(g.n_buckets) + " buckets)");
      for (uint16_t b = 0; b < g.n_buckets; ++b) {
        const bool chosen = g.type == dp::GroupType::kAll || g.type == dp::GroupType::kIndirect ||
                            (g.type == dp::GroupType::kFastFailover && g.buckets[b].live &&
                             std::none_of(g.buckets, g.buckets + b, [](const dp::BucketRef& x) { return x.live; }));
        Line(indent + "  bucket " + std::to_string(b) + (g.buckets[b].live ? "" : " (not live)") +
             (g.type == dp::GroupType::kSelect ? " (chosen by the flow's hash)" : ""));
        if (chosen || g.type == dp::GroupType::kSelect) {
          const dp::FlowKey saved = key_;
          for (uint16_t a = 0; a < g.buckets[b].n_actions; ++a) Apply(g.buckets[b].actions[a], indent + "    ");
          key_ = saved;
        }
      }
      return;
    }
    Line(indent + "group " + std::to_string(id) + ": no such group, dropped");
  }

  void Apply(const Action& a, const std::string& indent) {
    switch (a.type) {
      case ActionType::kOutput:
        switch (a.port) {
          case dp::kPortInPort:
            Line(indent + "IN_PORT");
            r_.outputs.push_back(in_port_);
            return;
          case dp::kPortFlood: return Flood(false, indent);
          case dp::kPortAll: return Flood(true, indent);
          case dp::kPortNormal: return Normal(indent);
          case dp::kPortController:
            Line(indent + "CONTROLLER (max_len " + std::to_string(a.value) + ")");
            r_.to_controller = true;
            return;
          default:
            return Output(a.port, indent);
        }
      case ActionType::kSetField:
        key_.SetMasked(a.field, a.value, a.mask);
        Line(indent + "set " + dp::InfoOf(a.field).name + " = " + Hex(key_.Get(a.field)));
        return;
      case ActionType::kPushVlan: Line(indent + "push_vlan"); return;
      case ActionType::kPopVlan: Line(indent + "pop_vlan"); return;
      case ActionType::kDecTtl: Line(indent + "dec_ttl"); return;
      case ActionType::kGroup: return Group(a.port, indent);
      case ActionType::kMeter: return;
    }
  }

  const dp::TableSet& ts_;
  const dp::PortMap& pm_;
  const dp::MacTable& macs_;
  uint32_t now_;
  dp::FlowKey key_{};
  uint32_t in_port_ = 0;
  TraceResult r_;
};

}  // namespace

Result<TraceResult> Trace(const dp::TableSet& tables, const dp::PortMap& ports, const dp::MacTable& macs,
                          uint32_t now_sec, const std::string& packet) {
  auto flow = ParseFlow(packet + " actions=drop");
  if (!flow.ok()) return Status::Error("bad packet description: " + flow.error());
  if (flow->mask.Get(dp::Field::kInPort) == 0) return Status::Error("the packet needs an in_port");
  return Tracer(tables, ports, macs, now_sec).Run(flow->match);
}

}  // namespace hashi::ctl
