// OfSwitch's MULTIPART handlers: desc, flow, aggregate, table, table
// features, port stats, port desc, queue, group, group desc, group
// features, meter, meter config and meter features.
#include <rte_ethdev.h>

#include <algorithm>
#include <functional>

#include "control/of_switch.h"

namespace hashi::ctl {
namespace {

constexpr uint32_t kFeature10GbFd = 1 << 6;  // OFPPF_10GB_FD
constexpr uint32_t kFeatureCopper = 1 << 11;

// ofp_table_feature_prop_type
enum : uint16_t {
  kTfInstructions = 0, kTfNextTables = 2, kTfWriteActions = 4, kTfApplyActions = 6, kTfMatch = 8,
  kTfWildcards = 10, kTfWriteSetfield = 12, kTfApplySetfield = 14,
};

void Property(of::Writer& w, uint16_t type, const std::function<void()>& body) {
  const size_t start = w.size();
  w.U16(type);
  w.U16(0);
  body();
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  w.PadTo8(start);
}

void EncodeTableFeatures(of::Writer& w, uint8_t table) {
  const size_t start = w.size();
  w.U16(0);
  w.U8(table);
  w.Zeros(5);
  w.FixedString("table" + std::to_string(table), 32);
  w.U64(~0ull);  // metadata_match
  w.U64(~0ull);  // metadata_write
  w.U32(0);      // config
  w.U32(1000000);
  Property(w, kTfInstructions, [&] {
    for (uint16_t t : {1, 2, 3, 4, 5}) {
      if (t == 1 && table + 1 >= dp::kMaxTables) continue;
      w.U16(t);
      w.U16(4);
    }
  });
  Property(w, kTfNextTables, [&] {
    for (int t = table + 1; t < dp::kMaxTables; ++t) w.U8(static_cast<uint8_t>(t));
  });
  auto actions = [&] {
    for (uint16_t t : {0, 17, 18, 23, 24, 25}) {  // output, push/pop vlan, set/dec nw ttl, set-field
      w.U16(t);
      w.U16(4);
    }
  };
  Property(w, kTfWriteActions, actions);
  Property(w, kTfApplyActions, actions);
  auto headers = [&](bool settable, bool maskable) {
    return [&w, settable, maskable] {
      for (uint32_t hdr : of::OxmHeaders(settable, maskable)) w.U32(hdr);
    };
  };
  Property(w, kTfMatch, headers(false, false));
  Property(w, kTfWildcards, headers(false, true));
  Property(w, kTfWriteSetfield, headers(true, false));
  Property(w, kTfApplySetfield, headers(true, false));
  w.Patch16(start, static_cast<uint16_t>(w.size() - start));
}

}  // namespace

of::PortDesc OfSwitch::DescribePort(const PortInfo& p) const {
  of::PortDesc d;
  d.port_no = p.spec.ofport;
  d.hw_addr = p.mac;
  d.name = p.spec.name;
  const auto cfg = port_config_.find(p.spec.ofport);
  d.config = cfg == port_config_.end() ? 0 : cfg->second;
  d.state = p.link_up ? of::kPortStateLive : of::kPortStateLinkDown;
  d.curr = d.advertised = d.supported = p.tunnel ? 0 : kFeature10GbFd | kFeatureCopper;
  d.curr_speed = p.link_speed_mbps * 1000;
  d.max_speed = d.curr_speed;
  return d;
}

void OfSwitch::ReplyFlowStats(std::vector<uint8_t>& out, uint32_t xid, const of::FlowStatsRequest& r,
                              bool aggregate) {
  FlowFilter f;
  f.table = r.table_id == of::kTableAll ? FlowFilter::kAllTables : r.table_id;
  f.match = r.match;
  f.mask = r.mask;
  f.cookie = r.cookie;
  f.cookie_mask = r.cookie_mask;
  f.out_port = r.out_port;
  std::vector<FlowStats> stats;
  f.out_group = r.out_group;
  stats = flows_.Dump(&f);
  std::sort(stats.begin(), stats.end(), [](const FlowStats& a, const FlowStats& b) {
    if (a.rule->table_id != b.rule->table_id) return a.rule->table_id < b.rule->table_id;
    return a.rule->priority > b.rule->priority;
  });
  of::MultipartReply reply(out, aggregate ? of::kMpAggregate : of::kMpFlow, xid);
  if (aggregate) {
    uint64_t packets = 0, bytes = 0;
    for (const FlowStats& s : stats) {
      if (!(s.rule->flags & of::kNoPktCounts)) packets += s.packets;
      if (!(s.rule->flags & of::kNoBytCounts)) bytes += s.bytes;
    }
    of::Writer& w = reply.item();
    w.U64(packets);
    w.U64(bytes);
    w.U32(static_cast<uint32_t>(stats.size()));
    w.Zeros(4);
    reply.EndItem();
  } else {
    for (const FlowStats& s : stats) {
      const dp::FlowRule& rule = *s.rule;
      of::FlowStatsEntry e;
      e.table_id = rule.table_id;
      e.duration_sec = static_cast<uint32_t>(s.age_ns / 1000000000ull);
      e.duration_nsec = static_cast<uint32_t>(s.age_ns % 1000000000ull);
      e.priority = rule.priority;
      e.idle_timeout = rule.idle_timeout;
      e.hard_timeout = rule.hard_timeout;
      e.flags = rule.flags;
      e.cookie = rule.cookie;
      e.packet_count = (rule.flags & of::kNoPktCounts) ? ~0ull : s.packets;
      e.byte_count = (rule.flags & of::kNoBytCounts) ? ~0ull : s.bytes;
      e.match = &rule.match;
      e.mask = &rule.mask;
      e.instructions = &rule.instructions;
      of::EncodeFlowStats(reply.item(), e);
      reply.EndItem();
    }
  }
  reply.Finish();
}

void OfSwitch::ReplyTableStats(std::vector<uint8_t>& out, uint32_t xid) {
  const std::vector<TableStat> stats = flows_.TableStats();
  of::MultipartReply reply(out, of::kMpTable, xid);
  for (int t = 0; t < dp::kMaxTables; ++t) {
    of::Writer& w = reply.item();
    w.U8(static_cast<uint8_t>(t));
    w.Zeros(3);
    w.U32(static_cast<uint32_t>(stats[t].active));
    w.U64(stats[t].lookups);
    w.U64(stats[t].matched);
    reply.EndItem();
  }
  reply.Finish();
}

void OfSwitch::ReplyPortStats(std::vector<uint8_t>& out, uint32_t xid, uint32_t port_no) {
  const dp::DatapathTotals t = datapath_.Totals();
  const uint64_t now = SteadyNowNs();
  of::MultipartReply reply(out, of::kMpPortStats, xid);
  for (const PortInfo& p : ports_.List()) {
    if (port_no != dp::kPortAny && p.spec.ofport != port_no) continue;
    rte_eth_stats hw{};
    if (!p.tunnel) rte_eth_stats_get(p.eth_port, &hw);
    const dp::PortCounters& c = t.ports[p.counter_index];
    of::PortStats s;
    s.port_no = p.spec.ofport;
    s.rx_packets = c.rx_packets;
    s.rx_bytes = c.rx_bytes;
    s.tx_packets = c.tx_packets;
    s.tx_bytes = c.tx_bytes;
    s.tx_dropped = c.tx_dropped;
    s.rx_dropped = hw.imissed + hw.rx_nombuf;
    s.rx_errors = hw.ierrors;
    s.tx_errors = hw.oerrors;
    const uint64_t age = now - p.opened_ns;
    s.duration_sec = static_cast<uint32_t>(age / 1000000000ull);
    s.duration_nsec = static_cast<uint32_t>(age % 1000000000ull);
    of::EncodePortStats(reply.item(), s);
    reply.EndItem();
  }
  reply.Finish();
}

void OfSwitch::ReplyPortDesc(std::vector<uint8_t>& out, uint32_t xid) {
  of::MultipartReply reply(out, of::kMpPortDesc, xid);
  for (const PortInfo& p : ports_.List()) {
    of::EncodePortDesc(reply.item(), DescribePort(p));
    reply.EndItem();
  }
  reply.Finish();
}

void OfSwitch::ReplyTableFeatures(std::vector<uint8_t>& out, uint32_t xid) {
  of::MultipartReply reply(out, of::kMpTableFeatures, xid);
  for (int t = 0; t < dp::kMaxTables; ++t) {
    EncodeTableFeatures(reply.item(), static_cast<uint8_t>(t));
    reply.EndItem();
  }
  reply.Finish();
}

void OfSwitch::ReplyGroups(std::vector<uint8_t>& out, uint32_t xid, uint16_t type, uint32_t group_id) {
  of::MultipartReply reply(out, type, xid);
  if (type == of::kMpGroupFeatures) {
    of::EncodeGroupFeatures(reply.item());
    reply.EndItem();
  } else {
    for (const GroupStats& g : flows_.DumpGroups()) {
      if (type == of::kMpGroup && group_id != of::kGroupAll && g.group->id != group_id) continue;
      if (type == of::kMpGroupDesc) {
        of::EncodeGroupDesc(reply.item(), *g.group);
      } else {
        of::GroupStatsEntry e{g.group->id, g.ref_count, g.total.packets, g.total.bytes,
                              static_cast<uint32_t>(g.age_ns / 1000000000ull),
                              static_cast<uint32_t>(g.age_ns % 1000000000ull), {}};
        for (const dp::RuleCounters& b : g.buckets) e.buckets.emplace_back(b.packets, b.bytes);
        of::EncodeGroupStats(reply.item(), e);
      }
      reply.EndItem();
    }
  }
  reply.Finish();
}

void OfSwitch::ReplyMeters(std::vector<uint8_t>& out, uint32_t xid, uint16_t type, uint32_t meter_id) {
  of::MultipartReply reply(out, type, xid);
  if (type == of::kMpMeterFeatures) {
    of::EncodeMeterFeatures(reply.item());
    reply.EndItem();
  } else {
    for (const MeterStats& m : flows_.DumpMeters()) {
      const dp::MeterConfig& cfg = m.meter->config();
      if (meter_id != of::kMeterAll && cfg.id != meter_id) continue;
      if (type == of::kMpMeterConfig) {
        of::EncodeMeterConfig(reply.item(), cfg);
      } else {
        of::MeterStatsEntry e{cfg.id, m.flow_count, m.meter->packets_in(), m.meter->bytes_in(),
                              static_cast<uint32_t>(m.age_ns / 1000000000ull),
                              static_cast<uint32_t>(m.age_ns % 1000000000ull), {}};
        for (size_t b = 0; b < m.meter->band_count(); ++b) {
          e.bands.emplace_back(m.meter->band(b).packets.load(), m.meter->band(b).bytes.load());
        }
        of::EncodeMeterStats(reply.item(), e);
      }
      reply.EndItem();
    }
  }
  reply.Finish();
}

void OfSwitch::HandleMultipart(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::MultipartRequest r;
  if (auto e = of::DecodeMultipartRequest(msg, len, &r)) return c.SendError(h.xid, *e, msg, len);
  std::vector<uint8_t> out;
  switch (r.type) {
    case of::kMpDesc: {
      of::MultipartReply reply(out, of::kMpDesc, h.xid);
      of::EncodeDesc(reply.item(), of::DescStats{"hashi project", "hashi DPDK userspace switch",
                                                  "hashi 0.3 (DPDK 22.11)", "None", "hashi datapath"});
      reply.EndItem();
      reply.Finish();
      break;
    }
    case of::kMpFlow:
    case of::kMpAggregate:
      ReplyFlowStats(out, h.xid, r.flow, r.type == of::kMpAggregate);
      break;
    case of::kMpTable:
      ReplyTableStats(out, h.xid);
      break;
    case of::kMpTableFeatures:
      ReplyTableFeatures(out, h.xid);
      break;
    case of::kMpPortStats:
    case of::kMpQueue:
      if (r.port_no != dp::kPortAny && !ports_.Find(r.port_no).ok()) {
        return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadPort}, msg, len);
      }
      if (r.type == of::kMpPortStats) {
        ReplyPortStats(out, h.xid, r.port_no);
      } else {
        of::MultipartReply(out, of::kMpQueue, h.xid).Finish();  // no queues
      }
      break;
    case of::kMpPortDesc:
      ReplyPortDesc(out, h.xid);
      break;
    case of::kMpGroup:
    case of::kMpGroupDesc:
    case of::kMpGroupFeatures:
      ReplyGroups(out, h.xid, r.type, r.id);
      break;
    case of::kMpMeter:
    case of::kMpMeterConfig:
    case of::kMpMeterFeatures:
      ReplyMeters(out, h.xid, r.type, r.id);
      break;
    default:
      return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadMultipart}, msg, len);
  }
  c.Send(out);
}

}  // namespace hashi::ctl
