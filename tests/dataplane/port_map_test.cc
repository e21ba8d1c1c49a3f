// Tests for dataplane/port_map.h: binding, rebinding, receive mapping, errors.
#include "dataplane/port_map.h"

#include <gtest/gtest.h>

namespace hashi::dp {
namespace {

PortBinding Local(uint32_t ofport, uint16_t eth) {
  PortBinding b;
  b.ofport = ofport;
  b.eth_port = eth;
  return b;
}

TEST(PortMap, BindAndFind) {
  PortMap m;
  ASSERT_TRUE(m.Bind(Local(5, 0)).ok());
  ASSERT_TRUE(m.Bind(Local(9, 1)).ok());
  ASSERT_NE(m.Find(5), nullptr);
  EXPECT_EQ(m.Find(5)->eth_port, 0);
  EXPECT_EQ(m.RxOfport(1), 9u);
  EXPECT_EQ(m.Find(6), nullptr);
  EXPECT_EQ(m.slot_count(), 2);
}

TEST(PortMap, RebindKeepsSlotAndReceiveSide) {
  PortMap m;
  ASSERT_TRUE(m.Bind(Local(5, 0)).ok());
  const uint16_t slot = m.SlotOf(5);
  PortBinding hold;
  hold.ofport = 5;
  hold.kind = BindingKind::kHold;
  hold.hold = reinterpret_cast<rte_ring*>(0x1);  // never dereferenced here
  ASSERT_TRUE(m.Bind(hold).ok());
  EXPECT_EQ(m.SlotOf(5), slot);
  EXPECT_EQ(m.Find(5)->kind, BindingKind::kHold);
  EXPECT_EQ(m.RxOfport(0), 5u);  // the VM's packets still enter on port 5
}

TEST(PortMap, UnbindRemovesAndReindexes) {
  PortMap m;
  ASSERT_TRUE(m.Bind(Local(1, 0)).ok());
  ASSERT_TRUE(m.Bind(Local(2, 1)).ok());
  ASSERT_TRUE(m.Unbind(1).ok());
  EXPECT_EQ(m.Find(1), nullptr);
  EXPECT_EQ(m.RxOfport(0), 0u);
  ASSERT_NE(m.Find(2), nullptr);
  EXPECT_EQ(m.Find(2)->eth_port, 1);
  EXPECT_FALSE(m.Unbind(1).ok());
}

TEST(PortMap, RejectsBadBindings) {
  PortMap m;
  EXPECT_FALSE(m.Bind(Local(0, 0)).ok());
  EXPECT_FALSE(m.Bind(Local(kMaxOfPort, 0)).ok());
  EXPECT_FALSE(m.Bind(Local(1, kMaxEthPorts)).ok());
  PortBinding hold;
  hold.ofport = 3;
  hold.kind = BindingKind::kHold;
  EXPECT_FALSE(m.Bind(hold).ok());  // no queue
}

}  // namespace
}  // namespace hashi::dp
