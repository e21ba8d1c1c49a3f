// Building a FlowTable: group rules by mask, sort, and fill each subtable's
// open-addressed hash at a load factor of at most one half.
#include "dataplane/flow_table.h"

#include <algorithm>
#include <map>

namespace hashi::dp {
namespace {

struct MaskLess {
  bool operator()(const FlowKey& a, const FlowKey& b) const {
    return std::lexicographical_compare(a.w, a.w + kFlowKeyWords, b.w, b.w + kFlowKeyWords);
  }
};

}  // namespace

std::unique_ptr<FlowTable> FlowTable::Build(std::vector<RuleRef> rules) {
  auto table = std::unique_ptr<FlowTable>(new FlowTable());
  // Highest priority first, so the first rule inserted for a masked key wins.
  // Sorting small (priority, index) pairs and placing each 64-byte RuleRef
  // once is much cheaper than sorting the RuleRefs (and std::sort, not
  // stable_sort: libstdc++'s temporary buffer ignores RuleRef's alignment).
  std::vector<std::pair<uint32_t, uint32_t>> order(rules.size());
  for (uint32_t i = 0; i < rules.size(); ++i) order[i] = {0xffffu - rules[i].rule->priority, i};
  std::sort(order.begin(), order.end());
  table->entries_.reserve(rules.size());
  for (const auto& [inverted_priority, i] : order) table->entries_.push_back(rules[i]);
  for (RuleRef& ref : table->entries_) ref.priority = ref.rule->priority;

  std::map<FlowKey, std::vector<uint32_t>, MaskLess> by_mask;
  for (uint32_t i = 0; i < table->entries_.size(); ++i) {
    by_mask[table->entries_[i].rule->mask].push_back(i);
  }
  for (auto& [mask, members] : by_mask) {
    Subtable st{};
    st.mask = mask;
    for (int w = 0; w < kFlowKeyWords; ++w) {
      if (mask.w[w] != 0) st.words[st.nwords++] = static_cast<uint8_t>(w);
    }
    uint32_t capacity = 8;
    while (capacity < members.size() * 2) capacity <<= 1;
    st.slot_mask = capacity - 1;
    st.stride = 1u + st.nwords;
    st.slots.assign(static_cast<size_t>(capacity) * st.stride, 0);
    for (uint32_t i = 0; i < capacity; ++i) st.slots[static_cast<size_t>(i) * st.stride] = kEmpty;
    st.max_priority = 0;
    for (uint32_t idx : members) {
      const FlowRule& r = *table->entries_[idx].rule;
      st.max_priority = std::max<uint32_t>(st.max_priority, r.priority);
      uint64_t masked[kFlowKeyWords];
      for (int j = 0; j < st.nwords; ++j) masked[j] = r.match.w[st.words[j]];
      const uint32_t h = st.Hash(masked);
      uint32_t i = h & st.slot_mask;
      bool shadowed = false;
      for (;; i = (i + 1) & st.slot_mask) {
        const uint64_t* s = &st.slots[static_cast<size_t>(i) * st.stride];
        if (static_cast<uint32_t>(s[0]) == kEmpty) break;
        // Same mask and key: an earlier (higher or equal priority) rule wins.
        if (table->entries_[static_cast<uint32_t>(s[0])].rule->match == r.match) {
          shadowed = true;
          break;
        }
      }
      if (shadowed) continue;
      uint64_t* s = &st.slots[static_cast<size_t>(i) * st.stride];
      s[0] = Subtable::SlotHeader(h, r.priority, idx);
      for (int j = 0; j < st.nwords; ++j) s[1 + j] = masked[j];
    }
    table->subtables_.push_back(std::move(st));
  }
  std::sort(table->subtables_.begin(), table->subtables_.end(), [](const Subtable& a, const Subtable& b) {
    if (a.max_priority != b.max_priority) return a.max_priority > b.max_priority;
    return MaskLess()(a.mask, b.mask);
  });
  return table;
}

}  // namespace hashi::dp
