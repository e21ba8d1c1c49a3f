// OpenFlow 1.3 messages as typed structs, with decoders for what a switch
// receives and encoders for what it sends. Decoders take one whole message
// (header included, length already checked by the framer) and either fill
// the struct or return the OFPT_ERROR type/code the spec prescribes.
// Encoders append to a byte vector. Pure: no sockets, no DPDK, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/openflow/actions.h"
#include "control/openflow/match.h"
#include "control/openflow/wire.h"
#include "dataplane/flow_key.h"
#include "dataplane/group.h"
#include "dataplane/meter.h"

namespace hashi::of {

struct Header {
  uint8_t version = 0;
  uint8_t type = 0;
  uint16_t length = 0;
  uint32_t xid = 0;
};
Header ParseHeader(const uint8_t* p);  // p holds at least kHeaderLen bytes

// HELLO: the versions the peer offers (bit v set for version v).
struct Hello {
  uint32_t versions = 0;
};
std::optional<OfError> DecodeHello(const uint8_t* msg, size_t len, Hello* out);

struct SwitchConfig {
  uint16_t flags = 0;
  uint16_t miss_send_len = kDefaultMissSendLen;
};
std::optional<OfError> DecodeSetConfig(const uint8_t* msg, size_t len, SwitchConfig* out);

enum FlowModCommand : uint8_t { kAdd = 0, kModify = 1, kModifyStrict = 2, kDelete = 3, kDeleteStrict = 4 };
enum FlowModFlags : uint16_t {
  kSendFlowRem = 1, kCheckOverlap = 2, kResetCounts = 4, kNoPktCounts = 8, kNoBytCounts = 16,
};

struct FlowMod {
  uint64_t cookie = 0, cookie_mask = 0;
  uint8_t table_id = 0;
  uint8_t command = 0;
  uint16_t idle_timeout = 0, hard_timeout = 0, priority = 0;
  uint32_t buffer_id = kNoBuffer, out_port = dp::kPortAny, out_group = kGroupAny;
  uint16_t flags = 0;
  dp::FlowKey match{}, mask{};
  DecodedInstructions instructions;
};
std::optional<OfError> DecodeFlowMod(const uint8_t* msg, size_t len, FlowMod* out);

struct PacketOut {
  uint32_t buffer_id = kNoBuffer;
  uint32_t in_port = 0;
  std::vector<dp::Action> actions;
  const uint8_t* data = nullptr;  // points into the message
  size_t data_len = 0;
};
std::optional<OfError> DecodePacketOut(const uint8_t* msg, size_t len, PacketOut* out);

// The body of a flow or aggregate stats request.
struct FlowStatsRequest {
  uint8_t table_id = kTableAll;
  uint32_t out_port = dp::kPortAny, out_group = kGroupAny;
  uint64_t cookie = 0, cookie_mask = 0;
  dp::FlowKey match{}, mask{};
};

struct MultipartRequest {
  uint16_t type = 0;
  uint16_t flags = 0;
  FlowStatsRequest flow;             // kMpFlow, kMpAggregate
  uint32_t port_no = dp::kPortAny;   // kMpPortStats, kMpQueue
  uint32_t queue_id = 0xffffffff;    // kMpQueue
  uint32_t id = 0xffffffff;          // group or meter id: kMpGroup, kMpMeter, kMpMeterConfig
};
std::optional<OfError> DecodeMultipartRequest(const uint8_t* msg, size_t len, MultipartRequest* out);

enum ControllerRole : uint32_t { kRoleNoChange = 0, kRoleEqual = 1, kRoleMaster = 2, kRoleSlave = 3 };
struct RoleRequest {
  uint32_t role = 0;
  uint64_t generation_id = 0;
};
std::optional<OfError> DecodeRoleRequest(const uint8_t* msg, size_t len, RoleRequest* out);

// Which asynchronous messages a connection gets: index 0 applies in the
// master/equal role, 1 in the slave role; bit n set means reason n is sent.
struct AsyncConfig {
  uint32_t packet_in[2] = {0x7, 0x0};
  uint32_t port_status[2] = {0x7, 0x7};
  uint32_t flow_removed[2] = {0xf, 0x0};
};
std::optional<OfError> DecodeSetAsync(const uint8_t* msg, size_t len, AsyncConfig* out);

struct PortMod {
  uint32_t port_no = 0;
  uint64_t hw_addr = 0;
  uint32_t config = 0, mask = 0, advertise = 0;
};
std::optional<OfError> DecodePortMod(const uint8_t* msg, size_t len, PortMod* out);

struct TableMod {
  uint8_t table_id = 0;
  uint32_t config = 0;
};
std::optional<OfError> DecodeTableMod(const uint8_t* msg, size_t len, TableMod* out);

// ---- Encoders ----

void EncodeHello(std::vector<uint8_t>& out, uint32_t xid);
// data: the offending message (at most 64 bytes of it are echoed, as the
// spec requires at least that much and more only bloats the reply).
void EncodeError(std::vector<uint8_t>& out, uint32_t xid, OfError e, const uint8_t* data, size_t len,
                 uint8_t version = kVersion13);
void EncodeEcho(std::vector<uint8_t>& out, uint8_t type, uint32_t xid, const uint8_t* data, size_t len);
void EncodeSimple(std::vector<uint8_t>& out, uint8_t type, uint32_t xid);  // header-only messages

struct Features {
  uint64_t datapath_id = 0;
  uint32_t n_buffers = 0;
  uint8_t n_tables = 0;
  uint32_t capabilities = 0;
};
void EncodeFeaturesReply(std::vector<uint8_t>& out, uint32_t xid, const Features& f);
void EncodeGetConfigReply(std::vector<uint8_t>& out, uint32_t xid, const SwitchConfig& c);
void EncodeRoleReply(std::vector<uint8_t>& out, uint32_t xid, const RoleRequest& r);
void EncodeGetAsyncReply(std::vector<uint8_t>& out, uint32_t xid, const AsyncConfig& a);

enum PacketInReason : uint8_t { kReasonNoMatch = 0, kReasonAction = 1, kReasonInvalidTtl = 2 };
struct PacketIn {
  uint32_t buffer_id = kNoBuffer;
  uint16_t total_len = 0;
  uint8_t reason = 0;
  uint8_t table_id = 0;
  uint64_t cookie = 0;
  dp::FlowKey match{}, mask{};  // pipeline fields: in_port, metadata, tunnel id
  const uint8_t* data = nullptr;
  size_t data_len = 0;
};
void EncodePacketIn(std::vector<uint8_t>& out, const PacketIn& p);
std::optional<OfError> DecodePacketIn(const uint8_t* msg, size_t len, PacketIn* out);  // for tests and tools

enum FlowRemovedReason : uint8_t { kRemovedIdle = 0, kRemovedHard = 1, kRemovedDelete = 2, kRemovedGroup = 3 };
struct FlowRemoved {
  uint64_t cookie = 0;
  uint16_t priority = 0;
  uint8_t reason = 0;
  uint8_t table_id = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint16_t idle_timeout = 0, hard_timeout = 0;
  uint64_t packet_count = 0, byte_count = 0;
  dp::FlowKey match{}, mask{};
};
void EncodeFlowRemoved(std::vector<uint8_t>& out, const FlowRemoved& f);

// ofp_port (1.3).
struct PortDesc {
  uint32_t port_no = 0;
  uint64_t hw_addr = 0;
  std::string name;
  uint32_t config = 0, state = 0;
  uint32_t curr = 0, advertised = 0, supported = 0, peer = 0;
  uint32_t curr_speed = 0, max_speed = 0;  // kbps
};
inline constexpr uint32_t kPortConfigDown = 1;
inline constexpr uint32_t kPortConfigNoRecv = 4;
inline constexpr uint32_t kPortConfigNoFwd = 32;
inline constexpr uint32_t kPortConfigNoPacketIn = 64;
inline constexpr uint32_t kPortStateLinkDown = 1;
inline constexpr uint32_t kPortStateLive = 4;
enum PortStatusReason : uint8_t { kPortAdd = 0, kPortDelete = 1, kPortModify = 2 };
void EncodePortDesc(Writer& w, const PortDesc& p);
void EncodePortStatus(std::vector<uint8_t>& out, uint8_t reason, const PortDesc& p);

// Builds a multipart reply, splitting it into several messages flagged
// OFPMPF_REPLY_MORE when the items would not fit in one.
class MultipartReply {
 public:
  MultipartReply(std::vector<uint8_t>& out, uint16_t type, uint32_t xid);
  // Writer for the next item; call EndItem() when it is complete.
  Writer& item() { return item_writer_; }
  void EndItem();
  void Finish();

 private:
  void Start();
  std::vector<uint8_t>& out_;
  uint16_t type_;
  uint32_t xid_;
  size_t msg_start_ = 0;
  std::vector<uint8_t> item_;
  Writer item_writer_{item_};
};

struct DescStats {
  std::string mfr, hw, sw, serial, dp;
};
void EncodeDesc(Writer& w, const DescStats& d);

struct FlowStatsEntry {
  uint8_t table_id = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint16_t priority = 0, idle_timeout = 0, hard_timeout = 0, flags = 0;
  uint64_t cookie = 0, packet_count = 0, byte_count = 0;
  const dp::FlowKey* match = nullptr;
  const dp::FlowKey* mask = nullptr;
  const dp::Instructions* instructions = nullptr;
};
void EncodeFlowStats(Writer& w, const FlowStatsEntry& f);

struct PortStats {
  uint32_t port_no = 0;
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
};
void EncodePortStats(Writer& w, const PortStats& s);

// ---- Groups and meters (group_meter_codec.cc) ----

enum GroupModCommand : uint16_t { kGroupAdd = 0, kGroupModify = 1, kGroupDelete = 2 };
struct GroupMod {
  uint16_t command = 0;
  dp::Group group;
};
std::optional<OfError> DecodeGroupMod(const uint8_t* msg, size_t len, GroupMod* out);

enum MeterModCommand : uint16_t { kMeterAdd = 0, kMeterModify = 1, kMeterDelete = 2 };
inline constexpr uint32_t kMeterMax = 0xffff0000;
inline constexpr uint32_t kMeterAll = 0xffffffff;
inline constexpr size_t kMaxMeterBands = 8;
struct MeterMod {
  uint16_t command = 0;
  dp::MeterConfig config;
};
std::optional<OfError> DecodeMeterMod(const uint8_t* msg, size_t len, MeterMod* out);

void EncodeGroupDesc(Writer& w, const dp::Group& g);
struct GroupStatsEntry {
  uint32_t group_id = 0, ref_count = 0;
  uint64_t packets = 0, bytes = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  std::vector<std::pair<uint64_t, uint64_t>> buckets;  // packets, bytes
};
void EncodeGroupStats(Writer& w, const GroupStatsEntry& g);
void EncodeGroupFeatures(Writer& w);

void EncodeMeterConfig(Writer& w, const dp::MeterConfig& m);
struct MeterStatsEntry {
  uint32_t meter_id = 0, flow_count = 0;
  uint64_t packets_in = 0, bytes_in = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  std::vector<std::pair<uint64_t, uint64_t>> bands;  // packets, bytes
};
void EncodeMeterStats(Writer& w, const MeterStatsEntry& m);
void EncodeMeterFeatures(Writer& w);

// ---- Bundles: the ONF extension (EXT-230) that carries OpenFlow 1.4
// bundles over 1.3, as ovs-ofctl --bundle uses it (bundle_codec.cc) ----

inline constexpr uint32_t kOnfExperimenterId = 0x4f4e4600;
inline constexpr uint32_t kOnfBundleControl = 2300;
inline constexpr uint32_t kOnfBundleAdd = 2301;
enum BundleCtrlType : uint16_t {
  kBundleOpenRequest = 0, kBundleOpenReply = 1, kBundleCloseRequest = 2, kBundleCloseReply = 3,
  kBundleCommitRequest = 4, kBundleCommitReply = 5, kBundleDiscardRequest = 6, kBundleDiscardReply = 7,
};
inline constexpr uint16_t kBundleAtomic = 1;
inline constexpr uint16_t kBundleOrdered = 2;
// OFPBFC_* codes; over 1.3 they travel as experimenter errors 2300 + code.
namespace bundle_failed {
enum : uint16_t {
  kUnknown = 0, kEperm = 1, kBadId = 2, kBundleExist = 3, kBundleClosed = 4, kOutOfBundles = 5,
  kBadType = 6, kBadFlags = 7, kMsgBadLen = 8, kMsgBadXid = 9, kMsgUnsup = 10, kMsgConflict = 11,
  kMsgTooMany = 12, kMsgFailed = 13, kTimeout = 14, kBundleInProgress = 15,
};
}

struct BundleCtrl {
  uint32_t bundle_id = 0;
  uint16_t type = 0;
  uint16_t flags = 0;
};
struct BundleAdd {
  uint32_t bundle_id = 0;
  uint16_t flags = 0;
  const uint8_t* inner = nullptr;  // the bundled message, header included
  size_t inner_len = 0;
};
// The experimenter id and type of an OFPT_EXPERIMENTER message.
std::optional<OfError> DecodeExperimenterHeader(const uint8_t* msg, size_t len, uint32_t* experimenter,
                                                uint32_t* exp_type);
// Bundle errors come back as {kBundleFailedType, code}; EncodeError writes
// them in the 1.3 experimenter form.
inline constexpr uint16_t kBundleFailedType = 17;
std::optional<OfError> DecodeBundleCtrl(const uint8_t* msg, size_t len, BundleCtrl* out);
std::optional<OfError> DecodeBundleAdd(const uint8_t* msg, size_t len, BundleAdd* out);
void EncodeBundleReply(std::vector<uint8_t>& out, uint32_t xid, const BundleCtrl& reply);

}  // namespace hashi::of
