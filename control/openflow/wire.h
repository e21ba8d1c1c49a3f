// OpenFlow 1.3 wire basics: the numbers the spec defines (message, error,
// multipart, action, instruction and OXM types) and a bounds-checked
// big-endian Reader and Writer. Every decoder reads through Reader, whose
// reads past the end return zero and latch a failure instead of touching
// memory, so a truncated message can never be read out of bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace hashi::of {

inline constexpr uint8_t kVersion13 = 0x04;
inline constexpr size_t kHeaderLen = 8;
inline constexpr size_t kMaxMessageLen = 0xffff;

enum MsgType : uint8_t {
  kHello = 0, kError = 1, kEchoRequest = 2, kEchoReply = 3, kExperimenter = 4,
  kFeaturesRequest = 5, kFeaturesReply = 6, kGetConfigRequest = 7, kGetConfigReply = 8,
  kSetConfig = 9, kPacketIn = 10, kFlowRemoved = 11, kPortStatus = 12, kPacketOut = 13,
  kFlowMod = 14, kGroupMod = 15, kPortMod = 16, kTableMod = 17, kMultipartRequest = 18,
  kMultipartReply = 19, kBarrierRequest = 20, kBarrierReply = 21,
  kQueueGetConfigRequest = 22, kQueueGetConfigReply = 23, kRoleRequest = 24,
  kRoleReply = 25, kGetAsyncRequest = 26, kGetAsyncReply = 27, kSetAsync = 28,
  kMeterMod = 29,
};
inline constexpr uint8_t kLastMsgType = kMeterMod;

enum MultipartType : uint16_t {
  kMpDesc = 0, kMpFlow = 1, kMpAggregate = 2, kMpTable = 3, kMpPortStats = 4, kMpQueue = 5,
  kMpGroup = 6, kMpGroupDesc = 7, kMpGroupFeatures = 8, kMpMeter = 9, kMpMeterConfig = 10,
  kMpMeterFeatures = 11, kMpTableFeatures = 12, kMpPortDesc = 13, kMpExperimenter = 0xffff,
};
inline constexpr uint16_t kMpReplyMore = 1;

// Error types (ofp_error_type) and the codes hashi sends.
enum ErrorType : uint16_t {
  kHelloFailed = 0, kBadRequest = 1, kBadAction = 2, kBadInstruction = 3, kBadMatch = 4,
  kFlowModFailed = 5, kGroupModFailed = 6, kPortModFailed = 7, kTableModFailed = 8,
  kQueueOpFailed = 9, kSwitchConfigFailed = 10, kRoleRequestFailed = 11,
  kMeterModFailed = 12, kTableFeaturesFailed = 13,
};
namespace hello_failed { enum : uint16_t { kIncompatible = 0, kEperm = 1 }; }
namespace bad_request {
enum : uint16_t {
  kBadVersion = 0, kBadType = 1, kBadMultipart = 2, kBadExperimenter = 3, kBadExpType = 4,
  kEperm = 5, kBadLen = 6, kBufferEmpty = 7, kBufferUnknown = 8, kBadTableId = 9, kIsSlave = 10,
  kBadPort = 11, kBadPacket = 12, kMultipartBufferOverflow = 13,
};
}
namespace bad_action {
enum : uint16_t {
  kBadType = 0, kBadLen = 1, kBadExperimenter = 2, kBadExpType = 3, kBadOutPort = 4,
  kBadArgument = 5, kEperm = 6, kTooMany = 7, kBadQueue = 8, kBadOutGroup = 9,
  kMatchInconsistent = 10, kUnsupportedOrder = 11, kBadTag = 12, kBadSetType = 13,
  kBadSetLen = 14, kBadSetArgument = 15,
};
}
namespace bad_instruction {
enum : uint16_t {
  kUnknownInst = 0, kUnsupInst = 1, kBadTableId = 2, kUnsupMetadata = 3, kUnsupMetadataMask = 4,
  kBadExperimenter = 5, kBadExpType = 6, kBadLen = 7, kEperm = 8, kDupInst = 9,
};
}
namespace bad_match {
enum : uint16_t {
  kBadType = 0, kBadLen = 1, kBadTag = 2, kBadDlAddrMask = 3, kBadNwAddrMask = 4,
  kBadWildcards = 5, kBadField = 6, kBadValue = 7, kBadMask = 8, kBadPrereq = 9, kDupField = 10,
  kEperm = 11,
};
}
namespace flow_mod_failed {
enum : uint16_t {
  kUnknown = 0, kTableFull = 1, kBadTableId = 2, kOverlap = 3, kEperm = 4, kBadTimeout = 5,
  kBadCommand = 6, kBadFlags = 7,
};
}
namespace group_mod_failed {
enum : uint16_t {
  kGroupExists = 0, kInvalidGroup = 1, kWeightUnsupported = 2, kOutOfGroups = 3,
  kOutOfBuckets = 4, kChainingUnsupported = 5, kWatchUnsupported = 6, kLoop = 7,
  kUnknownGroup = 8, kChainedGroup = 9, kBadType = 10, kBadCommand = 11, kBadBucket = 12,
  kBadWatch = 13, kEperm = 14,
};
}
namespace port_mod_failed {
enum : uint16_t { kBadPort = 0, kBadHwAddr = 1, kBadConfig = 2, kBadAdvertise = 3, kEperm = 4 };
}
namespace table_mod_failed { enum : uint16_t { kBadTable = 0, kBadConfig = 1, kEperm = 2 }; }
namespace switch_config_failed { enum : uint16_t { kBadFlags = 0, kBadLen = 1, kEperm = 2 }; }
namespace role_failed { enum : uint16_t { kStale = 0, kUnsup = 1, kBadRole = 2 }; }
namespace meter_mod_failed {
enum : uint16_t {
  kUnknown = 0, kMeterExists = 1, kInvalidMeter = 2, kUnknownMeter = 3, kBadCommand = 4,
  kBadFlags = 5, kBadRate = 6, kBadBurst = 7, kBadBand = 8, kBadBandValue = 9,
  kOutOfMeters = 10, kOutOfBands = 11,
};
}

// An OFPT_ERROR to send back: type and code from the enums above.
struct OfError {
  uint16_t type = 0;
  uint16_t code = 0;
  bool operator==(const OfError&) const = default;
};

// Reserved buffer id and group/meter numbers.
inline constexpr uint32_t kNoBuffer = 0xffffffff;
inline constexpr uint32_t kGroupAny = 0xffffffff;
inline constexpr uint32_t kGroupAll = 0xfffffffc;
inline constexpr uint32_t kGroupMax = 0xffffff00;
inline constexpr uint8_t kTableAll = 0xff;
inline constexpr uint16_t kControllerMaxLenNoBuffer = 0xffff;
inline constexpr uint16_t kDefaultMissSendLen = 128;

class Reader {
 public:
  Reader(const uint8_t* data, size_t len) : p_(data), n_(len) {}
  size_t remaining() const { return ok_ ? n_ - off_ : 0; }
  size_t offset() const { return off_; }
  bool ok() const { return ok_; }
  const uint8_t* here() const { return p_ + off_; }
  bool Has(size_t k) const { return ok_ && n_ - off_ >= k; }

  uint8_t U8() { return static_cast<uint8_t>(Take(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Take(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Take(4)); }
  uint64_t U64() { return Take(8); }
  // Reads k bytes as a big-endian number (k <= 8).
  uint64_t Take(size_t k) {
    if (!Has(k)) { ok_ = false; return 0; }
    uint64_t v = 0;
    for (size_t i = 0; i < k; ++i) v = v << 8 | p_[off_ + i];
    off_ += k;
    return v;
  }
  void Skip(size_t k) {
    if (!Has(k)) { ok_ = false; return; }
    off_ += k;
  }
  // A sub-reader over the next k bytes (consumed from this one).
  Reader Sub(size_t k) {
    if (!Has(k)) { ok_ = false; return Reader(p_, 0); }
    Reader r(p_ + off_, k);
    off_ += k;
    return r;
  }
  std::string String(size_t k) {
    if (!Has(k)) { ok_ = false; return {}; }
    std::string s(reinterpret_cast<const char*>(p_ + off_), strnlen(reinterpret_cast<const char*>(p_ + off_), k));
    off_ += k;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  size_t size() const { return out_.size(); }
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Put(v, 2); }
  void U32(uint32_t v) { Put(v, 4); }
  void U64(uint64_t v) { Put(v, 8); }
  void Put(uint64_t v, size_t k) {
    for (size_t i = k; i-- > 0;) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Zeros(size_t k) { out_.insert(out_.end(), k, 0); }
  void Bytes(const void* p, size_t k) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + k);
  }
  // Writes s in a fixed field of k bytes, NUL padded (truncated if longer).
  void FixedString(const std::string& s, size_t k) {
    const size_t n = s.size() < k - 1 ? s.size() : k - 1;
    Bytes(s.data(), n);
    Zeros(k - n);
  }
  void PadTo8(size_t start) {
    while ((out_.size() - start) % 8) out_.push_back(0);
  }
  void Patch16(size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }
  // Starts a message: writes a header whose length End() fills in.
  size_t Begin(uint8_t type, uint32_t xid, uint8_t version = kVersion13) {
    const size_t at = out_.size();
    U8(version);
    U8(type);
    U16(0);
    U32(xid);
    return at;
  }
  void End(size_t at) { Patch16(at + 2, static_cast<uint16_t>(out_.size() - at)); }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace hashi::of
