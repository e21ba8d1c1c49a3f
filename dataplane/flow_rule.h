// FlowRule: one OpenFlow-style rule as control stores it and as flow tables
// reference it: match under mask, priority, cookie and instructions
// (apply-actions, clear-actions, write-actions, write-metadata, goto-table).
// A FlowRule is immutable once published; snapshots share it by shared_ptr
// held on the control side, and workers see it through raw pointers that stay
// valid for a grace period after the snapshot that holds them is replaced.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/flow_key.h"

namespace hashi::dp {

// Reserved OpenFlow port numbers (OpenFlow 1.3 ofp_port_no).
inline constexpr uint32_t kPortMax = 0xffffff00;
inline constexpr uint32_t kPortInPort = 0xfffffff8;
inline constexpr uint32_t kPortTable = 0xfffffff9;
inline constexpr uint32_t kPortNormal = 0xfffffffa;
inline constexpr uint32_t kPortFlood = 0xfffffffb;
inline constexpr uint32_t kPortAll = 0xfffffffc;
inline constexpr uint32_t kPortController = 0xfffffffd;
inline constexpr uint32_t kPortLocal = 0xfffffffe;
inline constexpr uint32_t kPortAny = 0xffffffff;

inline constexpr int kMaxTables = 255;
inline constexpr uint8_t kNoGoto = 0xff;

enum class ActionType : uint8_t {
  kOutput,    // port (logical or reserved); value = max_len for CONTROLLER
  kSetField,  // field = value (under mask; mask is all ones for a plain set)
  kPushVlan,  // ethertype 0x8100 or 0x88a8
  kPopVlan,
  kDecTtl,
  kGroup,     // port = group id; in a TableSet, value = the group's index
  kMeter,     // only inside a TableSet: value = the MeterState* a rule's meter instruction names
};

struct Action {
  ActionType type = ActionType::kOutput;
  Field field = Field::kCount;
  uint16_t ethertype = 0;
  uint32_t port = 0;
  uint64_t value = 0;
  uint64_t mask = ~0ull;

  bool operator==(const Action&) const = default;
};

struct Instructions {
  std::vector<Action> apply;
  std::vector<Action> write;  // action set, kept in OpenFlow execution order
  bool clear_actions = false;
  bool write_metadata = false;
  uint64_t metadata_value = 0;
  uint64_t metadata_mask = 0;
  uint8_t goto_table = kNoGoto;
  uint32_t meter_id = 0;  // OpenFlow meter instruction (0: none)

  bool operator==(const Instructions&) const = default;
};

// Per-rule hit counters: one slot per worker (and one for control), so a
// slot has a single writer. Worker w's slot of a rule is counters[w *
// kCounterStride] (see dataplane/rule_counters.h).
struct RuleCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};
inline constexpr unsigned kCounterStride = 4096;

struct FlowRule {
  uint8_t table_id = 0;
  uint16_t priority = 0x8000;  // OpenFlow's default
  uint64_t cookie = 0;
  FlowKey match{};  // already masked: match.w[i] & ~mask.w[i] == 0
  FlowKey mask{};
  Instructions instructions;
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint16_t flags = 0;  // OpenFlow flow-mod flags (send_flow_rem, ...): control only
  // Where workers count this rule's hits (worker w at counters[w *
  // kCounterStride]), owned by whoever owns the rule (FlowDb keeps them
  // across rule versions, so counters survive replacement and rebuilds).
  // Null: the TableSet that holds the rule allocates them.
  RuleCounters* counters = nullptr;

  // Masks match with mask so the invariant above holds.
  void Normalize() {
    for (int i = 0; i < kFlowKeyWords; ++i) match.w[i] &= mask.w[i];
  }
  bool SameMatch(const FlowRule& o) const {
    return table_id == o.table_id && priority == o.priority && match == o.match && mask == o.mask;
  }
};


}  // namespace hashi::dp
