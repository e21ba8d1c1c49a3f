// Shared DPDK fixtures for tests: one EAL per test binary (--no-huge, two
// lcores, a unique file prefix), ring-backed ethdev ports whose transmitted
// packets a test can read back, and mbuf helpers.
#pragma once

#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <memory>

#include "dataplane/datapath.h"
#include "tests/support/packets.h"

namespace hashi::test {

// The pool every DPDK test uses (made by the test main).
rte_mempool* TestPool();

// Whether hugepages back this run (HASHI_TEST_HUGEPAGES=1 in the environment).
bool UsingHugepages();

// An ethdev made from two rte_rings: what a test enqueues on rx() the port
// receives; what the port transmits (on any of its tx queues) lands on tx().
class RingPort {
 public:
  explicit RingPort(const std::string& name, unsigned tx_queues = 2, unsigned size = 16384);
  ~RingPort();
  RingPort(const RingPort&) = delete;

  uint16_t id() const { return port_id_; }
  rte_ring* rx() const { return rx_; }
  rte_ring* tx() const { return tx_; }
  // Injects frames as if received.
  void Receive(const std::vector<Bytes>& frames);
  // Takes every transmitted frame (freeing the mbufs).
  std::vector<Bytes> TakeSent();

 private:
  rte_ring* rx_ = nullptr;
  rte_ring* tx_ = nullptr;
  uint16_t port_id_ = 0;
};

rte_mbuf* MakeMbuf(const Bytes& frame);

// A fixture owning a Datapath with one worker that no thread runs (so grace
// periods end at once) for tests of the control-side units above it.
class OneWorkerDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dp = dp::Datapath::Create(1);
    ASSERT_TRUE(dp.ok()) << dp.error();
    dp_ = std::move(dp).value();
  }
  std::unique_ptr<dp::Datapath> dp_;
};
Bytes BytesOf(const rte_mbuf* m);

}  // namespace hashi::test
