// CounterArena: where rules' hit counters live. A rule's counters are one
// slot per worker (and one for control); worker w's slot of a rule is
// counters[w * kCounterStride]. The arena hands out rules' slots from chunks
// of kCounterStride rules per worker, so each worker's slots sit contiguous,
// 16 bytes a rule, as compact as a per-worker array and never on a cache
// line another worker writes. Freed slots are reused. Control thread only
// (the workers only write the slots they are given).
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/flow_rule.h"

namespace hashi::dp {

class CounterArena {
 public:
  explicit CounterArena(unsigned slots) : slots_(slots ? slots : 1) {}
  CounterArena(const CounterArena&) = delete;
  CounterArena& operator=(const CounterArena&) = delete;

  // A rule's slots, all zero.
  RuleCounters* Allocate() {
    RuleCounters* p;
    if (!free_.empty()) {
      p = free_.back();
      free_.pop_back();
      for (unsigned w = 0; w < slots_; ++w) p[w * kCounterStride] = RuleCounters{};
      return p;
    }
    if (used_in_last_ == kCounterStride) {
      chunks_.emplace_back(new RuleCounters[static_cast<size_t>(slots_) * kCounterStride]());
      used_in_last_ = 0;
    }
    return chunks_.back().get() + used_in_last_++;
  }
  void Free(RuleCounters* p) { free_.push_back(p); }
  unsigned slots() const { return slots_; }

 private:
  unsigned slots_;
  std::vector<std::unique_ptr<RuleCounters[]>> chunks_;
  std::vector<RuleCounters*> free_;
  size_t used_in_last_ = kCounterStride;
};

}  // namespace hashi::dp
