// GROUP_MOD and METER_MOD decoding, and the group and meter multipart
// bodies (OpenFlow 1.3.5 sections 7.3.4.2, 7.3.4.5, 7.3.5.9-7.3.5.15).
#include "control/openflow/messages.h"

namespace hashi::of {
namespace {

OfError GroupErr(uint16_t code) { return OfError{kGroupModFailed, code}; }
OfError MeterErr(uint16_t code) { return OfError{kMeterModFailed, code}; }

// Action types a bucket may carry (a bitmap by OFPAT_* number).
constexpr uint32_t kBucketActions = 1u << 0 | 1u << 17 | 1u << 18 | 1u << 23 | 1u << 24 | 1u << 25;

std::optional<OfError> DecodeBucket(Reader& r, dp::GroupType type, dp::Bucket* b) {
  if (!r.Has(16)) return GroupErr(group_mod_failed::kBadBucket);
  const uint16_t len = r.U16();
  if (len < 16 || len % 8 != 0 || !r.Has(len - 2u)) return GroupErr(group_mod_failed::kBadBucket);
  Reader body = r.Sub(len - 2u);
  b->weight = body.U16();
  b->watch_port = body.U32();
  b->watch_group = body.U32();
  body.Skip(4);
  ActionContext ctx;
  if (auto e = DecodeActions(body.Sub(body.remaining()), ctx, &b->actions)) return e;
  for (const dp::Action& a : b->actions) {
    if (a.type == dp::ActionType::kGroup) return GroupErr(group_mod_failed::kChainingUnsupported);
  }
  if (b->weight != 0 && type != dp::GroupType::kSelect) return GroupErr(group_mod_failed::kBadBucket);
  if (type == dp::GroupType::kFastFailover) {
    if (b->watch_group != kGroupAny) return GroupErr(group_mod_failed::kWatchUnsupported);
    if (b->watch_port == dp::kPortAny) return GroupErr(group_mod_failed::kBadWatch);
  }
  return std::nullopt;
}

}  // namespace

std::optional<OfError> DecodeGroupMod(const uint8_t* msg, size_t len, GroupMod* out) {
  if (len < 16) return OfError{kBadRequest, bad_request::kBadLen};
  Reader r(msg + kHeaderLen, len - kHeaderLen);
  out->command = r.U16();
  const uint8_t type = r.U8();
  r.Skip(1);
  out->group.id = r.U32();
  if (out->command > kGroupDelete) return GroupErr(group_mod_failed::kBadCommand);
  if (out->command == kGroupDelete) {
    if (out->group.id > kGroupMax && out->group.id != kGroupAll) return GroupErr(group_mod_failed::kInvalidGroup);
    return std::nullopt;  // buckets of a delete are ignored
  }
  if (out->group.id > kGroupMax) return GroupErr(group_mod_failed::kInvalidGroup);
  if (type > 3) return GroupErr(group_mod_failed::kBadType);
  out->group.type = static_cast<dp::GroupType>(type);
  while (r.remaining() > 0) {
    dp::Bucket b;
    if (auto e = DecodeBucket(r, out->group.type, &b)) return e;
    out->group.buckets.push_back(std::move(b));
  }
  if (out->group.type == dp::GroupType::kIndirect && out->group.buckets.size() != 1) {
    return GroupErr(group_mod_failed::kInvalidGroup);
  }
  return std::nullopt;
}

std::optional<OfError> DecodeMeterMod(const uint8_t* msg, size_t len, MeterMod* out) {
  if (len < 16) return OfError{kBadRequest, bad_request::kBadLen};
  Reader r(msg + kHeaderLen, len - kHeaderLen);
  out->command = r.U16();
  out->config.flags = r.U16();
  out->config.id = r.U32();
  if (out->command > kMeterDelete) return MeterErr(meter_mod_failed::kBadCommand);
  const uint32_t id = out->config.id;
  if (out->command == kMeterDelete) {
    if ((id == 0 || id > kMeterMax) && id != kMeterAll) return MeterErr(meter_mod_failed::kInvalidMeter);
    return std::nullopt;
  }
  if (id == 0 || id > kMeterMax) return MeterErr(meter_mod_failed::kInvalidMeter);
  const uint16_t flags = out->config.flags;
  if ((flags & ~0xfu) || !(flags & dp::kMeterKbps) == !(flags & dp::kMeterPktps)) {
    return MeterErr(meter_mod_failed::kBadFlags);  // exactly one of kbps and pktps
  }
  while (r.remaining() > 0) {
    if (!r.Has(16)) return MeterErr(meter_mod_failed::kBadBand);
    const uint16_t type = r.U16();
    const uint16_t blen = r.U16();
    if (blen != 16) return MeterErr(meter_mod_failed::kBadBand);
    dp::MeterBand band;
    band.rate = r.U32();
    band.burst_size = r.U32();
    const uint8_t prec = r.U8();
    r.Skip(3);
    if (type == 1) {
      band.type = dp::MeterBandType::kDrop;
    } else if (type == 2) {
      band.type = dp::MeterBandType::kDscpRemark;
      band.prec_level = prec;
      if (prec == 0 || prec > 3) return MeterErr(meter_mod_failed::kBadBandValue);
    } else {
      return MeterErr(meter_mod_failed::kBadBand);
    }
    if (band.rate == 0) return MeterErr(meter_mod_failed::kBadRate);
    if ((flags & dp::kMeterBurst) && band.burst_size == 0) return MeterErr(meter_mod_failed::kBadBurst);
    if (out->config.bands.size() == kMaxMeterBands) return MeterErr(meter_mod_failed::kOutOfBands);
    out->config.bands.push_back(band);
  }
  if (out->config.bands.empty()) return MeterErr(meter_mod_failed::kBadBand);
  return std::nullopt;
}

void EncodeGroupDesc(Writer& w, const dp::Group& g) {
  const size_t start = w.size();
  w.U16(0);
  w.U8(static_cast<uint8_t>(g.type));
  w.U8(0);
  w.U32(g.id);
  for (const dp::Bucket& b : g.buckets) {
    const size_t bstart = w.size();
    w.U16(0);
    w.U16(b.weight);
    w.U32(b.watch_port);
    w.U32(b.watch_group);
    w.Zeros(4);
    EncodeActions(w, b.actions, dp::FlowKey{});
    w.Patch16(bstart, static_cast<uint16_t>(w.size() - bstart));
  }
  w.Patch16(start, static_cast<uint16_t>(w.size() - start));
}

void EncodeGroupStats(Writer& w, const GroupStatsEntry& g) {
  w.U16(static_cast<uint16_t>(40 + 16 * g.buckets.size()));
  w.Zeros(2);
  w.U32(g.group_id);
  w.U32(g.ref_count);
  w.Zeros(4);
  w.U64(g.packets);
  w.U64(g.bytes);
  w.U32(g.duration_sec);
  w.U32(g.duration_nsec);
  for (const auto& [packets, bytes] : g.buckets) {
    w.U64(packets);
    w.U64(bytes);
  }
}

void EncodeGroupFeatures(Writer& w) {
  w.U32(0xf);      // ALL, SELECT, INDIRECT, FAST_FAILOVER
  w.U32(0x1 | 0x2);  // OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS (no chaining)
  for (int i = 0; i < 4; ++i) w.U32(65536);
  for (int i = 0; i < 4; ++i) w.U32(kBucketActions);
}

void EncodeMeterConfig(Writer& w, const dp::MeterConfig& m) {
  w.U16(static_cast<uint16_t>(8 + 16 * m.bands.size()));
  w.U16(m.flags);
  w.U32(m.id);
  for (const dp::MeterBand& b : m.bands) {
    w.U16(static_cast<uint16_t>(b.type));
    w.U16(16);
    w.U32(b.rate);
    w.U32(b.burst_size);
    w.U8(b.type == dp::MeterBandType::kDscpRemark ? b.prec_level : 0);
    w.Zeros(3);
  }
}

void EncodeMeterStats(Writer& w, const MeterStatsEntry& m) {
  w.U32(m.meter_id);
  w.U16(static_cast<uint16_t>(40 + 16 * m.bands.size()));
  w.Zeros(6);
  w.U32(m.flow_count);
  w.U64(m.packets_in);
  w.U64(m.bytes_in);
  w.U32(m.duration_sec);
  w.U32(m.duration_nsec);
  for (const auto& [packets, bytes] : m.bands) {
    w.U64(packets);
    w.U64(bytes);
  }
}

void EncodeMeterFeatures(Writer& w) {
  w.U32(65536);                // max_meter
  w.U32(1u << 1 | 1u << 2);    // band types: DROP, DSCP_REMARK
  w.U32(0xf);                  // KBPS, PKTPS, BURST, STATS
  w.U8(kMaxMeterBands);
  w.U8(0);                     // max_color
  w.Zeros(2);
}

}  // namespace hashi::of
