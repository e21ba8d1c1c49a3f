// TableSet: an immutable snapshot of the whole pipeline (up to 255 flow
// tables, each table's miss behaviour) plus the per-worker hit counters of the
// rules it holds.
//
// Who reads, who writes: control builds a TableSet and publishes it through
// Datapath with one release store; workers load the pointer once per burst
// and only read it, except for their own counter arrays (counters(worker)),
// which exactly one worker writes. Control reads the counters racily (relaxed,
// word-sized) and folds them into the flow database after the snapshot is
// replaced and a grace period has passed. The version number lets each
// worker's exact-match cache notice a new snapshot without any message.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/flow_table.h"
#include "dataplane/group.h"
#include "dataplane/meter.h"

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

// Groups and meters the rules of a TableSet may name.
struct PipelineObjects {
  std::vector<GroupInput> groups;
  std::vector<MeterState*> meters;  // found by config().id
};

class TableSet {
 public:
  // rules: every rule in every table; index i in the vector is the rule's
  // counter index. num_workers sizes the per-worker counter arrays. A group
  // action's value becomes the index of its group in groups (kNoGroup when
  // the id is unknown).
  static std::unique_ptr<TableSet> Build(std::vector<const FlowRule*> rules,
                                         const std::array<TableMiss, kMaxTables>& miss,
                                         unsigned num_workers, uint64_t version,
                                         const PipelineObjects& objects = {});
  static constexpr uint64_t kNoGroup = ~0ull;

  const FlowTable* table(uint8_t id) const { return tables_[id].get(); }
  TableMiss miss(uint8_t id) const { return miss_[id]; }
  uint64_t version() const { return version_; }
  unsigned num_workers() const { return static_cast<unsigned>(counters_.size()); }
  size_t rule_count() const { return rules_.size(); }
  const FlowRule* rule(uint32_t index) const { return rules_[index]; }

  size_t group_count() const { return groups_.size(); }
  const GroupRef& group(uint64_t index) const { return groups_[index]; }

  RuleCounters* counters(unsigned worker) const { return counters_[worker].get(); }
  // Group and bucket counters (GroupRef::counter_index).
  RuleCounters* group_counters(unsigned worker) const { return group_counters_[worker].get(); }
  RuleCounters SumGroupCounters(uint32_t index) const;
  TableCounters* table_counters(unsigned worker) const { return table_counters_[worker].get(); }
  // Sum over workers of rule index's counters.
  RuleCounters SumCounters(uint32_t index) const;
  TableCounters SumTableCounters(uint8_t table) const;

 private:
  TableSet() = default;
  uint64_t version_ = 0;
  std::array<std::unique_ptr<FlowTable>, kMaxTables> tables_{};
  std::array<TableMiss, kMaxTables> miss_{};
  std::vector<const FlowRule*> rules_;
  std::vector<Action> actions_;  // every rule's and bucket's actions, referenced by RuleRef/BucketRef
  std::vector<GroupRef> groups_;
  std::vector<BucketRef> buckets_;
  std::vector<std::unique_ptr<RuleCounters[]>> group_counters_;
  std::vector<std::unique_ptr<RuleCounters[]>> counters_;
  std::vector<std::unique_ptr<TableCounters[]>> table_counters_;
};

}  // namespace hashi::dp
