// Tests for control/packet_buffer.h: ids, taking a packet once, the oldest
// packet giving way, expiry, and no mbuf leaked on the way.
#include "control/packet_buffer.h"

#include <gtest/gtest.h>

#include "tests/support/dpdk_env.h"

namespace hashi::ctl {
namespace {

class PacketBufferTest : public ::testing::Test {
 protected:
  void SetUp() override { baseline_ = rte_mempool_in_use_count(test::TestPool()); }
  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(test::TestPool()), baseline_) << "mbuf leak"; }
  rte_mbuf* Packet() { return test::MakeMbuf(test::Bytes(60, 0xab)); }
  unsigned baseline_ = 0;
};

TEST_F(PacketBufferTest, TakesEachPacketOnceAndTellsEmptyFromUnknown) {
  PacketBuffer buf(4, 1'000'000'000);
  const uint32_t a = buf.Store(Packet(), 7, 0);
  const uint32_t b = buf.Store(Packet(), 8, 0);
  EXPECT_NE(a, b);
  uint32_t in_port = 0;
  of::OfError err;
  rte_mbuf* m = buf.Take(b, &in_port, &err);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(in_port, 8u);
  rte_pktmbuf_free(m);
  EXPECT_EQ(buf.Take(b, &in_port, &err), nullptr);  // already taken
  EXPECT_EQ(err, (of::OfError{of::kBadRequest, of::bad_request::kBufferEmpty}));
  EXPECT_EQ(buf.Take(12345, &in_port, &err), nullptr);  // never issued
  EXPECT_EQ(err, (of::OfError{of::kBadRequest, of::bad_request::kBufferUnknown}));
  (void)a;  // freed by the buffer's destructor
}

TEST_F(PacketBufferTest, TheOldestGivesWayAndPacketsExpire) {
  PacketBuffer buf(2, 1'000);
  const uint32_t first = buf.Store(Packet(), 1, 0);
  buf.Store(Packet(), 1, 0);
  const uint32_t third = buf.Store(Packet(), 1, 500);  // reuses the first's slot
  uint32_t in_port;
  of::OfError err;
  EXPECT_EQ(buf.Take(first, &in_port, &err), nullptr);
  EXPECT_EQ(err.code, of::bad_request::kBufferEmpty);
  buf.Expire(1'200);  // the second (stored at 0) is older than 1 us; the third is not
  rte_mbuf* m = buf.Take(third, &in_port, &err);
  ASSERT_NE(m, nullptr);
  rte_pktmbuf_free(m);
}

TEST_F(PacketBufferTest, ZeroSlotsMeansNoBuffering) {
  PacketBuffer buf(0, 1'000);
  rte_mbuf* m = Packet();
  EXPECT_EQ(buf.Store(m, 1, 0), of::kNoBuffer);
  rte_pktmbuf_free(m);  // not kept: still the caller's
}

}  // namespace
}  // namespace hashi::ctl
