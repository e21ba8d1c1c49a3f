// TableSet: an immutable snapshot of the whole pipeline (up to 255 flow
// tables, each table's miss behaviour, the groups), as workers see it.
//
// Layers: a table's rules may be spread over up to three RuleLevels, each an
// immutable classifier per table. A lookup asks every level and takes the
// highest priority. Levels are shared between snapshots: control rebuilds
// only the small newest level when flow-mods add rules one by one (each
// behind a barrier, as ovs-ofctl add-flows sends them), merges it into a
// middle level when it grows, and rebuilds everything only when rules are
// deleted or changed or the middle level outgrows its share (FlowDb decides).
// So a barrier costs a rebuild of a few dozen rules, not of the whole table.
//
// Counters: a rule's hit counters live in a block owned with the rule
// (FlowRule::counters; one cache-line slot per worker), so they survive any
// number of snapshots without folding. Per-table miss counters and group
// counters are per snapshot, per worker; control folds them when a snapshot
// is retired.
//
// Who reads, who writes: control builds a TableSet and publishes it through
// Datapath with one release store; workers load the pointer once per burst
// and only read it, except for their own counter slots. The version number
// lets each worker's exact-match cache notice a new snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/flow_table.h"
#include "dataplane/group.h"
#include "dataplane/meter.h"
#include "dataplane/rule_counters.h"

namespace hashi::dp {

enum class TableMiss : uint8_t {
  kDrop,        // OpenFlow 1.3's default: no table-miss rule, drop
  kController,  // send to the controller queue
  kContinue,    // go to the next table
  kNormal,      // L2 learning switch (standalone mode)
};

// Packets that missed in a table (continue, or the table-miss behaviour);
// a table's matches are the sum of its rules' counters, so the fast path
// counts nothing per table on a hit, whether from the cache or the tables.
struct TableCounters {
  uint64_t missed = 0;
};

// A group for TableSet::Build, with its buckets' liveness.
struct GroupInput {
  const Group* group;
  std::vector<bool> bucket_live;
};

// Groups and meters the rules of a TableSet may name. Group actions resolve
// to indexes in groups (kept in id order), meter instructions to the states.
struct PipelineObjects {
  std::vector<GroupInput> groups;
  std::vector<MeterState*> meters;  // found by config().id
};

inline constexpr int kMaxLevels = 3;

// One immutable layer of rules: a classifier per table, the rules' actions
// in one pool, and counter blocks for rules that bring none.
class RuleLevel {
 public:
  // counter_slots: workers plus control (the slots each counter block has).
  static std::shared_ptr<const RuleLevel> Build(const std::vector<const FlowRule*>& rules,
                                                const PipelineObjects& objects, unsigned counter_slots);
  const FlowTable* table(uint8_t id) const { return tables_[id].get(); }
  const std::vector<const FlowRule*>& rules() const { return rules_; }
  const std::vector<RuleCounters*>& counters() const { return counters_; }
  // Whether every table-0 rule here matches on in_port alone and only
  // outputs to one numbered port (see TableSet::in_port_only).
  bool table0_in_port_only() const { return table0_in_port_only_; }

 private:
  RuleLevel() = default;
  bool table0_in_port_only_ = true;
  std::array<std::unique_ptr<FlowTable>, kMaxTables> tables_{};
  std::vector<const FlowRule*> rules_;
  std::vector<RuleCounters*> counters_;  // per rule
  std::vector<Action> actions_;
  std::unique_ptr<CounterArena> owned_counters_;
};

class TableSet {
 public:
  // A snapshot of one level holding rules (tests, and FlowDb's full builds).
  // num_workers sizes the counter slots (workers plus control).
  static std::unique_ptr<TableSet> Build(std::vector<const FlowRule*> rules,
                                         const std::array<TableMiss, kMaxTables>& miss,
                                         unsigned num_workers, uint64_t version,
                                         const PipelineObjects& objects = {});
  // A snapshot of existing levels (oldest first; null entries are skipped).
  static std::unique_ptr<TableSet> Assemble(std::vector<std::shared_ptr<const RuleLevel>> levels,
                                            const std::array<TableMiss, kMaxTables>& miss,
                                            unsigned num_workers, uint64_t version,
                                            const PipelineObjects& objects);
  static constexpr uint64_t kNoGroup = ~0ull;

  using Levels = std::array<const FlowTable*, kMaxLevels>;
  // Table id's classifier in each level (null where a level has none).
  const Levels& levels(uint8_t id) const { return tables_[id]; }
  // The best rule for key across levels (highest priority). Most of the
  // time only the first level exists: one test of the other two.
  HASHI_ALWAYS_INLINE static const RuleRef* LookupIn(const Levels& t, const FlowKey& key) {
    const RuleRef* best = t[0] ? t[0]->Lookup(key) : nullptr;
    if (HASHI_LIKELY((reinterpret_cast<uintptr_t>(t[1]) | reinterpret_cast<uintptr_t>(t[2])) == 0)) return best;
    for (int l = 1; l < kMaxLevels; ++l) {
      if (t[l] == nullptr) continue;
      const RuleRef* r = t[l]->Lookup(key);
      if (r != nullptr && (best == nullptr || r->priority > best->priority)) best = r;
    }
    return best;
  }
  HASHI_ALWAYS_INLINE const RuleRef* Lookup(uint8_t id, const FlowKey& key) const {
    return LookupIn(tables_[id], key);
  }
  bool has_table(uint8_t id) const { return tables_[id][0] || tables_[id][1] || tables_[id][2]; }
  // True when table 0 has rules and each matches on in_port alone and only
  // outputs to one numbered port (port patching, VM <-> tunnel): then a
  // packet's rule follows from its in_port, and workers skip parsing and
  // the exact-match cache (Open vSwitch's "simple match" does the same).
  bool in_port_only() const { return in_port_only_; }
  TableMiss miss(uint8_t id) const { return miss_[id]; }
  uint64_t version() const { return version_; }
  unsigned num_workers() const { return static_cast<unsigned>(table_counters_.size()); }
  size_t level_count() const { return levels_.size(); }

  // Rules across levels, oldest level first (index i is stable in a
  // snapshot). Control and tests only: these walk the levels.
  size_t rule_count() const;
  const FlowRule* rule(uint32_t index) const;
  // Worker's counter slot of rule index, and the sum over workers.
  RuleCounters* counters(uint32_t index, unsigned worker) const;
  RuleCounters SumCounters(uint32_t index) const;

  size_t group_count() const { return groups_.size(); }
  const GroupRef& group(uint64_t index) const { return groups_[index]; }
  // Group and bucket counters (GroupRef::counter_index), per worker.
  RuleCounters* group_counters(unsigned worker) const { return group_counters_[worker].get(); }
  RuleCounters SumGroupCounters(uint32_t index) const;

  TableCounters* table_counters(unsigned worker) const { return table_counters_[worker].get(); }
  TableCounters SumTableCounters(uint8_t table) const;

 private:
  TableSet() = default;
  void BuildGroups(const PipelineObjects& objects, unsigned num_workers);

  uint64_t version_ = 0;
  bool in_port_only_ = false;
  std::vector<std::shared_ptr<const RuleLevel>> levels_;
  std::array<std::array<const FlowTable*, kMaxLevels>, kMaxTables> tables_{};
  std::array<TableMiss, kMaxTables> miss_{};
  std::vector<Action> group_actions_;  // bucket actions, referenced by BucketRef
  std::vector<GroupRef> groups_;
  std::vector<BucketRef> buckets_;
  std::vector<std::unique_ptr<RuleCounters[]>> group_counters_;
  std::vector<std::unique_ptr<TableCounters[]>> table_counters_;
};

// The index of group id in objects.groups, or TableSet::kNoGroup.
uint64_t GroupIndex(const PipelineObjects& objects, uint32_t id);

}  // namespace hashi::dp
