// EAL start-up for DPDK test binaries, and the RingPort/mbuf helpers.
#include "tests/support/dpdk_env.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "dataplane/packet_in_meta.h"

namespace hashi::test {
namespace {
rte_mempool* g_pool = nullptr;
}

rte_mempool* TestPool() { return g_pool; }

bool UsingHugepages() {
  const char* v = std::getenv("HASHI_TEST_HUGEPAGES");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

RingPort::RingPort(const std::string& name, unsigned tx_queues, unsigned size) {
  rx_ = rte_ring_create((name + "_rx").c_str(), size, SOCKET_ID_ANY, 0);
  tx_ = rte_ring_create((name + "_tx").c_str(), size, SOCKET_ID_ANY, 0);
  if (rx_ == nullptr || tx_ == nullptr) {
    ADD_FAILURE() << "rte_ring_create failed for " << name;
    return;
  }
  std::vector<rte_ring*> txs(tx_queues, tx_);
  const int id = rte_eth_from_rings(name.c_str(), &rx_, 1, txs.data(), tx_queues, SOCKET_ID_ANY);
  if (id < 0) {
    ADD_FAILURE() << "rte_eth_from_rings failed for " << name;
    return;
  }
  port_id_ = static_cast<uint16_t>(id);
  // The fast-path ops of an ethdev only become live at start.
  rte_eth_conf conf{};
  bool ok = rte_eth_dev_configure(port_id_, 1, static_cast<uint16_t>(tx_queues), &conf) == 0 &&
            rte_eth_rx_queue_setup(port_id_, 0, 512, SOCKET_ID_ANY, nullptr, g_pool) == 0;
  for (unsigned q = 0; ok && q < tx_queues; ++q) {
    ok = rte_eth_tx_queue_setup(port_id_, static_cast<uint16_t>(q), 512, SOCKET_ID_ANY, nullptr) == 0;
  }
  if (!ok || rte_eth_dev_start(port_id_) != 0) ADD_FAILURE() << "cannot start ring port " << name;
}

RingPort::~RingPort() {
  TakeSent();
  rte_mbuf* m;
  while (rte_ring_dequeue(rx_, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
  rte_eth_dev_stop(port_id_);
  rte_eth_dev_close(port_id_);
  rte_ring_free(rx_);
  rte_ring_free(tx_);
}

void RingPort::Receive(const std::vector<Bytes>& frames) {
  for (const Bytes& f : frames) {
    rte_mbuf* m = MakeMbuf(f);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
  }
}

std::vector<Bytes> RingPort::TakeSent() {
  std::vector<Bytes> out;
  rte_mbuf* m;
  while (rte_ring_dequeue(tx_, reinterpret_cast<void**>(&m)) == 0) {
    out.push_back(BytesOf(m));
    rte_pktmbuf_free(m);
  }
  return out;
}

rte_mbuf* MakeMbuf(const Bytes& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (m == nullptr) return nullptr;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  std::memcpy(p, frame.data(), frame.size());
  return m;
}

Bytes BytesOf(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return Bytes(p, p + rte_pktmbuf_data_len(m));
}

}  // namespace hashi::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "hashi_test_" + std::to_string(getpid());
  const bool two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
  std::vector<std::string> args = {"hashi_test", "--no-pci", "--file-prefix=" + prefix,
                                   "--log-level=*:error"};
  if (two_cpus) {
    args.push_back("-l");
    args.push_back("0,1");
  } else {
    args.push_back("--lcores=0@0,1@0");
  }
  if (hashi::test::UsingHugepages()) {
    args.push_back("--in-memory");
  } else {
    args.push_back("--no-huge");
    args.push_back("-m");
    args.push_back("768");
  }
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed (hugepages=%d)\n", hashi::test::UsingHugepages());
    return 1;
  }
  if (!hashi::dp::RegisterPacketInMeta()) {
    std::fprintf(stderr, "packet-in mbuf field registration failed\n");
    return 1;
  }
  hashi::test::g_pool = rte_pktmbuf_pool_create("test_pool", 65535, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (hashi::test::g_pool == nullptr) {
    std::fprintf(stderr, "test mbuf pool creation failed\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_mempool_free(hashi::test::g_pool);
  rte_eal_cleanup();
  return rc;
}
