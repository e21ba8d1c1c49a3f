// Eal start-up and teardown, and lcore enumeration for the daemon.
#include "dataplane/dpdk/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

namespace hashi::dpdk {

Result<Eal> Eal::Init(const std::vector<std::string>& args, int* consumed_args) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int ret = rte_eal_init(static_cast<int>(copy.size()), argv.data());
  if (ret < 0) {
    return Status::Error(std::string("rte_eal_init: ") + rte_strerror(rte_errno) +
                         " (check hugepages, or pass --no-huge -m 1024; check --vdev names)");
  }
  if (consumed_args) *consumed_args = ret;
  Eal eal;
  eal.active_ = true;
  return eal;
}

Eal::~Eal() {
  if (active_) rte_eal_cleanup();
}

bool Eal::HasHugepages() { return rte_eal_has_hugepages() != 0; }

unsigned Eal::MainLcore() { return rte_get_main_lcore(); }

std::vector<unsigned> Eal::WorkerLcores() {
  std::vector<unsigned> out;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) { out.push_back(lcore); }
  return out;
}

}  // namespace hashi::dpdk
