// Tests for dataplane/flow_table.h: the tuple-space classifier against a
// brute-force reference (scan every rule, keep the highest priority match)
// on many random rule sets and packets.
#include "dataplane/flow_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

namespace hashi::dp {
namespace {

const FlowRule* ReferenceLookup(const std::vector<std::unique_ptr<FlowRule>>& rules, const FlowKey& k) {
  const FlowRule* best = nullptr;
  for (const auto& r : rules) {
    bool match = true;
    for (int w = 0; w < kFlowKeyWords && match; ++w) match = (k.w[w] & r->mask.w[w]) == r->match.w[w];
    if (match && (best == nullptr || r->priority > best->priority)) best = r.get();
  }
  return best;
}

// Random keys drawn from small value sets so that rules and packets collide.
FlowKey RandomKey(std::mt19937& rng) {
  FlowKey k{};
  k.Set(Field::kInPort, 1 + rng() % 4);
  k.Set(Field::kEthType, (rng() % 2) ? 0x0800 : 0x86dd);
  k.Set(Field::kEthDst, 0x020000000000ull + rng() % 4);
  k.Set(Field::kIpProto, (rng() % 2) ? 6 : 17);
  k.Set(Field::kNwSrc, 0x0a000000u + rng() % 8);
  k.Set(Field::kNwDst, 0x0a000100u + rng() % 8);
  k.Set(Field::kTpDst, 80 + rng() % 3);
  k.Set(Field::kMetadata, rng() % 3);
  return k;
}

std::vector<std::unique_ptr<FlowRule>> RandomRules(std::mt19937& rng, int n, int mask_kinds) {
  // A pool of masks; each rule picks one (so subtables hold many rules).
  std::vector<FlowKey> masks;
  const Field fields[] = {Field::kInPort, Field::kEthType, Field::kEthDst, Field::kIpProto,
                          Field::kNwSrc,  Field::kNwDst,   Field::kTpDst,  Field::kMetadata};
  for (int m = 0; m < mask_kinds; ++m) {
    FlowKey mask{};
    for (Field f : fields) {
      if (rng() % 3 == 0) {
        const FieldInfo& i = InfoOf(f);
        uint64_t full = i.bits == 64 ? ~0ull : (1ull << i.bits) - 1;
        if (f == Field::kNwSrc && rng() % 2) full &= 0xfffffffc;  // a prefix mask
        mask.Set(f, full);
      }
    }
    masks.push_back(mask);
  }
  std::vector<std::unique_ptr<FlowRule>> rules;
  for (int i = 0; i < n; ++i) {
    auto r = std::make_unique<FlowRule>();
    r->mask = masks[rng() % masks.size()];
    r->match = RandomKey(rng);
    r->priority = static_cast<uint16_t>(rng() % 50);
    r->Normalize();
    rules.push_back(std::move(r));
  }
  return rules;
}

std::unique_ptr<FlowTable> BuildTable(const std::vector<std::unique_ptr<FlowRule>>& rules) {
  std::vector<RuleRef> refs;
  for (const auto& r : rules) refs.push_back(RuleRef{r.get(), nullptr});
  return FlowTable::Build(std::move(refs));
}

TEST(FlowTable, EmptyTableMisses) {
  auto t = FlowTable::Build({});
  FlowKey k{};
  EXPECT_EQ(t->Lookup(k), nullptr);
}

TEST(FlowTable, HigherPriorityWinsAcrossSubtables) {
  std::vector<std::unique_ptr<FlowRule>> rules;
  auto wide = std::make_unique<FlowRule>();  // match-all, priority 0
  wide->priority = 0;
  auto narrow = std::make_unique<FlowRule>();
  narrow->priority = 10;
  narrow->mask.Set(Field::kTpDst, 0xffff);
  narrow->match.Set(Field::kTpDst, 80);
  rules.push_back(std::move(wide));
  rules.push_back(std::move(narrow));
  auto t = BuildTable(rules);
  EXPECT_EQ(t->subtable_count(), 2u);
  FlowKey k{};
  k.Set(Field::kTpDst, 80);
  ASSERT_NE(t->Lookup(k), nullptr);
  EXPECT_EQ(t->Lookup(k)->rule->priority, 10);
  k.Set(Field::kTpDst, 81);
  EXPECT_EQ(t->Lookup(k)->rule->priority, 0);
}

TEST(FlowTable, SameMaskAndKeyKeepsHighestPriority) {
  std::vector<std::unique_ptr<FlowRule>> rules;
  for (uint16_t p : {5, 9, 7}) {
    auto r = std::make_unique<FlowRule>();
    r->priority = p;
    r->mask.Set(Field::kInPort, 0xffffffff);
    r->match.Set(Field::kInPort, 1);
    rules.push_back(std::move(r));
  }
  auto t = BuildTable(rules);
  FlowKey k{};
  k.Set(Field::kInPort, 1);
  EXPECT_EQ(t->Lookup(k)->rule->priority, 9);
}

class FlowTableRandom : public ::testing::TestWithParam<int> {};

TEST_P(FlowTableRandom, MatchesReferenceClassifier) {
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  for (int round = 0; round < 40; ++round) {
    const int n = 1 + static_cast<int>(rng() % 300);
    const int kinds = 1 + static_cast<int>(rng() % 16);
    auto rules = RandomRules(rng, n, kinds);
    auto table = BuildTable(rules);
    for (int q = 0; q < 500; ++q) {
      const FlowKey k = RandomKey(rng);
      const FlowRule* want = ReferenceLookup(rules, k);
      const RuleRef* got = table->Lookup(k);
      if (want == nullptr) {
        ASSERT_EQ(got, nullptr) << FormatKey(k);
      } else {
        ASSERT_NE(got, nullptr) << FormatKey(k);
        // Equal-priority overlaps are unordered in OpenFlow: compare priorities.
        ASSERT_EQ(got->rule->priority, want->priority) << FormatKey(k);
        for (int w = 0; w < kFlowKeyWords; ++w) {
          ASSERT_EQ(k.w[w] & got->rule->mask.w[w], got->rule->match.w[w]);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, FlowTableRandom, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

TEST(FlowTable, HundredThousandExactRulesAllFound) {
  std::vector<std::unique_ptr<FlowRule>> rules;
  for (uint32_t i = 0; i < 100000; ++i) {
    auto r = std::make_unique<FlowRule>();
    r->mask.Set(Field::kEthType, 0xffff);
    r->mask.Set(Field::kNwSrc, 0xffffffff);
    r->match.Set(Field::kEthType, 0x0800);
    r->match.Set(Field::kNwSrc, 0x0b000000 + i);
    rules.push_back(std::move(r));
  }
  auto t = BuildTable(rules);
  EXPECT_EQ(t->subtable_count(), 1u);
  FlowKey k{};
  k.Set(Field::kEthType, 0x0800);
  for (uint32_t i = 0; i < 100000; i += 7) {
    k.Set(Field::kNwSrc, 0x0b000000 + i);
    const RuleRef* r = t->Lookup(k);
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->rule, rules[i].get());
  }
  k.Set(Field::kNwSrc, 0x0c000000);
  EXPECT_EQ(t->Lookup(k), nullptr);
}

}  // namespace
}  // namespace hashi::dp

namespace hashi::dp {
namespace {

// Priorities up to 65535 survive the slot header, and equal keys under
// different masks resolve by priority.
TEST(FlowTable, FullPriorityRangeAcrossMasks) {
  std::vector<std::unique_ptr<FlowRule>> rules;
  for (uint32_t p : {0u, 1u, 32768u, 65535u}) {
    auto r = std::make_unique<FlowRule>();
    r->priority = static_cast<uint16_t>(p);
    r->mask.Set(Field::kTpDst, 0xffff >> (p % 7));  // distinct masks
    r->match.Set(Field::kTpDst, 0);
    rules.push_back(std::move(r));
  }
  auto t = BuildTable(rules);
  FlowKey k{};
  const RuleRef* r = t->Lookup(k);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->priority, 65535);
  EXPECT_EQ(r->rule, rules[3].get());
}

}  // namespace
}  // namespace hashi::dp
