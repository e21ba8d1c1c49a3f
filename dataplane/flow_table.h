// FlowTable: one OpenFlow table's classifier, a tuple space search.
//
// Rules are grouped by mask into subtables; each subtable is an open-addressed
// hash of the masked keys of its rules, keyed only by the words its mask uses.
// Subtables are visited in order of their highest priority and the search
// stops as soon as no remaining subtable can beat the best match so far, so a
// table whose rules share one mask costs one hash probe per packet whatever
// the number of rules. Rules with the same mask and masked key keep only the
// highest priority one in the hash: the others can never win.
//
// A FlowTable is built by control from a list of rules and never changes
// afterwards (it lives in an immutable TableSet), so lookups take no lock and
// perform no writes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/compiler.h"
#include "dataplane/flow_rule.h"

namespace hashi::dp {

// A rule as a table sees it: the rule and its index into the TableSet's
// per-worker counters.
struct RuleRef {
  const FlowRule* rule;
  uint32_t counter_index;
};

class FlowTable {
 public:
  static std::unique_ptr<FlowTable> Build(std::vector<RuleRef> rules);

  HASHI_ALWAYS_INLINE const RuleRef* Lookup(const FlowKey& key) const {
    const RuleRef* best = nullptr;
    int best_priority = -1;
    for (const Subtable& st : subtables_) {
      if (static_cast<int>(st.max_priority) <= best_priority) break;
      const RuleRef* r = st.Find(key, entries_.data());
      if (r != nullptr && static_cast<int>(r->rule->priority) > best_priority) {
        best = r;
        best_priority = r->rule->priority;
      }
    }
    return best;
  }

  size_t subtable_count() const { return subtables_.size(); }
  size_t rule_count() const { return entries_.size(); }

 private:
  static constexpr uint32_t kEmpty = 0xffffffff;
  struct Slot {
    uint32_t hash;
    uint32_t entry;
  };
  struct Subtable {
    FlowKey mask;
    uint8_t words[kFlowKeyWords];
    uint8_t nwords;
    uint32_t max_priority;
    uint32_t slot_mask;
    std::vector<Slot> slots;

    HASHI_ALWAYS_INLINE uint32_t Hash(const FlowKey& key) const {
      uint32_t h = nwords;
      for (int i = 0; i < nwords; ++i) h = HashWord(h, key.w[words[i]] & mask.w[words[i]]);
      return FinishHash(h);
    }
    HASHI_ALWAYS_INLINE bool Matches(const FlowKey& key, const FlowRule& r) const {
      for (int i = 0; i < nwords; ++i) {
        const int w = words[i];
        if ((key.w[w] & mask.w[w]) != r.match.w[w]) return false;
      }
      return true;
    }
    HASHI_ALWAYS_INLINE const RuleRef* Find(const FlowKey& key, const RuleRef* entries) const {
      const uint32_t h = Hash(key);
      for (uint32_t i = h & slot_mask;; i = (i + 1) & slot_mask) {
        const Slot& s = slots[i];
        if (s.entry == kEmpty) return nullptr;
        if (s.hash == h && Matches(key, *entries[s.entry].rule)) return &entries[s.entry];
      }
    }
  };

  std::vector<Subtable> subtables_;
  std::vector<RuleRef> entries_;
};

}  // namespace hashi::dp
