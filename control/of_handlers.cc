// OfSwitch's handlers for the OpenFlow 1.3 messages that configure or
// drive the switch: one function per message type, each decoding through
// the pure codec and answering with the spec's reply or OFPT_ERROR.
#include "control/of_switch.h"

#include <rte_mbuf.h>

#include <cstring>

#include "common/log.h"

namespace hashi::ctl {
namespace {

bool ModifiesState(uint8_t type) {
  switch (type) {
    case of::kFlowMod: case of::kGroupMod: case of::kPortMod: case of::kTableMod: case of::kPacketOut:
    case of::kMeterMod:
      return true;
    default:
      return false;
  }
}

constexpr size_t kMaxRules = 1'000'000;  // OFPFMFC_TABLE_FULL beyond this

}  // namespace

void OfSwitch::OnMessage(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  if (c.role == of::kRoleSlave && ModifiesState(h.type)) {
    c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kIsSlave}, msg, len);
    return;
  }
  switch (h.type) {
    case of::kFeaturesRequest: return HandleFeatures(c, h);
    case of::kGetConfigRequest: return HandleGetConfig(c, h);
    case of::kSetConfig: return HandleSetConfig(c, h, msg, len);
    case of::kFlowMod: return HandleFlowMod(c, h, msg, len);
    case of::kPacketOut: return HandlePacketOut(c, h, msg, len);
    case of::kBarrierRequest: return HandleBarrier(c, h);
    case of::kMultipartRequest: return HandleMultipart(c, h, msg, len);
    case of::kRoleRequest: return HandleRoleRequest(c, h, msg, len);
    case of::kGetAsyncRequest: return HandleGetAsync(c, h);
    case of::kSetAsync: return HandleSetAsync(c, h, msg, len);
    case of::kPortMod: return HandlePortMod(c, h, msg, len);
    case of::kTableMod: return HandleTableMod(c, h, msg, len);
    case of::kGroupMod: return HandleGroupMod(c, h, msg, len);
    case of::kMeterMod: return HandleMeterMod(c, h, msg, len);
    case of::kQueueGetConfigRequest: {
      if (len != 16) return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadLen}, msg, len);
      // No queues are configured on any port: an empty list.
      std::vector<uint8_t> out;
      of::Writer w(out);
      const size_t at = w.Begin(of::kQueueGetConfigReply, h.xid);
      w.Bytes(msg + 8, 4);
      w.Zeros(4);
      w.End(at);
      return c.Send(out);
    }
    case of::kExperimenter:
      return HandleExperimenter(c, h, msg, len);
    default:
      // Replies and switch-to-controller messages: not requests.
      return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadType}, msg, len);
  }
}

void OfSwitch::HandleFeatures(of::Connection& c, const of::Header& h) {
  of::Features f;
  f.datapath_id = datapath_id_;
  f.n_buffers = buffer_.capacity();
  f.n_tables = dp::kMaxTables;
  f.capabilities = 0x1 | 0x2 | 0x4;  // OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS
  std::vector<uint8_t> out;
  of::EncodeFeaturesReply(out, h.xid, f);
  c.Send(out);
}

void OfSwitch::HandleGetConfig(of::Connection& c, const of::Header& h) {
  std::vector<uint8_t> out;
  of::EncodeGetConfigReply(out, h.xid, c.config);
  c.Send(out);
}

void OfSwitch::HandleSetConfig(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::SwitchConfig cfg;
  if (auto e = of::DecodeSetConfig(msg, len, &cfg)) return c.SendError(h.xid, *e, msg, len);
  c.config = cfg;
}

void OfSwitch::HandleFlowMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::FlowMod fm;
  if (auto e = of::DecodeFlowMod(msg, len, &fm)) return c.SendError(h.xid, *e, msg, len);
  if (auto e = ApplyFlowMod(fm)) return c.SendError(h.xid, *e, msg, len);
  if (fm.buffer_id != of::kNoBuffer && fm.command != of::kDelete && fm.command != of::kDeleteStrict) {
    // Apply the new rule to the buffered packet: commit, then send it
    // through the tables (OFPP_TABLE), as the spec asks.
    uint32_t in_port = 0;
    of::OfError err;
    rte_mbuf* m = buffer_.Take(fm.buffer_id, &in_port, &err);
    if (m == nullptr) return c.SendError(h.xid, err, msg, len);
    MaybeCommit(SteadyNowNs(), true);
    dp::Action table;
    table.port = dp::kPortTable;
    (void)InjectPacket(m, in_port, {table});  // a malformed buffered packet is counted and dropped
  }
}

std::optional<of::OfError> OfSwitch::ApplyFlowMod(of::FlowMod& fm) {
  const bool is_delete = fm.command == of::kDelete || fm.command == of::kDeleteStrict;
  if (!is_delete) {
    const dp::Instructions& ins = fm.instructions.ins;
    if (ins.meter_id != 0 && !flows_.HasMeter(ins.meter_id)) {
      return of::OfError{of::kMeterModFailed, of::meter_mod_failed::kUnknownMeter};
    }
    if (flows_.MissingGroup(ins)) return of::OfError{of::kBadAction, of::bad_action::kBadOutGroup};
  }
  FlowFilter filter;
  filter.table = fm.table_id == of::kTableAll ? FlowFilter::kAllTables : fm.table_id;
  filter.match = fm.match;
  filter.mask = fm.mask;
  filter.priority = fm.priority;
  filter.strict = fm.command == of::kModifyStrict || fm.command == of::kDeleteStrict;
  filter.cookie = fm.cookie;
  filter.cookie_mask = fm.cookie_mask;
  switch (fm.command) {
    case of::kAdd: {
      dp::FlowRule rule;
      rule.table_id = fm.table_id;
      rule.priority = fm.priority;
      rule.cookie = fm.cookie;
      rule.match = fm.match;
      rule.mask = fm.mask;
      rule.instructions = fm.instructions.ins;
      rule.idle_timeout = fm.idle_timeout;
      rule.hard_timeout = fm.hard_timeout;
      rule.flags = fm.flags;
      if ((fm.flags & of::kCheckOverlap) && flows_.Overlaps(rule)) {
        return of::OfError{of::kFlowModFailed, of::flow_mod_failed::kOverlap};
      }
      if (flows_.size() >= kMaxRules) return of::OfError{of::kFlowModFailed, of::flow_mod_failed::kTableFull};
      if (Status s = flows_.Add(std::move(rule)); !s.ok()) {
        return of::OfError{of::kFlowModFailed, of::flow_mod_failed::kUnknown};
      }
      break;
    }
    case of::kModify:
    case of::kModifyStrict:
      flows_.Modify(filter, fm.instructions.ins, fm.flags & of::kResetCounts);
      break;
    case of::kDelete:
    case of::kDeleteStrict:
      filter.out_port = fm.out_port;
      filter.out_group = fm.out_group;
      flows_.Delete(filter);
      break;
  }
  return std::nullopt;
}

rte_mbuf* OfSwitch::MakePacket(const uint8_t* data, size_t len) {
  auto pool = ports_.ControlPool();
  if (!pool.ok()) return nullptr;
  rte_mbuf* m = rte_pktmbuf_alloc(*pool);
  if (m == nullptr) return nullptr;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(p, data, len);
  return m;
}

bool OfSwitch::InjectPacket(rte_mbuf* m, uint32_t in_port, const std::vector<dp::Action>& actions) {
  dp::WorkerContext& ctx = datapath_.control_context();
  const bool parsed = dp::ProcessPacketOut(ctx, *datapath_.tables(), *datapath_.ports(), in_port, m,
                                           actions.data(), static_cast<uint16_t>(actions.size()),
                                           datapath_.tunnels());
  dp::FlushTx(ctx);
  return parsed;
}

bool OfSwitch::InjectFrame(const uint8_t* data, size_t len, uint32_t in_port) {
  rte_mbuf* m = MakePacket(data, len);
  if (m == nullptr) return false;
  dp::Action table;
  table.type = dp::ActionType::kOutput;
  table.port = dp::kPortTable;
  return InjectPacket(m, in_port, {table});
}

void OfSwitch::HandlePacketOut(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::PacketOut po;
  if (auto e = of::DecodePacketOut(msg, len, &po)) return c.SendError(h.xid, *e, msg, len);
  rte_mbuf* m = nullptr;
  if (po.buffer_id != of::kNoBuffer) {
    uint32_t buffered_in_port = 0;
    of::OfError err;
    m = buffer_.Take(po.buffer_id, &buffered_in_port, &err);
    if (m == nullptr) return c.SendError(h.xid, err, msg, len);
  } else {
    if (po.data_len < 14 || po.data_len > 9216) {
      return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadPacket}, msg, len);
    }
    m = MakePacket(po.data, po.data_len);
    if (m == nullptr) return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBufferEmpty}, msg, len);
  }
  for (const dp::Action& a : po.actions) {
    if (a.type == dp::ActionType::kOutput && a.port == dp::kPortTable) MaybeCommit(SteadyNowNs(), true);
  }
  if (!InjectPacket(m, po.in_port, po.actions)) {
    c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadPacket}, msg, len);
  }
}

void OfSwitch::HandleBarrier(of::Connection& c, const of::Header& h) {
  // Commit first: the reply promises every earlier change is in force.
  MaybeCommit(SteadyNowNs(), true);
  std::vector<uint8_t> out;
  of::EncodeSimple(out, of::kBarrierReply, h.xid);
  c.Send(out);
}

void OfSwitch::HandleRoleRequest(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::RoleRequest r;
  if (auto e = of::DecodeRoleRequest(msg, len, &r)) return c.SendError(h.xid, *e, msg, len);
  if (r.role == of::kRoleMaster || r.role == of::kRoleSlave) {
    if (generation_id_set_ && static_cast<int64_t>(r.generation_id - generation_id_) < 0) {
      return c.SendError(h.xid, of::OfError{of::kRoleRequestFailed, of::role_failed::kStale}, msg, len);
    }
    generation_id_ = r.generation_id;
    generation_id_set_ = true;
  }
  if (r.role == of::kRoleMaster) {
    for (Conn& other : conns_) {
      if (other.c.get() != &c && other.c->role == of::kRoleMaster) other.c->role = of::kRoleSlave;
    }
  }
  if (r.role != of::kRoleNoChange) c.role = r.role;
  std::vector<uint8_t> out;
  of::EncodeRoleReply(out, h.xid, of::RoleRequest{c.role, generation_id_});
  c.Send(out);
}

void OfSwitch::HandleGetAsync(of::Connection& c, const of::Header& h) {
  std::vector<uint8_t> out;
  of::EncodeGetAsyncReply(out, h.xid, c.async);
  c.Send(out);
}

void OfSwitch::HandleSetAsync(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::AsyncConfig a;
  if (auto e = of::DecodeSetAsync(msg, len, &a)) return c.SendError(h.xid, *e, msg, len);
  c.async = a;
  bool ttl = false;
  for (const Conn& conn : conns_) ttl |= ((conn.c->async.packet_in[0] | conn.c->async.packet_in[1]) >> 2) & 1;
  datapath_.set_invalid_ttl_to_controller(ttl);
}

void OfSwitch::HandlePortMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::PortMod pm;
  if (auto e = of::DecodePortMod(msg, len, &pm)) return c.SendError(h.xid, *e, msg, len);
  auto port = ports_.Find(pm.port_no);
  if (!port.ok()) return c.SendError(h.xid, of::OfError{of::kPortModFailed, of::port_mod_failed::kBadPort}, msg, len);
  if (pm.hw_addr != port->mac) {
    return c.SendError(h.xid, of::OfError{of::kPortModFailed, of::port_mod_failed::kBadHwAddr}, msg, len);
  }
  uint32_t& cfg = port_config_[pm.port_no];
  cfg = (cfg & ~pm.mask) | (pm.config & pm.mask);
  const bool down = cfg & of::kPortConfigDown;
  const bool forward = !down && !(cfg & of::kPortConfigNoFwd);
  const bool receive = !down && !(cfg & of::kPortConfigNoRecv);
  if (Status s = ports_.SetForwarding(pm.port_no, forward, receive); !s.ok()) {
    HASHI_LOG_WARN("openflow", "port-mod %u: %s", pm.port_no, s.message().c_str());
    return c.SendError(h.xid, of::OfError{of::kPortModFailed, of::port_mod_failed::kEperm}, msg, len);
  }
  if (auto updated = ports_.Find(pm.port_no); updated.ok()) SendPortStatus(of::kPortModify, *updated);
}

void OfSwitch::HandleTableMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::TableMod tm;
  if (auto e = of::DecodeTableMod(msg, len, &tm)) return c.SendError(h.xid, *e, msg, len);
  // OpenFlow 1.3 defines no table configuration besides deprecated bits.
}

void OfSwitch::HandleGroupMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::GroupMod gm;
  if (auto e = of::DecodeGroupMod(msg, len, &gm)) return c.SendError(h.xid, *e, msg, len);
  const uint32_t id = gm.group.id;
  switch (gm.command) {
    case of::kGroupAdd:
      if (flows_.HasGroup(id)) {
        return c.SendError(h.xid, of::OfError{of::kGroupModFailed, of::group_mod_failed::kGroupExists}, msg, len);
      }
      if (flows_.group_count() >= 65536) {
        return c.SendError(h.xid, of::OfError{of::kGroupModFailed, of::group_mod_failed::kOutOfGroups}, msg, len);
      }
      flows_.SetGroup(std::move(gm.group));
      break;
    case of::kGroupModify:
      if (!flows_.HasGroup(id)) {
        return c.SendError(h.xid, of::OfError{of::kGroupModFailed, of::group_mod_failed::kUnknownGroup}, msg, len);
      }
      flows_.SetGroup(std::move(gm.group));
      break;
    case of::kGroupDelete:
      flows_.DeleteGroup(id);  // also removes the rules that send to it
      break;
  }
}

void OfSwitch::HandleMeterMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::MeterMod mm;
  if (auto e = of::DecodeMeterMod(msg, len, &mm)) return c.SendError(h.xid, *e, msg, len);
  const uint32_t id = mm.config.id;
  switch (mm.command) {
    case of::kMeterAdd:
      if (flows_.HasMeter(id)) {
        return c.SendError(h.xid, of::OfError{of::kMeterModFailed, of::meter_mod_failed::kMeterExists}, msg, len);
      }
      if (flows_.meter_count() >= 65536) {
        return c.SendError(h.xid, of::OfError{of::kMeterModFailed, of::meter_mod_failed::kOutOfMeters}, msg, len);
      }
      flows_.SetMeter(mm.config);
      break;
    case of::kMeterModify:
      if (!flows_.HasMeter(id)) {
        return c.SendError(h.xid, of::OfError{of::kMeterModFailed, of::meter_mod_failed::kUnknownMeter}, msg, len);
      }
      flows_.SetMeter(mm.config);
      break;
    case of::kMeterDelete:
      flows_.DeleteMeter(id);  // also removes the rules that use it
      break;
  }
}

}  // namespace hashi::ctl
