// PeerProtocol encoding and decoding (header, then TLV fields).
#include "migration/peer_protocol.h"

namespace hashi::mig {

namespace {

constexpr uint8_t kMagic[4] = {'H', 'S', 'M', 'P'};

enum Field : uint16_t {
  kFVmName = 1,
  kFVmOfport = 2,
  kFVmMac = 3,
  kFVmIpv4 = 4,  // repeated
  kFVmMemory = 5,
  kFSourceIp = 6,
  kFIncomingUri = 7,
  kFReason = 8,
  kFIteration = 9,
  kFSentBytes = 10,
  kFRemainingBytes = 11,
  kFDirtyRate = 12,
  // 13 was a resume-to-Local time never filled in; keep it unused.
  kFHeldAtDestination = 14,
  kFAcked = 15,
  kFFollow = 16,  // Prepare: an orchestrator drives the hypervisors (1), or hashi does (absent)
};

void Put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t Get(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

void PutField(std::vector<uint8_t>& out, Field f, uint64_t v, int bytes) {
  Put(out, f, 2);
  Put(out, static_cast<uint64_t>(bytes), 2);
  Put(out, v, bytes);
}
void PutField(std::vector<uint8_t>& out, Field f, const std::string& s) {
  Put(out, f, 2);
  Put(out, s.size(), 2);
  out.insert(out.end(), s.begin(), s.end());
}

bool KnownType(uint8_t t) { return t >= 1 && t <= static_cast<uint8_t>(MsgType::kAck); }

}  // namespace

const char* MsgTypeName(MsgType t) {
  switch (t) {
    case MsgType::kPrepare: return "prepare";
    case MsgType::kReserved: return "reserved";
    case MsgType::kRefused: return "refused";
    case MsgType::kPrecopyProgress: return "precopy-progress";
    case MsgType::kSwitchoverArmed: return "switchover-armed";
    case MsgType::kResumed: return "resumed";
    case MsgType::kCommit: return "commit";
    case MsgType::kAbort: return "abort";
    case MsgType::kAck: return "ack";
  }
  return "unknown";
}

void EncodePeerMessage(const PeerMessage& m, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  out.insert(out.end(), kMagic, kMagic + 4);
  out.push_back(kPeerProtocolVersion);
  out.push_back(static_cast<uint8_t>(m.type));
  Put(out, 0, 2);  // flags
  Put(out, 0, 4);  // length, filled in below
  Put(out, m.migration_id, 8);
  switch (m.type) {
    case MsgType::kPrepare:
      PutField(out, kFVmName, m.vm.name);
      PutField(out, kFVmOfport, m.vm.ofport, 4);
      PutField(out, kFVmMac, m.vm.mac, 6);
      for (uint32_t ip : m.vm.ipv4) PutField(out, kFVmIpv4, ip, 4);
      PutField(out, kFVmMemory, m.vm.memory_bytes, 8);
      PutField(out, kFSourceIp, m.source_ip, 4);
      if (m.follow) PutField(out, kFFollow, 1, 1);
      break;
    case MsgType::kReserved:
      PutField(out, kFIncomingUri, m.incoming_uri);
      break;
    case MsgType::kRefused:
    case MsgType::kAbort:
      PutField(out, kFReason, m.reason);
      break;
    case MsgType::kPrecopyProgress:
      PutField(out, kFIteration, m.iteration, 4);
      PutField(out, kFSentBytes, m.sent_bytes, 8);
      PutField(out, kFRemainingBytes, m.remaining_bytes, 8);
      PutField(out, kFDirtyRate, m.dirty_rate_bps, 8);
      break;
    case MsgType::kResumed:
      PutField(out, kFHeldAtDestination, m.held_at_destination, 8);
      break;
    case MsgType::kAck:
      PutField(out, kFAcked, static_cast<uint8_t>(m.acked), 1);
      break;
    case MsgType::kSwitchoverArmed:
    case MsgType::kCommit:
      break;
  }
  const uint64_t len = out.size() - start;
  for (int i = 0; i < 4; ++i) out[start + 8 + i] = static_cast<uint8_t>(len >> (8 * (3 - i)));
}

Result<size_t> PeerMessageLength(const uint8_t* buf, size_t len) {
  for (size_t i = 0; i < len && i < 4; ++i) {  // refuse a stranger early, even on a few bytes
    if (buf[i] != kMagic[i]) return Status::Error("not a hashi peer message (bad magic)");
  }
  if (len < kPeerHeaderLen) return size_t{0};
  const uint64_t n = Get(buf + 8, 4);
  if (n < kPeerHeaderLen || n > kMaxPeerMessage) {
    return Status::Error("peer message length " + std::to_string(n) + " out of range");
  }
  return static_cast<size_t>(n);
}

Result<PeerMessage> DecodePeerMessage(const uint8_t* buf, size_t len) {
  auto need = PeerMessageLength(buf, len);
  if (!need.ok()) return need.status();
  if (*need == 0 || *need != len) return Status::Error("peer message truncated");
  if (buf[4] != kPeerProtocolVersion) {
    return Status::Error("version " + std::to_string(buf[4]) + " not supported (this hashi speaks " +
                         std::to_string(kPeerProtocolVersion) + ")");
  }
  if (!KnownType(buf[5])) return Status::Error("unknown peer message type " + std::to_string(buf[5]));
  PeerMessage m;
  m.type = static_cast<MsgType>(buf[5]);
  m.migration_id = Get(buf + 12, 8);
  size_t off = kPeerHeaderLen;
  while (off < len) {
    if (len - off < 4) return Status::Error("field header truncated");
    const uint16_t f = static_cast<uint16_t>(Get(buf + off, 2));
    const uint16_t flen = static_cast<uint16_t>(Get(buf + off + 2, 2));
    off += 4;
    if (len - off < flen) return Status::Error("field " + std::to_string(f) + " truncated");
    const uint8_t* v = buf + off;
    off += flen;
    auto number = [&](int width, uint64_t* out) -> Status {
      if (flen != width) {
        return Status::Error("field " + std::to_string(f) + " has length " + std::to_string(flen) +
                             ", expected " + std::to_string(width));
      }
      *out = Get(v, width);
      return Status::Ok();
    };
    uint64_t x = 0;
    Status s = Status::Ok();
    switch (f) {
      case kFVmName: m.vm.name.assign(reinterpret_cast<const char*>(v), flen); break;
      case kFVmOfport: s = number(4, &x); m.vm.ofport = static_cast<uint32_t>(x); break;
      case kFVmMac: s = number(6, &m.vm.mac); break;
      case kFVmIpv4: s = number(4, &x); m.vm.ipv4.push_back(static_cast<uint32_t>(x)); break;
      case kFVmMemory: s = number(8, &m.vm.memory_bytes); break;
      case kFSourceIp: s = number(4, &x); m.source_ip = static_cast<uint32_t>(x); break;
      case kFIncomingUri: m.incoming_uri.assign(reinterpret_cast<const char*>(v), flen); break;
      case kFReason: m.reason.assign(reinterpret_cast<const char*>(v), flen); break;
      case kFIteration: s = number(4, &x); m.iteration = static_cast<uint32_t>(x); break;
      case kFSentBytes: s = number(8, &m.sent_bytes); break;
      case kFRemainingBytes: s = number(8, &m.remaining_bytes); break;
      case kFDirtyRate: s = number(8, &m.dirty_rate_bps); break;
      case kFHeldAtDestination: s = number(8, &m.held_at_destination); break;
      case kFFollow: s = number(1, &x); m.follow = x != 0; break;
      case kFAcked:
        s = number(1, &x);
        if (s.ok() && !KnownType(static_cast<uint8_t>(x))) s = Status::Error("ack of unknown type " + std::to_string(x));
        m.acked = static_cast<MsgType>(x);
        break;
      default: break;  // a newer peer's field: ignored
    }
    if (!s.ok()) return s;
  }
  if (m.type == MsgType::kPrepare && (m.vm.name.empty() || m.vm.ofport == 0)) {
    return Status::Error("prepare without a VM name or port number");
  }
  return m;
}

}  // namespace hashi::mig
