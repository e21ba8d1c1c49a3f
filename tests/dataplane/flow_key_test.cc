// Tests for dataplane/flow_key.h: field layout, masked set, hashing.
#include "dataplane/flow_key.h"

#include <gtest/gtest.h>

namespace hashi::dp {
namespace {

TEST(FlowKey, FieldsDoNotOverlapExceptDocumentedOverlays) {
  for (int a = 0; a < static_cast<int>(Field::kCount); ++a) {
    for (int b = a + 1; b < static_cast<int>(Field::kCount); ++b) {
      const FieldInfo& x = kFieldInfo[a];
      const FieldInfo& y = kFieldInfo[b];
      const Field fa = static_cast<Field>(a), fb = static_cast<Field>(b);
      const bool overlay = (fb == Field::kArpSha && fa == Field::kIpv6SrcHi) ||
                           (fb == Field::kArpTha && fa == Field::kIpv6DstHi);
      if (x.word != y.word || overlay) continue;
      const bool disjoint = x.shift + x.bits <= y.shift || y.shift + y.bits <= x.shift;
      EXPECT_TRUE(disjoint) << x.name << " overlaps " << y.name;
    }
  }
}

TEST(FlowKey, SetAndGetRoundTripEveryField) {
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    FlowKey k{};
    const Field f = static_cast<Field>(i);
    const uint64_t full = InfoOf(f).bits == 64 ? ~0ull : (1ull << InfoOf(f).bits) - 1;
    k.Set(f, 0x123456789abcdef1ull);
    EXPECT_EQ(k.Get(f), 0x123456789abcdef1ull & full) << InfoOf(f).name;
  }
}

TEST(FlowKey, SetMaskedChangesOnlyMaskedBits) {
  FlowKey k{};
  k.Set(Field::kMetadata, 0xff00);
  k.SetMasked(Field::kMetadata, 0x0011, 0x00ff);
  EXPECT_EQ(k.Get(Field::kMetadata), 0xff11u);
}

TEST(FlowKey, FullHashDependsOnEveryWord) {
  FlowKey a{};
  const uint32_t h0 = HashFullKey(a);
  for (int w = 0; w < kFlowKeyWords; ++w) {
    FlowKey b{};
    b.w[w] = 1;
    EXPECT_NE(HashFullKey(b), h0) << "word " << w;
  }
}

TEST(FlowKey, FieldByName) {
  EXPECT_EQ(FieldByName("nw_src"), Field::kNwSrc);
  EXPECT_EQ(FieldByName("nope"), Field::kCount);
}

}  // namespace
}  // namespace hashi::dp
