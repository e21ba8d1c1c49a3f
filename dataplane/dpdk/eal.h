// Eal: the DPDK Environment Abstraction Layer, initialised once per process.
// Owning an Eal means rte_eal_init succeeded; its destructor calls
// rte_eal_cleanup after every other DPDK resource has been released.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace hashi::dpdk {

class Eal {
 public:
  // Initialises EAL with argv-style arguments (argv[0] is a program name).
  // Returns how many arguments EAL consumed through consumed_args.
  static Result<Eal> Init(const std::vector<std::string>& args, int* consumed_args = nullptr);

  Eal(Eal&& other) noexcept : active_(other.active_) { other.active_ = false; }
  Eal& operator=(Eal&&) = delete;
  Eal(const Eal&) = delete;
  ~Eal();

  // Whether hugepages back memory (false under --no-huge).
  static bool HasHugepages();
  static unsigned MainLcore();
  // Worker lcores (every enabled lcore except the main one), in order.
  static std::vector<unsigned> WorkerLcores();

 private:
  Eal() = default;
  bool active_ = false;
};

}  // namespace hashi::dpdk
