// OXM match codec: a table of the OXM fields hashi knows, a decoder driven by
// it, and an encoder that picks each field's OXM form from the match's
// context (tp_src is TCP_SRC, UDP_SRC, SCTP_SRC or ICMP*_TYPE by nw_proto).
#include "control/openflow/match.h"

namespace hashi::of {
namespace {

using dp::Field;
using dp::FlowKey;

constexpr uint16_t kClassBasic = 0x8000;
constexpr uint16_t kClassNxm1 = 0x0001;
constexpr uint16_t kClassExperimenter = 0xffff;
constexpr uint32_t kOnfExperimenter = 0x4f4e4600;

constexpr uint16_t kEthIp4 = 0x0800, kEthArp = 0x0806, kEthIp6 = 0x86dd;
constexpr uint16_t kVidPresent = 0x1000;

enum class Prereq : uint8_t { kNone, kVlan, kIp, kIp4, kIp6, kArp, kTcp, kUdp, kSctp, kIcmp4, kIcmp6 };

// One OXM field: where it lives in the FlowKey. Values longer than 8 bytes
// (IPv6 addresses) fill key (high half) and key2 (low half).
struct OxmSpec {
  uint16_t cls;
  uint8_t field;
  uint8_t len;
  bool maskable;
  Field key;
  uint8_t shift;
  uint64_t max;  // largest value (0: the field's full width)
  Prereq prereq;
  Field key2 = Field::kCount;
  uint32_t experimenter = 0;
};

// OXM_OF_* numbers from the 1.3.5 spec (7.2.3.7); NXM_NX_*/ONFOXM as OVS uses.
constexpr OxmSpec kSpecs[] = {
    {kClassBasic, 0, 4, false, Field::kInPort, 0, 0, Prereq::kNone},
    {kClassBasic, 2, 8, true, Field::kMetadata, 0, 0, Prereq::kNone},
    {kClassBasic, 3, 6, true, Field::kEthDst, 0, 0, Prereq::kNone},
    {kClassBasic, 4, 6, true, Field::kEthSrc, 0, 0, Prereq::kNone},
    {kClassBasic, 5, 2, false, Field::kEthType, 0, 0, Prereq::kNone},
    {kClassBasic, 6, 2, true, Field::kVlanTci, 0, 0x1fff, Prereq::kNone},
    {kClassBasic, 7, 1, false, Field::kVlanTci, 13, 7, Prereq::kVlan},
    {kClassBasic, 8, 1, false, Field::kIpTos, 2, 63, Prereq::kIp},
    {kClassBasic, 9, 1, false, Field::kIpTos, 0, 3, Prereq::kIp},
    {kClassBasic, 10, 1, false, Field::kIpProto, 0, 0, Prereq::kIp},
    {kClassBasic, 11, 4, true, Field::kNwSrc, 0, 0, Prereq::kIp4},
    {kClassBasic, 12, 4, true, Field::kNwDst, 0, 0, Prereq::kIp4},
    {kClassBasic, 13, 2, true, Field::kTpSrc, 0, 0, Prereq::kTcp},
    {kClassBasic, 14, 2, true, Field::kTpDst, 0, 0, Prereq::kTcp},
    {kClassBasic, 15, 2, true, Field::kTpSrc, 0, 0, Prereq::kUdp},
    {kClassBasic, 16, 2, true, Field::kTpDst, 0, 0, Prereq::kUdp},
    {kClassBasic, 17, 2, true, Field::kTpSrc, 0, 0, Prereq::kSctp},
    {kClassBasic, 18, 2, true, Field::kTpDst, 0, 0, Prereq::kSctp},
    {kClassBasic, 19, 1, false, Field::kTpSrc, 0, 0, Prereq::kIcmp4},
    {kClassBasic, 20, 1, false, Field::kTpDst, 0, 0, Prereq::kIcmp4},
    {kClassBasic, 21, 2, false, Field::kArpOp, 0, 0, Prereq::kArp},
    {kClassBasic, 22, 4, true, Field::kNwSrc, 0, 0, Prereq::kArp},
    {kClassBasic, 23, 4, true, Field::kNwDst, 0, 0, Prereq::kArp},
    {kClassBasic, 24, 6, true, Field::kArpSha, 0, 0, Prereq::kArp},
    {kClassBasic, 25, 6, true, Field::kArpTha, 0, 0, Prereq::kArp},
    {kClassBasic, 26, 16, true, Field::kIpv6SrcHi, 0, 0, Prereq::kIp6, Field::kIpv6SrcLo},
    {kClassBasic, 27, 16, true, Field::kIpv6DstHi, 0, 0, Prereq::kIp6, Field::kIpv6DstLo},
    {kClassBasic, 28, 4, true, Field::kIpv6Label, 0, 0xfffff, Prereq::kIp6},
    {kClassBasic, 29, 1, false, Field::kTpSrc, 0, 0, Prereq::kIcmp6},
    {kClassBasic, 30, 1, false, Field::kTpDst, 0, 0, Prereq::kIcmp6},
    {kClassBasic, 38, 8, true, Field::kTunnelId, 0, 0, Prereq::kNone},
    {kClassNxm1, 26, 1, true, Field::kIpFrag, 0, 3, Prereq::kIp},       // NXM_NX_IP_FRAG
    {kClassNxm1, 29, 1, false, Field::kIpTtl, 0, 0, Prereq::kIp},       // NXM_NX_IP_TTL
    {kClassNxm1, 34, 2, true, Field::kTcpFlags, 0, 0xfff, Prereq::kTcp},  // NXM_NX_TCP_FLAGS
    {kClassExperimenter, 42, 2, true, Field::kTcpFlags, 0, 0xfff, Prereq::kTcp, Field::kCount,
     kOnfExperimenter},  // ONFOXM_ET_TCP_FLAGS
};
constexpr size_t kSpecCount = sizeof(kSpecs) / sizeof(kSpecs[0]);

const OxmSpec* FindSpec(uint16_t cls, uint8_t field, uint32_t experimenter) {
  for (const OxmSpec& s : kSpecs) {
    if (s.cls == cls && s.field == field && s.experimenter == experimenter) return &s;
  }
  return nullptr;
}

const OxmSpec& SpecOf(uint16_t cls, uint8_t field) { return *FindSpec(cls, field, 0); }

uint64_t WidthMask(const OxmSpec& s) {
  if (s.max != 0) return s.max;
  const unsigned bits = dp::InfoOf(s.key).bits < s.len * 8 ? dp::InfoOf(s.key).bits : s.len * 8;
  return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

void Put(FlowKey* match, FlowKey* mask, Field f, uint64_t v, uint64_t m) {
  mask->Set(f, mask->Get(f) | m);
  match->Set(f, (match->Get(f) & ~m) | (v & m));
}

bool Satisfied(Prereq p, const FlowKey& match, const FlowKey& mask) {
  const bool type_set = mask.Get(Field::kEthType) == 0xffff;
  const uint64_t type = match.Get(Field::kEthType);
  const bool proto_set = mask.Get(Field::kIpProto) == 0xff;
  const uint64_t proto = match.Get(Field::kIpProto);
  const bool ip4 = type_set && type == kEthIp4, ip6 = type_set && type == kEthIp6;
  switch (p) {
    case Prereq::kNone: return true;
    case Prereq::kVlan:
      return (mask.Get(Field::kVlanTci) & kVidPresent) && (match.Get(Field::kVlanTci) & kVidPresent);
    case Prereq::kIp: return ip4 || ip6;
    case Prereq::kIp4: return ip4;
    case Prereq::kIp6: return ip6;
    case Prereq::kArp: return type_set && type == kEthArp;
    case Prereq::kTcp: return (ip4 || ip6) && proto_set && proto == 6;
    case Prereq::kUdp: return (ip4 || ip6) && proto_set && proto == 17;
    case Prereq::kSctp: return (ip4 || ip6) && proto_set && proto == 132;
    case Prereq::kIcmp4: return ip4 && proto_set && proto == 1;
    case Prereq::kIcmp6: return ip6 && proto_set && proto == 58;
  }
  return false;
}

// Reads one TLV's value (and mask) into match/mask after every check.
std::optional<OfError> DecodeOne(const OxmSpec& s, bool hasmask, Reader& r, FlowKey* match,
                                 FlowKey* mask) {
  const OfError bad_value{kBadMatch, bad_match::kBadValue};
  if (s.key2 != Field::kCount) {  // 128-bit IPv6 address
    uint64_t v[2] = {r.U64(), r.U64()};
    uint64_t m[2] = {~0ull, ~0ull};
    if (hasmask) m[0] = r.U64(), m[1] = r.U64();
    if ((v[0] & ~m[0]) || (v[1] & ~m[1])) return OfError{kBadMatch, bad_match::kBadWildcards};
    Put(match, mask, s.key, v[0], m[0]);
    Put(match, mask, s.key2, v[1], m[1]);
    return std::nullopt;
  }
  const uint64_t width = WidthMask(s);
  uint64_t v = r.Take(s.len);
  uint64_t m = hasmask ? r.Take(s.len) : width;
  if (s.cls == kClassBasic && s.field == 6) {  // VLAN_VID
    if (v > 0x1fff || (hasmask && m > 0x1fff)) return bad_value;
    if (!hasmask && v != 0 && !(v & kVidPresent)) return bad_value;
  }
  if (v > width) return bad_value;
  if (m > width) return OfError{kBadMatch, bad_match::kBadMask};
  if ((v & ~m) != 0) return OfError{kBadMatch, bad_match::kBadWildcards};
  if (s.cls == kClassBasic && s.field == 6 && !hasmask && v == 0) {
    Put(match, mask, s.key, 0, 0xffff);  // OFPVID_NONE: no tag at all (PCP included)
    return std::nullopt;
  }
  Put(match, mask, s.key, v << s.shift, m << s.shift);
  return std::nullopt;
}

}  // namespace

std::optional<OfError> CheckPrerequisites(const FlowKey& match, const FlowKey& mask) {
  // Checked by key field: tp_src is satisfied by TCP, UDP, SCTP or ICMP.
  auto used = [&](Field f, uint64_t bits = ~0ull) { return (mask.Get(f) & bits) != 0; };
  auto any = [&](std::initializer_list<Prereq> ps) {
    for (Prereq p : ps) {
      if (Satisfied(p, match, mask)) return true;
    }
    return false;
  };
  const OfError prereq{kBadMatch, bad_match::kBadPrereq};
  const bool untagged = (mask.Get(Field::kVlanTci) & kVidPresent) && !(match.Get(Field::kVlanTci) & kVidPresent);
  if (used(Field::kVlanTci, 0xe000) && !untagged && !Satisfied(Prereq::kVlan, match, mask)) return prereq;
  if ((used(Field::kIpTos) || used(Field::kIpProto) || used(Field::kIpTtl) || used(Field::kIpFrag)) &&
      !Satisfied(Prereq::kIp, match, mask)) {
    return prereq;
  }
  if ((used(Field::kNwSrc) || used(Field::kNwDst)) && !any({Prereq::kIp4, Prereq::kArp})) return prereq;
  if ((used(Field::kTpSrc) || used(Field::kTpDst)) &&
      !any({Prereq::kTcp, Prereq::kUdp, Prereq::kSctp, Prereq::kIcmp4, Prereq::kIcmp6})) {
    return prereq;
  }
  if (used(Field::kTcpFlags) && !Satisfied(Prereq::kTcp, match, mask)) return prereq;
  if (used(Field::kArpOp) && !Satisfied(Prereq::kArp, match, mask)) return prereq;
  const bool arp = Satisfied(Prereq::kArp, match, mask);
  if ((used(Field::kIpv6SrcLo) || used(Field::kIpv6DstLo) || used(Field::kIpv6Label) ||
       (!arp && (used(Field::kIpv6SrcHi) || used(Field::kIpv6DstHi)))) &&
      !Satisfied(Prereq::kIp6, match, mask)) {
    return prereq;
  }
  if (used(Field::kIpv6SrcHi, 0xffff000000000000ull) && arp) return prereq;
  if (used(Field::kIpv6DstHi, 0xffff000000000000ull) && arp) return prereq;
  return std::nullopt;
}

std::optional<OfError> DecodeOxmList(Reader r, FlowKey* match, FlowKey* mask, bool check_prerequisites) {
  match->Clear();
  mask->Clear();
  bool seen[kSpecCount] = {};
  while (r.remaining() > 0) {
    if (!r.Has(4)) return OfError{kBadMatch, bad_match::kBadLen};
    const uint16_t cls = r.U16();
    const uint8_t fh = r.U8();
    const uint8_t len = r.U8();
    const uint8_t field = fh >> 1;
    const bool hasmask = fh & 1;
    if (!r.Has(len)) return OfError{kBadMatch, bad_match::kBadLen};
    Reader body = r.Sub(len);
    uint32_t experimenter = 0;
    if (cls == kClassExperimenter) {
      if (len < 4) return OfError{kBadMatch, bad_match::kBadLen};
      experimenter = body.U32();
    } else if (cls != kClassBasic && cls != kClassNxm1) {
      return OfError{kBadMatch, bad_match::kBadField};
    }
    const OxmSpec* s = FindSpec(cls, field, experimenter);
    if (s == nullptr) return OfError{kBadMatch, bad_match::kBadField};
    const size_t idx = static_cast<size_t>(s - kSpecs);
    if (body.remaining() != (hasmask ? 2u : 1u) * s->len) {
      return OfError{kBadMatch, bad_match::kBadLen};
    }
    if (hasmask && !s->maskable) return OfError{kBadMatch, bad_match::kBadMask};
    if (seen[idx]) return OfError{kBadMatch, bad_match::kDupField};
    seen[idx] = true;
    if (auto e = DecodeOne(*s, hasmask, body, match, mask)) return e;
  }
  if (check_prerequisites) {
    // Prerequisites may come anywhere in the list, so check at the end.
    // Each field's own prerequisite (ICMPV4_TYPE needs nw_proto=1, not 6).
    for (size_t i = 0; i < kSpecCount; ++i) {
      if (seen[i] && !Satisfied(kSpecs[i].prereq, *match, *mask)) {
        return OfError{kBadMatch, bad_match::kBadPrereq};
      }
    }
    if (auto e = CheckPrerequisites(*match, *mask)) return e;
  }
  return std::nullopt;
}

std::optional<OfError> DecodeMatch(Reader& r, FlowKey* match, FlowKey* mask) {
  if (!r.Has(4)) return OfError{kBadMatch, bad_match::kBadLen};
  const uint16_t type = r.U16();
  const uint16_t length = r.U16();
  if (type != 1) return OfError{kBadMatch, bad_match::kBadType};
  if (length < 4) return OfError{kBadMatch, bad_match::kBadLen};
  const size_t padded = (length + 7u) / 8u * 8u;
  if (!r.Has(padded - 4)) return OfError{kBadMatch, bad_match::kBadLen};
  Reader fields = r.Sub(length - 4u);
  r.Skip(padded - length);
  return DecodeOxmList(fields, match, mask, true);
}

namespace {

// Whether a set-field may write spec s (the fields packet_edit rewrites).
bool Settable(const OxmSpec& s) {
  if (s.cls == kClassNxm1) return s.field == 29;  // NXM_NX_IP_TTL
  if (s.cls != kClassBasic) return false;
  switch (s.field) {
    case 3: case 4: case 6: case 7: case 8: case 9: case 11: case 12: case 13: case 14:
    case 15: case 16: case 21: case 22: case 23: case 24: case 25: case 26: case 27: case 28:
    case 38:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<OfError> DecodeSetField(Reader r, const FlowKey* match, const FlowKey* mask,
                                      std::vector<dp::Action>* out) {
  const OfError bad_len{kBadAction, bad_action::kBadSetLen};
  if (!r.Has(4)) return bad_len;
  const uint16_t cls = r.U16();
  const uint8_t fh = r.U8();
  const uint8_t len = r.U8();
  if (!r.Has(len)) return bad_len;
  Reader body = r.Sub(len);
  while (r.remaining()) {
    if (r.U8() != 0) return OfError{kBadAction, bad_action::kBadSetArgument};
  }
  uint32_t experimenter = 0;
  if (cls == kClassExperimenter) {
    if (len < 4) return bad_len;
    experimenter = body.U32();
  }
  const OxmSpec* s = FindSpec(cls, fh >> 1, experimenter);
  if (s == nullptr || !Settable(*s)) return OfError{kBadAction, bad_action::kBadSetType};
  if (fh & 1) return OfError{kBadAction, bad_action::kBadSetArgument};  // no masked set in 1.3
  if (body.remaining() != s->len) return bad_len;
  FlowKey v{}, m{};
  v.Clear();
  m.Clear();
  if (DecodeOne(*s, false, body, &v, &m)) return OfError{kBadAction, bad_action::kBadSetArgument};
  if (match != nullptr && s->prereq != Prereq::kVlan && !Satisfied(s->prereq, *match, *mask)) {
    return OfError{kBadAction, bad_action::kMatchInconsistent};
  }
  auto add = [&](Field f, uint64_t field_mask) {
    dp::Action a;
    a.type = dp::ActionType::kSetField;
    a.field = f;
    a.mask = field_mask;
    a.value = v.Get(f) & field_mask;
    out->push_back(a);
  };
  if (s->key2 != Field::kCount) {
    add(s->key, ~0ull);
    add(s->key2, ~0ull);
  } else if (s->key == Field::kVlanTci) {
    add(s->key, s->field == 6 ? 0x0fff : 0xe000);  // VID (without the present bit) or PCP
  } else {
    add(s->key, WidthMask(*s) << s->shift);
  }
  return std::nullopt;
}

std::vector<uint32_t> OxmHeaders(bool settable, bool maskable_only) {
  std::vector<uint32_t> out;
  for (const OxmSpec& s : kSpecs) {
    if (s.cls != kClassBasic) continue;  // experimenter headers need 8 bytes
    if (settable && !Settable(s)) continue;
    if (maskable_only && !s.maskable) continue;
    out.push_back(static_cast<uint32_t>(s.cls) << 16 | static_cast<uint32_t>(s.field) << 9 | s.len);
  }
  return out;
}

namespace {

void WriteTlv(Writer& w, const OxmSpec& s, uint64_t v, uint64_t m, bool full) {
  const bool hasmask = !full;
  const size_t extra = s.experimenter ? 4 : 0;
  w.U16(s.cls);
  w.U8(static_cast<uint8_t>(s.field << 1 | (hasmask ? 1 : 0)));
  w.U8(static_cast<uint8_t>(extra + (hasmask ? 2 : 1) * s.len));
  if (s.experimenter) w.U32(s.experimenter);
  w.Put(v, s.len);
  if (hasmask) w.Put(m, s.len);
}

// Writes the OXM for key field f of match/mask using spec s, if used.
void WriteField(Writer& w, const OxmSpec& s, const FlowKey& match, const FlowKey& mask) {
  const uint64_t width = WidthMask(s);
  const uint64_t m = (mask.Get(s.key) >> s.shift) & width;
  if (m == 0) return;
  const uint64_t v = (match.Get(s.key) >> s.shift) & width;
  WriteTlv(w, s, v, m, m == width);
}

void WriteIpv6(Writer& w, const OxmSpec& s, const FlowKey& match, const FlowKey& mask) {
  const uint64_t m[2] = {mask.Get(s.key), mask.Get(s.key2)};
  if ((m[0] | m[1]) == 0) return;
  const bool full = m[0] == ~0ull && m[1] == ~0ull;
  w.U16(s.cls);
  w.U8(static_cast<uint8_t>(s.field << 1 | (full ? 0 : 1)));
  w.U8(full ? 16 : 32);
  w.U64(match.Get(s.key));
  w.U64(match.Get(s.key2));
  if (!full) {
    w.U64(m[0]);
    w.U64(m[1]);
  }
}

// The OXM spec for tp_src (first) or tp_dst given the match's nw_proto.
const OxmSpec* TransportSpec(const FlowKey& match, const FlowKey& mask, bool src) {
  const bool ip6 = match.Get(Field::kEthType) == kEthIp6;
  if (mask.Get(Field::kIpProto) != 0xff) return nullptr;
  switch (match.Get(Field::kIpProto)) {
    case 6: return &SpecOf(kClassBasic, src ? 13 : 14);
    case 17: return &SpecOf(kClassBasic, src ? 15 : 16);
    case 132: return &SpecOf(kClassBasic, src ? 17 : 18);
    case 1: return ip6 ? nullptr : &SpecOf(kClassBasic, src ? 19 : 20);
    case 58: return ip6 ? &SpecOf(kClassBasic, src ? 29 : 30) : nullptr;
    default: return nullptr;
  }
}

}  // namespace

void EncodeMatch(Writer& w, const FlowKey& match, const FlowKey& mask) {
  const size_t start = w.size();
  w.U16(1);  // OFPMT_OXM
  w.U16(0);
  WriteField(w, SpecOf(kClassBasic, 0), match, mask);
  WriteField(w, SpecOf(kClassBasic, 2), match, mask);
  WriteField(w, SpecOf(kClassBasic, 3), match, mask);
  WriteField(w, SpecOf(kClassBasic, 4), match, mask);
  WriteField(w, SpecOf(kClassBasic, 5), match, mask);
  const uint64_t tci_m = mask.Get(Field::kVlanTci), tci = match.Get(Field::kVlanTci);
  WriteField(w, SpecOf(kClassBasic, 6), match, mask);
  if ((tci_m & kVidPresent) && (tci & kVidPresent)) WriteField(w, SpecOf(kClassBasic, 7), match, mask);
  WriteField(w, SpecOf(kClassBasic, 8), match, mask);
  WriteField(w, SpecOf(kClassBasic, 9), match, mask);
  WriteField(w, SpecOf(kClassBasic, 10), match, mask);
  const uint64_t type = mask.Get(Field::kEthType) == 0xffff ? match.Get(Field::kEthType) : 0;
  if (type == kEthArp) {
    WriteField(w, SpecOf(kClassBasic, 21), match, mask);
    WriteField(w, SpecOf(kClassBasic, 22), match, mask);
    WriteField(w, SpecOf(kClassBasic, 23), match, mask);
    WriteField(w, SpecOf(kClassBasic, 24), match, mask);
    WriteField(w, SpecOf(kClassBasic, 25), match, mask);
  } else {
    WriteField(w, SpecOf(kClassBasic, 11), match, mask);
    WriteField(w, SpecOf(kClassBasic, 12), match, mask);
    WriteIpv6(w, SpecOf(kClassBasic, 26), match, mask);
    WriteIpv6(w, SpecOf(kClassBasic, 27), match, mask);
    WriteField(w, SpecOf(kClassBasic, 28), match, mask);
  }
  if (const OxmSpec* s = TransportSpec(match, mask, true)) WriteField(w, *s, match, mask);
  if (const OxmSpec* s = TransportSpec(match, mask, false)) WriteField(w, *s, match, mask);
  WriteField(w, SpecOf(kClassBasic, 38), match, mask);
  WriteField(w, SpecOf(kClassNxm1, 26), match, mask);
  WriteField(w, SpecOf(kClassNxm1, 29), match, mask);
  WriteField(w, *FindSpec(kClassExperimenter, 42, kOnfExperimenter), match, mask);
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  w.PadTo8(start);
}

bool EncodeSetFieldOxm(Writer& w, Field field, uint64_t value, uint64_t mask, const FlowKey& ctx) {
  FlowKey m{}, k{};
  m.Clear();
  k.Clear();
  m.Set(field, mask);
  k.Set(field, value);
  const size_t before = w.size();
  switch (field) {
    case Field::kEthDst: WriteField(w, SpecOf(kClassBasic, 3), k, m); break;
    case Field::kEthSrc: WriteField(w, SpecOf(kClassBasic, 4), k, m); break;
    case Field::kVlanTci:
      if (mask == 0xe000) WriteTlv(w, SpecOf(kClassBasic, 7), value >> 13, 7, true);
      else if (mask == 0x0fff) WriteTlv(w, SpecOf(kClassBasic, 6), (value & 0xfff) | kVidPresent, 0, true);
      else return false;
      break;
    case Field::kIpTos:
      if (mask == 0xfc) WriteTlv(w, SpecOf(kClassBasic, 8), value >> 2, 0, true);
      else if (mask == 0x03) WriteTlv(w, SpecOf(kClassBasic, 9), value & 3, 0, true);
      else return false;
      break;
    case Field::kIpTtl: WriteTlv(w, SpecOf(kClassNxm1, 29), value, 0, true); break;
    case Field::kNwSrc:
      WriteTlv(w, SpecOf(kClassBasic, ctx.Get(Field::kEthType) == kEthArp ? 22 : 11), value, 0, true);
      break;
    case Field::kNwDst:
      WriteTlv(w, SpecOf(kClassBasic, ctx.Get(Field::kEthType) == kEthArp ? 23 : 12), value, 0, true);
      break;
    case Field::kTpSrc:
    case Field::kTpDst: {
      FlowKey cm{};
      cm.Clear();
      cm.Set(Field::kIpProto, 0xff);
      FlowKey cx = ctx;
      if (cx.Get(Field::kIpProto) == 0) cx.Set(Field::kIpProto, 6);
      const OxmSpec* s = TransportSpec(cx, cm, field == Field::kTpSrc);
      if (s == nullptr) return false;
      WriteTlv(w, *s, value, 0, true);
      break;
    }
    case Field::kArpOp: WriteTlv(w, SpecOf(kClassBasic, 21), value, 0, true); break;
    case Field::kArpSha: WriteTlv(w, SpecOf(kClassBasic, 24), value, 0, true); break;
    case Field::kArpTha: WriteTlv(w, SpecOf(kClassBasic, 25), value, 0, true); break;
    case Field::kIpv6Label: WriteTlv(w, SpecOf(kClassBasic, 28), value, 0, true); break;
    case Field::kTunnelId: WriteTlv(w, SpecOf(kClassBasic, 38), value, 0, true); break;
    default: return false;
  }
  return w.size() != before;
}

}  // namespace hashi::of
