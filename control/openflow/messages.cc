// Decoders and encoders for the OpenFlow 1.3 messages a switch handles
// (structures from section 7 of the 1.3.5 spec).
#include "control/openflow/messages.h"

namespace hashi::of {
namespace {

constexpr OfError kBadLen{kBadRequest, bad_request::kBadLen};

// A reader over the body of msg (after the 8-byte header).
Reader Body(const uint8_t* msg, size_t len) { return Reader(msg + kHeaderLen, len - kHeaderLen); }

bool ValidInPort(uint32_t port) {
  return (port >= 1 && port <= dp::kPortMax) || port == dp::kPortController || port == dp::kPortLocal ||
         port == dp::kPortAny;
}

}  // namespace

Header ParseHeader(const uint8_t* p) {
  Reader r(p, kHeaderLen);
  Header h;
  h.version = r.U8();
  h.type = r.U8();
  h.length = r.U16();
  h.xid = r.U32();
  return h;
}

std::optional<OfError> DecodeHello(const uint8_t* msg, size_t len, Hello* out) {
  const Header h = ParseHeader(msg);
  // Without a bitmap the peer supports every version up to its header's.
  out->versions = h.version >= 31 ? 0xfffffffeu : ((1u << (h.version + 1)) - 2);
  Reader r = Body(msg, len);
  while (r.Has(4)) {
    const uint16_t type = r.U16();
    const uint16_t elen = r.U16();
    if (elen < 4 || !r.Has(elen - 4u)) break;  // unknown or truncated elements are ignored
    Reader e = r.Sub(elen - 4u);
    const size_t pad = (8u - elen % 8u) % 8u;  // elements are padded to 8 bytes
    r.Skip(pad < r.remaining() ? pad : r.remaining());
    if (type == 1 && e.Has(4)) out->versions = e.U32();  // OFPHET_VERSIONBITMAP, first word
  }
  return std::nullopt;
}

std::optional<OfError> DecodeSetConfig(const uint8_t* msg, size_t len, SwitchConfig* out) {
  if (len != 12) return kBadLen;
  Reader r = Body(msg, len);
  out->flags = r.U16();
  out->miss_send_len = r.U16();
  if (out->flags != 0) return OfError{kSwitchConfigFailed, switch_config_failed::kBadFlags};
  return std::nullopt;
}

std::optional<OfError> DecodeFlowMod(const uint8_t* msg, size_t len, FlowMod* out) {
  if (len < 56) return kBadLen;
  Reader r = Body(msg, len);
  out->cookie = r.U64();
  out->cookie_mask = r.U64();
  out->table_id = r.U8();
  out->command = r.U8();
  out->idle_timeout = r.U16();
  out->hard_timeout = r.U16();
  out->priority = r.U16();
  out->buffer_id = r.U32();
  out->out_port = r.U32();
  out->out_group = r.U32();
  out->flags = r.U16();
  r.Skip(2);
  if (out->command > kDeleteStrict) return OfError{kFlowModFailed, flow_mod_failed::kBadCommand};
  const bool is_delete = out->command == kDelete || out->command == kDeleteStrict;
  if (out->table_id == kTableAll && !is_delete) {
    return OfError{kFlowModFailed, flow_mod_failed::kBadTableId};
  }
  if (out->flags & ~0x1fu) return OfError{kFlowModFailed, flow_mod_failed::kBadFlags};
  if (auto e = DecodeMatch(r, &out->match, &out->mask)) return e;
  ActionContext ctx{&out->match, &out->mask, false};
  const uint8_t table = out->table_id == kTableAll ? 0 : out->table_id;
  return DecodeInstructions(r.Sub(r.remaining()), table, ctx, &out->instructions);
}

std::optional<OfError> DecodePacketOut(const uint8_t* msg, size_t len, PacketOut* out) {
  if (len < 24) return kBadLen;
  Reader r = Body(msg, len);
  out->buffer_id = r.U32();
  out->in_port = r.U32();
  const uint16_t actions_len = r.U16();
  r.Skip(6);
  if (!r.Has(actions_len)) return kBadLen;
  if (!ValidInPort(out->in_port)) return OfError{kBadRequest, bad_request::kBadPort};
  ActionContext ctx;
  ctx.packet_out = true;
  if (auto e = DecodeActions(r.Sub(actions_len), ctx, &out->actions)) return e;
  out->data = r.here();
  out->data_len = r.remaining();
  return std::nullopt;
}

std::optional<OfError> DecodeMultipartRequest(const uint8_t* msg, size_t len, MultipartRequest* out) {
  if (len < 16) return kBadLen;
  Reader r = Body(msg, len);
  out->type = r.U16();
  out->flags = r.U16();
  r.Skip(4);
  auto fixed = [&](size_t n) -> std::optional<OfError> {
    if (r.remaining() != n) return kBadLen;
    return std::nullopt;
  };
  switch (out->type) {
    case kMpDesc: case kMpTable: case kMpGroupDesc: case kMpGroupFeatures: case kMpMeterFeatures:
    case kMpPortDesc:
      return fixed(0);
    case kMpTableFeatures:
      if (r.remaining() != 0) return OfError{kTableFeaturesFailed, 5};  // OFPTFFC_EPERM: read-only
      return std::nullopt;
    case kMpFlow:
    case kMpAggregate: {
      if (r.remaining() < 40) return kBadLen;
      FlowStatsRequest& f = out->flow;
      f.table_id = r.U8();
      r.Skip(3);
      f.out_port = r.U32();
      f.out_group = r.U32();
      r.Skip(4);
      f.cookie = r.U64();
      f.cookie_mask = r.U64();
      if (auto e = DecodeMatch(r, &f.match, &f.mask)) return e;
      return fixed(0);
    }
    case kMpPortStats:
    case kMpQueue:
      if (auto e = fixed(8)) return e;
      out->port_no = r.U32();
      out->queue_id = r.U32();
      if (out->port_no == 0 || (out->port_no > dp::kPortMax && out->port_no != dp::kPortAny &&
                                out->port_no != dp::kPortLocal)) {
        return OfError{kBadRequest, bad_request::kBadPort};
      }
      return std::nullopt;
    case kMpGroup: case kMpMeter: case kMpMeterConfig:
      if (auto e = fixed(8)) return e;
      out->id = r.U32();
      return std::nullopt;
    case kMpExperimenter:
      return OfError{kBadRequest, bad_request::kBadExperimenter};
    default:
      return OfError{kBadRequest, bad_request::kBadMultipart};
  }
}

std::optional<OfError> DecodeRoleRequest(const uint8_t* msg, size_t len, RoleRequest* out) {
  if (len != 24) return kBadLen;
  Reader r = Body(msg, len);
  out->role = r.U32();
  r.Skip(4);
  out->generation_id = r.U64();
  if (out->role > kRoleSlave) return OfError{kRoleRequestFailed, role_failed::kBadRole};
  return std::nullopt;
}

std::optional<OfError> DecodeSetAsync(const uint8_t* msg, size_t len, AsyncConfig* out) {
  if (len != 32) return kBadLen;
  Reader r = Body(msg, len);
  for (auto& m : out->packet_in) m = r.U32();
  for (auto& m : out->port_status) m = r.U32();
  for (auto& m : out->flow_removed) m = r.U32();
  return std::nullopt;
}

std::optional<OfError> DecodePortMod(const uint8_t* msg, size_t len, PortMod* out) {
  if (len != 40) return kBadLen;
  Reader r = Body(msg, len);
  out->port_no = r.U32();
  r.Skip(4);
  out->hw_addr = r.Take(6);
  r.Skip(2);
  out->config = r.U32();
  out->mask = r.U32();
  out->advertise = r.U32();
  constexpr uint32_t kKnownConfig = kPortConfigDown | kPortConfigNoRecv | kPortConfigNoFwd | kPortConfigNoPacketIn;
  if ((out->config | out->mask) & ~kKnownConfig) return OfError{kPortModFailed, port_mod_failed::kBadConfig};
  return std::nullopt;
}

std::optional<OfError> DecodeTableMod(const uint8_t* msg, size_t len, TableMod* out) {
  if (len != 16) return kBadLen;
  Reader r = Body(msg, len);
  out->table_id = r.U8();
  r.Skip(3);
  out->config = r.U32();
  if (out->table_id != kTableAll && out->table_id >= dp::kMaxTables) {
    return OfError{kTableModFailed, table_mod_failed::kBadTable};
  }
  if (out->config & ~3u) return OfError{kTableModFailed, table_mod_failed::kBadConfig};
  return std::nullopt;
}

std::optional<OfError> DecodePacketIn(const uint8_t* msg, size_t len, PacketIn* out) {
  if (len < 34) return kBadLen;
  Reader r = Body(msg, len);
  out->buffer_id = r.U32();
  out->total_len = r.U16();
  out->reason = r.U8();
  out->table_id = r.U8();
  out->cookie = r.U64();
  if (auto e = DecodeMatch(r, &out->match, &out->mask)) return e;
  r.Skip(2);
  if (!r.ok()) return kBadLen;
  out->data = r.here();
  out->data_len = r.remaining();
  return std::nullopt;
}

// ---- Encoders ----

void EncodeHello(std::vector<uint8_t>& out, uint32_t xid) {
  Writer w(out);
  const size_t at = w.Begin(kHello, xid);
  w.U16(1);  // OFPHET_VERSIONBITMAP
  w.U16(8);
  w.U32(1u << kVersion13);
  w.End(at);
}

void EncodeError(std::vector<uint8_t>& out, uint32_t xid, OfError e, const uint8_t* data, size_t len,
                 uint8_t version) {
  Writer w(out);
  const size_t at = w.Begin(kError, xid, version);
  if (e.type == kBundleFailedType) {  // 1.3: ofp_error_experimenter_msg, ONF code 2300 + n
    w.U16(0xffff);
    w.U16(static_cast<uint16_t>(kOnfBundleControl + e.code));
    w.U32(kOnfExperimenterId);
  } else {
    w.U16(e.type);
    w.U16(e.code);
  }
  if (data != nullptr) w.Bytes(data, len < 64 ? len : 64);
  w.End(at);
}

void EncodeEcho(std::vector<uint8_t>& out, uint8_t type, uint32_t xid, const uint8_t* data, size_t len) {
  Writer w(out);
  const size_t at = w.Begin(type, xid);
  if (len > kMaxMessageLen - kHeaderLen) len = kMaxMessageLen - kHeaderLen;
  if (data != nullptr) w.Bytes(data, len);
  w.End(at);
}

void EncodeSimple(std::vector<uint8_t>& out, uint8_t type, uint32_t xid) {
  Writer w(out);
  w.End(w.Begin(type, xid));
}

void EncodeFeaturesReply(std::vector<uint8_t>& out, uint32_t xid, const Features& f) {
  Writer w(out);
  const size_t at = w.Begin(kFeaturesReply, xid);
  w.U64(f.datapath_id);
  w.U32(f.n_buffers);
  w.U8(f.n_tables);
  w.U8(0);  // auxiliary_id: main connection
  w.Zeros(2);
  w.U32(f.capabilities);
  w.U32(0);
  w.End(at);
}

void EncodeGetConfigReply(std::vector<uint8_t>& out, uint32_t xid, const SwitchConfig& c) {
  Writer w(out);
  const size_t at = w.Begin(kGetConfigReply, xid);
  w.U16(c.flags);
  w.U16(c.miss_send_len);
  w.End(at);
}

void EncodeRoleReply(std::vector<uint8_t>& out, uint32_t xid, const RoleRequest& r) {
  Writer w(out);
  const size_t at = w.Begin(kRoleReply, xid);
  w.U32(r.role);
  w.Zeros(4);
  w.U64(r.generation_id);
  w.End(at);
}

void EncodeGetAsyncReply(std::vector<uint8_t>& out, uint32_t xid, const AsyncConfig& a) {
  Writer w(out);
  const size_t at = w.Begin(kGetAsyncReply, xid);
  for (uint32_t m : a.packet_in) w.U32(m);
  for (uint32_t m : a.port_status) w.U32(m);
  for (uint32_t m : a.flow_removed) w.U32(m);
  w.End(at);
}

void EncodePacketIn(std::vector<uint8_t>& out, const PacketIn& p) {
  Writer w(out);
  const size_t at = w.Begin(kPacketIn, 0);
  w.U32(p.buffer_id);
  w.U16(p.total_len);
  w.U8(p.reason);
  w.U8(p.table_id);
  w.U64(p.cookie);
  EncodeMatch(w, p.match, p.mask);
  w.Zeros(2);
  size_t n = p.data_len;
  if (w.size() - at + n > kMaxMessageLen) n = kMaxMessageLen - (w.size() - at);
  if (p.data != nullptr) w.Bytes(p.data, n);
  w.End(at);
}

void EncodeFlowRemoved(std::vector<uint8_t>& out, const FlowRemoved& f) {
  Writer w(out);
  const size_t at = w.Begin(kFlowRemoved, 0);
  w.U64(f.cookie);
  w.U16(f.priority);
  w.U8(f.reason);
  w.U8(f.table_id);
  w.U32(f.duration_sec);
  w.U32(f.duration_nsec);
  w.U16(f.idle_timeout);
  w.U16(f.hard_timeout);
  w.U64(f.packet_count);
  w.U64(f.byte_count);
  EncodeMatch(w, f.match, f.mask);
  w.End(at);
}

void EncodePortDesc(Writer& w, const PortDesc& p) {
  w.U32(p.port_no);
  w.Zeros(4);
  w.Put(p.hw_addr, 6);
  w.Zeros(2);
  w.FixedString(p.name, 16);
  w.U32(p.config);
  w.U32(p.state);
  w.U32(p.curr);
  w.U32(p.advertised);
  w.U32(p.supported);
  w.U32(p.peer);
  w.U32(p.curr_speed);
  w.U32(p.max_speed);
}

void EncodePortStatus(std::vector<uint8_t>& out, uint8_t reason, const PortDesc& p) {
  Writer w(out);
  const size_t at = w.Begin(kPortStatus, 0);
  w.U8(reason);
  w.Zeros(7);
  EncodePortDesc(w, p);
  w.End(at);
}

MultipartReply::MultipartReply(std::vector<uint8_t>& out, uint16_t type, uint32_t xid)
    : out_(out), type_(type), xid_(xid) {
  Start();
}

void MultipartReply::Start() {
  Writer w(out_);
  msg_start_ = w.Begin(kMultipartReply, xid_);
  w.U16(type_);
  w.U16(0);
  w.Zeros(4);
}

void MultipartReply::EndItem() {
  const size_t used = out_.size() - msg_start_;
  if (used > 16 && used + item_.size() > kMaxMessageLen) {
    Writer w(out_);
    w.Patch16(msg_start_ + 10, kMpReplyMore);
    w.End(msg_start_);
    Start();
  }
  out_.insert(out_.end(), item_.begin(), item_.end());
  item_.clear();
}

void MultipartReply::Finish() {
  Writer w(out_);
  w.End(msg_start_);
}

void EncodeDesc(Writer& w, const DescStats& d) {
  w.FixedString(d.mfr, 256);
  w.FixedString(d.hw, 256);
  w.FixedString(d.sw, 256);
  w.FixedString(d.serial, 32);
  w.FixedString(d.dp, 256);
}

void EncodeFlowStats(Writer& w, const FlowStatsEntry& f) {
  const size_t start = w.size();
  w.U16(0);
  w.U8(f.table_id);
  w.U8(0);
  w.U32(f.duration_sec);
  w.U32(f.duration_nsec);
  w.U16(f.priority);
  w.U16(f.idle_timeout);
  w.U16(f.hard_timeout);
  w.U16(f.flags);
  w.Zeros(4);
  w.U64(f.cookie);
  w.U64(f.packet_count);
  w.U64(f.byte_count);
  EncodeMatch(w, *f.match, *f.mask);
  EncodeInstructions(w, *f.instructions, *f.match);
  w.Patch16(start, static_cast<uint16_t>(w.size() - start));
}

void EncodePortStats(Writer& w, const PortStats& s) {
  w.U32(s.port_no);
  w.Zeros(4);
  w.U64(s.rx_packets);
  w.U64(s.tx_packets);
  w.U64(s.rx_bytes);
  w.U64(s.tx_bytes);
  w.U64(s.rx_dropped);
  w.U64(s.tx_dropped);
  w.U64(s.rx_errors);
  w.U64(s.tx_errors);
  w.U64(0);  // rx_frame_err
  w.U64(0);  // rx_over_err
  w.U64(0);  // rx_crc_err
  w.U64(0);  // collisions
  w.U32(s.duration_sec);
  w.U32(s.duration_nsec);
}

}  // namespace hashi::of
