// FlowDb: the authoritative set of flow rules, owned by the control thread.
//
// Changes (add, modify, delete, expiry, table-miss settings) are staged here
// and become visible to workers only at Commit(), which publishes one new
// immutable TableSet with a single pointer store; a batch of thousands of
// changes costs one publish and one grace period. Rules sit in up to three
// RuleLevels (see table_set.h): rules added since the last full build go to
// a small newest level that is rebuilt at each commit and merged into a
// middle level when it grows; deleting or changing a rule, or any group or
// meter change, rebuilds everything. So a commit after each of 100k single
// adds (ovs-ofctl add-flows puts a barrier after every flow-mod) costs a few
// dozen rules' worth of building, and the total stays near O(n sqrt n).
//
// Each rule owns a counter block (one slot per worker) that survives rule
// replacement and every rebuild, so counters need no folding; the final
// counts of rules removed since the last commit are read after its grace
// period (TakeRemoved(), for OFPT_FLOW_REMOVED). Semantics follow
// OpenFlow 1.3.5 section 6.4: ADD replaces a rule with the same table,
// priority and match (keeping its counters unless reset_counts), MODIFY and
// DELETE select rules strictly or non-strictly, by cookie under a mask and
// by output port. Not thread-safe: control thread only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "dataplane/datapath.h"
#include "dataplane/flow_rule.h"
#include "dataplane/group.h"
#include "dataplane/meter.h"
#include "dataplane/rule_counters.h"
#include "dataplane/table_set.h"

namespace hashi::ctl {

// Which rules a modify, delete or stats request selects.
struct FlowFilter {
  static constexpr int kAllTables = 0xff;
  int table = kAllTables;
  dp::FlowKey match{}, mask{};  // non-strict: rules at least this specific
  bool strict = false;          // strict: exactly this match and priority
  uint16_t priority = 0;
  uint64_t cookie = 0, cookie_mask = 0;
  uint32_t out_port = dp::kPortAny;  // only rules that output there
  uint32_t out_group = 0xffffffff;   // only rules that send to this group (OFPG_ANY: any)
};

struct FlowStats {
  const dp::FlowRule* rule;
  uint64_t packets;
  uint64_t bytes;
  uint64_t age_ns;  // since the rule was added
};

// Why a rule left the table (ofp_flow_removed_reason).
enum class RemovedReason : uint8_t { kIdleTimeout = 0, kHardTimeout = 1, kDelete = 2, kGroupDelete = 3,
                                     kMeterDelete = 4 };

struct GroupStats {
  const dp::Group* group;
  uint32_t ref_count;  // rules that send to it
  dp::RuleCounters total;
  std::vector<dp::RuleCounters> buckets;
  uint64_t age_ns;
};

struct MeterStats {
  const dp::MeterState* meter;
  uint32_t flow_count;
  uint64_t age_ns;
};

struct RemovedFlow {
  dp::FlowRule rule;
  RemovedReason reason;
  uint64_t packets, bytes;
  uint64_t age_ns;
};

// Flow-mod flags FlowDb acts on (OpenFlow ofp_flow_mod_flags).
inline constexpr uint16_t kFlagSendFlowRem = 1;
inline constexpr uint16_t kFlagResetCounts = 4;

uint64_t SteadyNowNs();

using TableTotals = std::array<dp::TableCounters, dp::kMaxTables>;

// One table's figures, as OpenFlow's table statistics report them.
struct TableStat {
  uint64_t active = 0;   // rules in the table
  uint64_t lookups = 0;  // packets looked up (matched + missed)
  uint64_t matched = 0;  // the sum of the table's rules' packet counts
};

class FlowDb {
 public:
  explicit FlowDb(dp::Datapath& datapath);

  // Adds rule (rule.flags may hold kFlagResetCounts); a rule with the same
  // table, priority and match is replaced and its counters are carried over
  // unless reset_counts is set.
  Status Add(dp::FlowRule rule, uint64_t now_ns = SteadyNowNs());
  // True when rule would overlap an existing rule of the same table and
  // priority (some packet matches both): OFPFF_CHECK_OVERLAP.
  bool Overlaps(const dp::FlowRule& rule) const;
  // Replaces the instructions of every selected rule; returns the count.
  size_t Modify(const FlowFilter& filter, const dp::Instructions& instructions, bool reset_counts);
  // Removes every selected rule; returns the count.
  size_t Delete(const FlowFilter& filter, RemovedReason reason = RemovedReason::kDelete);
  // Shorthand for tests and tools: table (or kAllTables) and a rule whose
  // match (and, when strict, priority) is the filter.
  static constexpr int kAllTables = FlowFilter::kAllTables;
  size_t Delete(int table, const dp::FlowRule& filter, bool strict);
  size_t DeleteAll() { return Delete(FlowFilter{}); }
  // Removes rules whose idle or hard timeout has passed at now_ns.
  size_t ExpireFlows(uint64_t now_ns = SteadyNowNs());
  void SetTableMiss(uint8_t table, dp::TableMiss miss);

  // Groups (the caller checks existence first, to pick OpenFlow's error).
  bool HasGroup(uint32_t id) const { return groups_.count(id) != 0; }
  size_t group_count() const { return groups_.size(); }
  void SetGroup(dp::Group group);  // adds or replaces
  // Deletes group id (0xfffffffc: all) and the rules that send to it.
  void DeleteGroup(uint32_t id);
  std::vector<GroupStats> DumpGroups() const;
  // Tells bucket liveness (fast-failover, select): whether a port is live.
  // Changes in liveness take effect at the next commit (MarkDirty()).
  void SetPortLiveness(std::function<bool(uint32_t)> live) { port_live_ = std::move(live); }
  void MarkDirty() {
    dirty_ = true;
    full_rebuild_ = true;  // bucket liveness is resolved into the levels' groups
  }

  // Meters, likewise.
  bool HasMeter(uint32_t id) const { return meters_.count(id) != 0; }
  size_t meter_count() const { return meters_.size(); }
  void SetMeter(const dp::MeterConfig& config);  // adds or replaces (state restarts)
  // Deletes meter id (0xffffffff: all) and the rules that use it.
  void DeleteMeter(uint32_t id);
  std::vector<MeterStats> DumpMeters() const;
  // While fail-open is set, the published snapshot ignores every rule and
  // forwards everything with NORMAL (standalone fail mode without a
  // controller); the rules themselves are kept.
  void SetFailOpen(bool on);
  bool fail_open() const { return fail_open_; }

  // Transactions (bundles): rule changes made between Begin and Rollback
  // are undone by Rollback, so a group of flow-mods takes effect entirely
  // or not at all. Not nested; groups and meters are not covered.
  void BeginTransaction();
  void RollbackTransaction();
  void EndTransaction();

  // Publishes every staged change in one snapshot. Blocks the control thread
  // for one grace period; never blocks a worker.
  void Commit();
  bool dirty() const { return dirty_; }

  size_t size() const { return rules_.size(); }
  uint64_t version() const { return version_; }
  // Rules with their hit counts (base plus the live snapshot's counters),
  // all of them or those filter selects.
  std::vector<FlowStats> Dump(const FlowFilter* filter = nullptr) const;
  // Every table's rule count, lookups and matches since start (across
  // rebuilds); a table's matches are the sum of its rules' packet counts.
  std::vector<TableStat> TableStats() const;
  // The first group the instructions send to that does not exist.
  std::optional<uint32_t> MissingGroup(const dp::Instructions& ins) const;
  // Rules removed and committed since the last call, with final counts.
  std::vector<RemovedFlow> TakeRemoved() { return std::move(removed_); }

 private:
  struct Key {
    uint8_t table;
    uint16_t priority;
    dp::FlowKey match, mask;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  // One rule's counter slots, from the arena; shared by the rule's versions
  // and returned to the arena when the last one goes.
  using CounterBlock = std::shared_ptr<dp::RuleCounters>;
  struct Entry {
    std::unique_ptr<dp::FlowRule> rule;
    CounterBlock counters;  // rule->counters points here
    uint64_t created_ns = 0;
    uint64_t last_used_ns = 0;  // idle timeouts: when the packet count last moved
    uint64_t last_packets = 0;
  };
  // A rule version the published snapshot may still use, kept to the commit.
  struct Retired {
    std::unique_ptr<dp::FlowRule> rule;
    CounterBlock counters;
  };
  // A removed rule waiting for the commit that makes its counts final.
  struct Removing {
    Entry entry;
    RemovedReason reason;
    uint64_t removed_ns;
  };
  static Key KeyOf(const dp::FlowRule& r) { return Key{r.table_id, r.priority, r.match, r.mask}; }
  bool Selects(const FlowFilter& f, const dp::FlowRule& r) const;
  // In a transaction: remembers key's state before its first change.
  void SaveUndo(const Key& key);
  CounterBlock NewCounters() const;
  dp::RuleCounters Count(const Entry& e) const;
  void Retire(Entry& e) { retired_.push_back(Retired{std::move(e.rule), e.counters}); }

  dp::Datapath& datapath_;
  std::unordered_map<Key, Entry, KeyHash> rules_;
  std::unordered_set<Key, KeyHash> timed_;  // rules with an idle or hard timeout (may hold stale keys)
  std::array<dp::TableMiss, dp::kMaxTables> miss_{};
  // Rule versions replaced since the last commit; the published snapshot may
  // still point at them, so they live until it is retired.
  std::vector<Retired> retired_;
  std::shared_ptr<dp::CounterArena> arena_;  // shared with the blocks' deleters
  // Levels (table_set.h): what the next commit may reuse.
  std::shared_ptr<const dp::RuleLevel> base_level_, mid_level_;
  std::vector<const dp::FlowRule*> mid_rules_, new_rules_;
  bool full_rebuild_ = true;
  std::vector<Removing> removing_;
  std::vector<RemovedFlow> removed_;
  TableTotals table_base_{};
  struct GroupEntry {
    std::unique_ptr<dp::Group> group;
    std::vector<dp::RuleCounters> base;  // group, then each bucket
    int64_t live_index = -1;             // GroupRef::counter_index in the published TableSet
    uint64_t created_ns = 0;
  };
  struct MeterEntry {
    std::unique_ptr<dp::MeterState> state;
    uint64_t created_ns = 0;
  };
  std::map<uint32_t, GroupEntry> groups_;
  std::map<uint32_t, MeterEntry> meters_;
  std::vector<std::unique_ptr<dp::Group>> retired_groups_;
  std::vector<std::unique_ptr<dp::MeterState>> retired_meters_;
  std::function<bool(uint32_t)> port_live_;
  struct Undo {
    Key key;
    bool existed;
    Entry old;  // a copy of the rule as it was (when it existed)
  };
  bool in_transaction_ = false;
  std::vector<Undo> undo_;
  std::unordered_map<Key, bool, KeyHash> undo_saved_;
  size_t removing_mark_ = 0;
  uint64_t version_ = 1;
  uint64_t published_version_ = 0;
  bool fail_open_ = false;
  bool dirty_ = true;
};

}  // namespace hashi::ctl
