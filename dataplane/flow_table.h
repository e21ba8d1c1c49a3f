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

// A rule as a table and a worker see it: everything the fast path needs
// packed in one place (the TableSet copies each rule's actions into one
// contiguous pool), so executing a rule does not chase the control-side
// FlowRule and its vectors. rule stays for control and for tests.
struct alignas(64) RuleRef {
  const FlowRule* rule;
  RuleCounters* counters;  // the rule's counters: worker w's at counters[w * kCounterStride]
  // When the rule's only instruction is one output to a numbered port, that
  // port (else 0): executing it then reads nothing beyond this cache line.
  uint32_t only_output = 0;
  uint16_t priority;  // filled by FlowTable::Build from rule
  uint8_t table_id = 0;
  uint8_t goto_table = kNoGoto;
  bool clear_actions = false;
  bool write_metadata = false;
  uint16_t n_apply = 0;
  uint16_t n_write = 0;
  const Action* apply = nullptr;
  const Action* write = nullptr;
  uint64_t metadata_value = 0;
  uint64_t metadata_mask = 0;
};

class FlowTable {
 public:
  static std::unique_ptr<FlowTable> Build(std::vector<RuleRef> rules);

  HASHI_ALWAYS_INLINE const RuleRef* Lookup(const FlowKey& key) const {
    const RuleRef* best = nullptr;
    int best_priority = -1;
    for (const Subtable& st : subtables_) {
      if (static_cast<int>(st.max_priority) <= best_priority) break;
      int priority;
      const RuleRef* r = st.Find(key, entries_.data(), &priority);
      if (r != nullptr && priority > best_priority) {
        best = r;
        best_priority = priority;
      }
    }
    return best;
  }

  // Prefetches the slot a lookup of key would probe first, so a burst can
  // issue every packet's first cache miss before waiting on any of them.
  HASHI_ALWAYS_INLINE void Prefetch(const FlowKey& key) const {
    if (!subtables_.empty()) subtables_[0].Prefetch(key);
  }

  size_t subtable_count() const { return subtables_.size(); }
  size_t rule_count() const { return entries_.size(); }

 private:
  static constexpr uint32_t kEmpty = 0xffffffff;
  // Each subtable is an open-addressed array of slots of (1 + nwords)
  // 64-bit words: a header (16-bit hash tag, 16-bit priority, 32-bit entry
  // index), then the rule's masked key words, so a probe reads one cache line
  // and never the rule itself.
  struct Subtable {
    FlowKey mask;
    uint8_t words[kFlowKeyWords];
    uint8_t nwords;
    uint32_t max_priority;
    uint32_t slot_mask;
    uint32_t stride;
    std::vector<uint64_t> slots;

    HASHI_ALWAYS_INLINE uint32_t Hash(const uint64_t* masked) const {
      uint32_t h = nwords;
      for (int i = 0; i < nwords; ++i) h = HashWord(h, masked[i]);
      return FinishHash(h);
    }
    HASHI_ALWAYS_INLINE void Prefetch(const FlowKey& key) const {
      uint64_t masked[kFlowKeyWords];
      for (int i = 0; i < nwords; ++i) masked[i] = key.w[words[i]] & mask.w[words[i]];
      HASHI_PREFETCH(&slots[static_cast<size_t>(Hash(masked) & slot_mask) * stride]);
    }
    HASHI_ALWAYS_INLINE const RuleRef* Find(const FlowKey& key, const RuleRef* entries,
                                            int* priority) const {
      uint64_t masked[kFlowKeyWords];
      for (int i = 0; i < nwords; ++i) masked[i] = key.w[words[i]] & mask.w[words[i]];
      const uint32_t h = Hash(masked);
      const uint16_t tag = static_cast<uint16_t>(h >> 16);
      for (uint32_t i = h & slot_mask;; i = (i + 1) & slot_mask) {
        const uint64_t* s = &slots[static_cast<size_t>(i) * stride];
        const uint32_t entry = static_cast<uint32_t>(s[0]);
        if (entry == kEmpty) return nullptr;
        if (static_cast<uint16_t>(s[0] >> 48) != tag) continue;
        uint64_t diff = 0;
        for (int j = 0; j < nwords; ++j) diff |= masked[j] ^ s[1 + j];
        if (diff == 0) {
          *priority = static_cast<int>((s[0] >> 32) & 0xffff);
          return &entries[entry];
        }
      }
    }
    static uint64_t SlotHeader(uint32_t hash, uint16_t priority, uint32_t entry) {
      return static_cast<uint64_t>(hash >> 16) << 48 | static_cast<uint64_t>(priority) << 32 | entry;
    }
  };

  std::vector<Subtable> subtables_;
  std::vector<RuleRef> entries_;
};

}  // namespace hashi::dp
