// Tests for dataplane/emc.h: hits, version invalidation, sampling, depth.
#include "dataplane/emc.h"

#include <gtest/gtest.h>

#include <memory>

namespace hashi::dp {
namespace {

TEST(Emc, FirstMissIsCachedAndHits) {
  auto emc = std::make_unique<Emc>();
  FlowKey k{};
  k.Set(Field::kNwDst, 7);
  const uint32_t h = HashFullKey(k);
  FlowRule r;
  RuleRef ref{&r, 0};
  const RuleRef* path[] = {&ref};
  EXPECT_EQ(emc->Lookup(k, h, 5), nullptr);
  emc->MaybeInsert(k, h, 5, path, 1, kNoMissTable);
  const EmcEntry* e = emc->Lookup(k, h, 5);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->depth, 1);
  EXPECT_EQ(e->path[0], &ref);
}

TEST(Emc, NewVersionInvalidates) {
  auto emc = std::make_unique<Emc>();
  FlowKey k{};
  const uint32_t h = HashFullKey(k);
  emc->MaybeInsert(k, h, 5, nullptr, 0, 0);
  EXPECT_NE(emc->Lookup(k, h, 5), nullptr);
  EXPECT_EQ(emc->Lookup(k, h, 6), nullptr);
}

TEST(Emc, DifferentKeyWithSameHashMisses) {
  auto emc = std::make_unique<Emc>();
  FlowKey a{}, b{};
  b.Set(Field::kTpDst, 1);
  const uint32_t h = HashFullKey(a);
  emc->MaybeInsert(a, h, 1, nullptr, 0, 0);
  EXPECT_EQ(emc->Lookup(b, h, 1), nullptr);
}

TEST(Emc, InsertionIsSampledAndDeepPathsSkipped) {
  auto emc = std::make_unique<Emc>();
  int cached = 0;
  for (uint64_t i = 0; i < 160; ++i) {
    FlowKey k{};
    k.Set(Field::kNwSrc, i + 1);
    const uint32_t h = HashFullKey(k);
    emc->MaybeInsert(k, h, 1, nullptr, 0, 0);
    if (emc->Lookup(k, h, 1)) cached++;
  }
  EXPECT_EQ(cached, 160 / static_cast<int>(Emc::kInsertEvery));
  FlowKey deep{};
  const uint32_t h = HashFullKey(deep);
  for (uint32_t i = 0; i < Emc::kInsertEvery; ++i) emc->MaybeInsert(deep, h, 1, nullptr, kEmcMaxDepth + 1, 0);
  EXPECT_EQ(emc->Lookup(deep, h, 1), nullptr);
}

}  // namespace
}  // namespace hashi::dp

namespace hashi::dp {
namespace {

// A window of lookups that mostly miss turns the cache off for a while; it
// comes back on by itself.
TEST(Emc, BypassedWhenHitRateIsLowThenRetried) {
  auto emc = std::make_unique<Emc>();
  EXPECT_TRUE(emc->Use());
  for (uint32_t i = 0; i < Emc::kWindow; ++i) emc->Record(i % 10 == 0);  // 10% hits
  EXPECT_TRUE(emc->bypassing());
  EXPECT_FALSE(emc->Use(Emc::kBypassPackets - 1));
  EXPECT_FALSE(emc->Use(1));
  EXPECT_TRUE(emc->Use());  // bypass spent: try the cache again
  for (uint32_t i = 0; i < Emc::kWindow; ++i) emc->Record(i % 2 == 0);  // 50% hits
  EXPECT_FALSE(emc->bypassing());
}

}  // namespace
}  // namespace hashi::dp
