// Classifier lookups (dataplane/flow_table.h) with 1, 16 and 256 subtables
// and 1k, 100k and 1M rules, against std::unordered_map on the exact-match
// case (the BESS cuckoo_map_bench pattern: our structure beside a baseline).
#include "dataplane/flow_table.h"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <unordered_map>

namespace hashi::dp {
namespace {

struct RuleSet {
  std::vector<std::unique_ptr<FlowRule>> rules;
  std::unique_ptr<FlowTable> table;
  std::vector<FlowKey> keys;  // packets, each matching some rule
};

// rules spread over `subtables` distinct masks (nw_src exact plus a distinct
// metadata mask each); priority rises with the subtable index so a lookup
// scans on average half the subtables before it can stop.
RuleSet* Build(int64_t n_rules, int64_t subtables) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<RuleSet>> cache;
  auto& slot = cache[{n_rules, subtables}];
  if (slot) return slot.get();
  slot = std::make_unique<RuleSet>();
  std::vector<RuleRef> refs;
  for (int64_t i = 0; i < n_rules; ++i) {
    auto r = std::make_unique<FlowRule>();
    const int64_t st = i % subtables;
    r->priority = static_cast<uint16_t>(100 + st);
    r->mask.Set(Field::kEthType, 0xffff);
    r->mask.Set(Field::kNwSrc, 0xffffffff);
    r->mask.Set(Field::kMetadata, static_cast<uint64_t>(st) << 8 | 0xff);
    r->match.Set(Field::kEthType, 0x0800);
    r->match.Set(Field::kNwSrc, 0x0b000000u + static_cast<uint32_t>(i));
    refs.push_back(RuleRef{r.get(), nullptr});
    slot->rules.push_back(std::move(r));
  }
  slot->table = FlowTable::Build(std::move(refs));
  std::mt19937 rng(1);
  for (int i = 0; i < 4096; ++i) {
    FlowKey k{};
    k.Set(Field::kEthType, 0x0800);
    k.Set(Field::kNwSrc, 0x0b000000u + static_cast<uint32_t>(rng() % n_rules));
    slot->keys.push_back(k);
  }
  return slot.get();
}

void BM_ClassifierLookup(benchmark::State& state) {
  RuleSet* rs = Build(state.range(0), state.range(1));
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const RuleRef* r = rs->table->Lookup(rs->keys[i++ & 4095]);
    found += r != nullptr;
    benchmark::DoNotOptimize(r);
  }
  if (static_cast<int64_t>(found) != state.iterations()) state.SkipWithError("a lookup missed");
  state.SetItemsProcessed(state.iterations());
  state.counters["subtables"] = static_cast<double>(rs->table->subtable_count());
}
BENCHMARK(BM_ClassifierLookup)
    ->ArgNames({"rules", "subtables"})
    ->Args({1000, 1})->Args({1000, 16})->Args({1000, 256})
    ->Args({100000, 1})->Args({100000, 16})->Args({100000, 256})
    ->Args({1000000, 1})->Args({1000000, 16});

// Baseline: std::unordered_map keyed by the exact nw_src (one subtable's job).
void BM_UnorderedMapExactBaseline(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::unordered_map<uint32_t, uint32_t> map;
  for (int64_t i = 0; i < n; ++i) map[0x0b000000u + static_cast<uint32_t>(i)] = static_cast<uint32_t>(i);
  std::mt19937 rng(1);
  std::vector<uint32_t> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back(0x0b000000u + static_cast<uint32_t>(rng() % n));
  size_t i = 0;
  for (auto _ : state) {
    auto it = map.find(keys[i++ & 4095]);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMapExactBaseline)->Arg(1000)->Arg(100000)->Arg(1000000);

}  // namespace
}  // namespace hashi::dp
