// FlowDb: the authoritative set of flow rules, owned by the control thread.
//
// Changes (add, delete, table-miss settings) are staged here and become
// visible to workers only at Commit(), which builds one new immutable
// TableSet from every rule and publishes it with a single pointer store; a
// batch of thousands of changes therefore costs one rebuild and one grace
// period. After the grace period Commit() folds the retired snapshot's
// per-worker hit counters into each surviving rule's base counts, so counters
// survive rebuilds. Not thread-safe: control thread only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "dataplane/datapath.h"
#include "dataplane/flow_rule.h"
#include "dataplane/table_set.h"

namespace hashi::ctl {

struct FlowStats {
  const dp::FlowRule* rule;
  uint64_t packets;
  uint64_t bytes;
};

class FlowDb {
 public:
  explicit FlowDb(dp::Datapath& datapath);

  // Adds rule; a rule with the same table, priority and match is replaced
  // (OpenFlow ADD semantics: its counters restart).
  Status Add(dp::FlowRule rule);
  // Deletes rules of table (kAllTables for every table) whose match is at
  // least as specific as filter's (OpenFlow non-strict delete); with strict,
  // only the rule with exactly that match and priority. Returns the count.
  static constexpr int kAllTables = 0xff;
  size_t Delete(int table, const dp::FlowRule& filter, bool strict);
  size_t DeleteAll() { return Delete(kAllTables, dp::FlowRule{}, false); }
  void SetTableMiss(uint8_t table, dp::TableMiss miss);

  // Publishes every staged change in one snapshot. Blocks the control thread
  // for one grace period; never blocks a worker.
  void Commit();

  size_t size() const { return rules_.size(); }
  uint64_t version() const { return version_; }
  // Rules with their hit counts (base plus the live snapshot's counters).
  std::vector<FlowStats> Dump() const;

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
  struct Entry {
    std::unique_ptr<dp::FlowRule> rule;
    dp::RuleCounters base;
    int64_t live_index = -1;  // counter index in the published TableSet
  };
  static Key KeyOf(const dp::FlowRule& r) { return Key{r.table_id, r.priority, r.match, r.mask}; }

  dp::Datapath& datapath_;
  std::unordered_map<Key, Entry, KeyHash> rules_;
  std::array<dp::TableMiss, dp::kMaxTables> miss_{};
  // Rules removed since the last commit; the published snapshot may still
  // point at them, so they live until it is retired.
  std::vector<std::unique_ptr<dp::FlowRule>> retired_;
  uint64_t version_ = 1;
};

}  // namespace hashi::ctl
