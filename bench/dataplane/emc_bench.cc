// Exact-match cache hits (dataplane/emc.h), full-key hash included, with 1
// and 4k live flows, against std::unordered_map<FlowKey> as the baseline.
#include "dataplane/emc.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <unordered_map>

namespace hashi::dp {
namespace {

std::vector<FlowKey> Keys(int64_t n) {
  std::vector<FlowKey> keys;
  for (int64_t i = 0; i < n; ++i) {
    FlowKey k{};
    k.Set(Field::kEthType, 0x0800);
    k.Set(Field::kNwSrc, 0x0a000000u + static_cast<uint32_t>(i));
    k.Set(Field::kTpDst, 80);
    keys.push_back(k);
  }
  return keys;
}

void BM_EmcHit(benchmark::State& state) {
  auto emc = std::make_unique<Emc>();
  const auto keys = Keys(state.range(0));
  for (const auto& k : keys) {
    for (uint32_t j = 0; j < Emc::kInsertEvery; ++j) emc->MaybeInsert(k, HashFullKey(k), 1, nullptr, 0, 0);
  }
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    const FlowKey& k = keys[i++ % keys.size()];
    hits += emc->Lookup(k, HashFullKey(k), 1) != nullptr;
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmcHit)->Arg(1)->Arg(4096);

struct KeyHash {
  size_t operator()(const FlowKey& k) const { return HashFullKey(k); }
};

void BM_UnorderedMapFlowKeyBaseline(benchmark::State& state) {
  std::unordered_map<FlowKey, int, KeyHash> map;
  const auto keys = Keys(state.range(0));
  for (const auto& k : keys) map[k] = 1;
  size_t i = 0;
  for (auto _ : state) {
    auto it = map.find(keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMapFlowKeyBaseline)->Arg(1)->Arg(4096);

}  // namespace
}  // namespace hashi::dp
