// Tests for dataplane/dpdk/eth_port.h and mempool.h: vdevs probed from
// devargs, queue limits, clear errors, RAII release.
#include "dataplane/dpdk/eth_port.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include "dataplane/dpdk/mempool.h"
#include "dataplane/dpdk/ring.h"
#include "tests/support/dpdk_env.h"

namespace hashi::dpdk {
namespace {

TEST(EthPort, OpensNullVdevAndClosesIt) {
  uint16_t id;
  {
    EthPortConfig cfg;
    cfg.devargs = "net_null7,no-rx=1";
    cfg.tx_queues = 2;
    cfg.pool_for_socket = [](int) -> Result<rte_mempool*> { return test::TestPool(); };
    auto port = EthPort::Open(cfg);
    ASSERT_TRUE(port.ok()) << port.error();
    id = port->id();
    EXPECT_EQ(port->device_name(), "net_null7");
    EXPECT_EQ(port->tx_queues(), 2);  // net_null offers more than asked
    EXPECT_TRUE(rte_eth_dev_is_valid_port(id));
  }
  rte_eth_dev_info info;
  EXPECT_NE(rte_eth_dev_info_get(id, &info), 0);  // closed and released
}

TEST(EthPort, UnknownDriverIsAClearError) {
  EthPortConfig cfg;
  cfg.devargs = "net_doesnotexist0";
  cfg.pool_for_socket = [](int) -> Result<rte_mempool*> { return test::TestPool(); };
  auto port = EthPort::Open(cfg);
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().find("rte_dev_probe(net_doesnotexist0)"), std::string::npos) << port.error();
}

TEST(EthPort, TooManyTxQueuesIsAClearError) {
  test::RingPort ring("ethq", 1);
  char name[RTE_ETH_NAME_MAX_LEN];
  ASSERT_EQ(rte_eth_dev_get_name_by_port(ring.id(), name), 0);
  EthPortConfig cfg;
  cfg.devargs = name;
  cfg.tx_queues = 64;
  cfg.min_tx_queues = 64;
  cfg.pool_for_socket = [](int) -> Result<rte_mempool*> { return test::TestPool(); };
  auto port = EthPort::Open(cfg);
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().find("tx queues"), std::string::npos) << port.error();
}

TEST(EthPort, DeviceNameOf) {
  EXPECT_EQ(DeviceNameOf("net_pcap0,rx_pcap=a.pcap"), "net_pcap0");
  EXPECT_EQ(DeviceNameOf("0000:03:00.0"), "0000:03:00.0");
}

TEST(Mempool, CreateCountAndFree) {
  auto pool = Mempool::Create("mp_test", 1023, SOCKET_ID_ANY, 0);
  ASSERT_TRUE(pool.ok()) << pool.error();
  EXPECT_EQ(pool->InUse(), 0u);
  rte_mbuf* m = rte_pktmbuf_alloc(pool->get());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(pool->InUse(), 1u);
  rte_pktmbuf_free(m);
  EXPECT_EQ(pool->InUse(), 0u);
  auto dup = Mempool::Create("mp_test", 1023, SOCKET_ID_ANY, 0);
  EXPECT_FALSE(dup.ok());  // name taken
}

TEST(Ring, CreateRoundsUpAndFrees) {
  auto r = Ring::Create("ring_test", 100, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(rte_ring_get_capacity(r->get()), 100u);
}

}  // namespace
}  // namespace hashi::dpdk
