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
  EXPECT_FALSE(m.Bind(hold).ok());  // a hold binding needs its queue
  hold.move = reinterpret_cast<PortMove*>(0x1);  // never dereferenced here
  ASSERT_TRUE(m.Bind(hold).ok());
  EXPECT_EQ(m.SlotOf(5), slot);
  EXPECT_EQ(m.Find(5)->kind, BindingKind::kHold);
  EXPECT_EQ(m.RxOfport(0), 5u);  // the VM's packets still enter on port 5
  EXPECT_TRUE(m.flush_slots().empty());  // holding, nothing to send yet
}

// Local and Remote bindings that carry a move are where workers send what
// they held; the list follows rebinds and unbinds.
TEST(PortMap, FlushSlotsListBindingsThatEndAMove) {
  PortMap m;
  ASSERT_TRUE(m.Bind(Local(1, 0)).ok());
  PortBinding remote;
  remote.ofport = 7;
  remote.kind = BindingKind::kRemote;
  EXPECT_FALSE(m.Bind(remote).ok());  // names no tunnel
  remote.remote_tunnel = 20;
  remote.move = reinterpret_cast<PortMove*>(0x1);
  ASSERT_TRUE(m.Bind(remote).ok());
  PortBinding local = Local(5, 2);
  local.move = reinterpret_cast<PortMove*>(0x2);
  ASSERT_TRUE(m.Bind(local).ok());
  ASSERT_EQ(m.flush_slots().size(), 2u);
  EXPECT_EQ(m.slot(m.flush_slots()[0]).ofport, 7u);
  EXPECT_EQ(m.slot(m.flush_slots()[1]).ofport, 5u);
  ASSERT_TRUE(m.Unbind(7).ok());
  ASSERT_EQ(m.flush_slots().size(), 1u);
  EXPECT_EQ(m.slot(m.flush_slots()[0]).ofport, 5u);
  ASSERT_TRUE(m.Bind(Local(5, 2)).ok());  // the move settled
  EXPECT_TRUE(m.flush_slots().empty());
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
