// Tests for dataplane/dpdk/rcu.h: deferred frees wait for every registered
// reader to pass a quiescent state; offline readers do not block writers.
#include "dataplane/dpdk/rcu.h"

#include <gtest/gtest.h>

namespace hashi::dpdk {
namespace {

int g_freed = 0;
void CountFree(void* p) {
  ++g_freed;
  delete static_cast<int*>(p);
}

TEST(Rcu, DeferredFreeWaitsForQuiescentState) {
  auto rcu = Rcu::Create(4);
  ASSERT_TRUE(rcu.ok()) << rcu.error();
  ASSERT_TRUE(rcu->Register(0).ok());
  ASSERT_TRUE(rcu->Register(1).ok());
  g_freed = 0;
  rcu->DeferFree(new int(1), CountFree);
  EXPECT_EQ(rcu->Reclaim(), 0u);  // readers 0 and 1 have not reported
  rcu->Quiescent(0);
  EXPECT_EQ(rcu->Reclaim(), 0u);  // reader 1 still may hold the pointer
  rcu->Quiescent(1);
  EXPECT_EQ(rcu->Reclaim(), 1u);
  EXPECT_EQ(g_freed, 1);
  rcu->Unregister(0);
  rcu->Unregister(1);
}

TEST(Rcu, OfflineReaderDoesNotBlock) {
  auto rcu = Rcu::Create(2);
  ASSERT_TRUE(rcu.ok());
  ASSERT_TRUE(rcu->Register(0).ok());
  rcu->Offline(0);
  g_freed = 0;
  rcu->DeferFree(new int(2), CountFree);
  EXPECT_EQ(rcu->Reclaim(), 1u);
  rcu->Synchronize();  // returns at once
  rcu->Online(0);
  rcu->Unregister(0);
}

TEST(Rcu, DestructorDrainsPending) {
  g_freed = 0;
  {
    auto rcu = Rcu::Create(1);
    ASSERT_TRUE(rcu.ok());
    rcu->DeferFree(new int(3), CountFree);
  }
  EXPECT_EQ(g_freed, 1);
}

TEST(Rcu, RegisterOutOfRangeFails) {
  auto rcu = Rcu::Create(2);
  ASSERT_TRUE(rcu.ok());
  EXPECT_FALSE(rcu->Register(5).ok());
}

}  // namespace
}  // namespace hashi::dpdk
