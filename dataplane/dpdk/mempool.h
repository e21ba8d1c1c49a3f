// Mempool: an owned rte_mempool of packet mbufs. hashi makes one per NUMA
// socket that has ports; the destructor frees it, so every mbuf must have
// been returned first (a leak shows as in-use count at shutdown).
#pragma once

#include <string>

#include "common/status.h"

struct rte_mempool;

namespace hashi::dpdk {

class Mempool {
 public:
  static Result<Mempool> Create(const std::string& name, unsigned num_mbufs, int socket_id,
                                unsigned cache_size = 256);
  Mempool(Mempool&& o) noexcept : pool_(o.pool_) { o.pool_ = nullptr; }
  Mempool& operator=(Mempool&& o) noexcept;
  Mempool(const Mempool&) = delete;
  ~Mempool();

  rte_mempool* get() const { return pool_; }
  unsigned InUse() const;
  unsigned Available() const;

 private:
  explicit Mempool(rte_mempool* p) : pool_(p) {}
  rte_mempool* pool_ = nullptr;
};

}  // namespace hashi::dpdk
