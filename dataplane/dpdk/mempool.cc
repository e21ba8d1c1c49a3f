// Mempool creation and release.
#include "dataplane/dpdk/mempool.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

namespace hashi::dpdk {

Result<Mempool> Mempool::Create(const std::string& name, unsigned num_mbufs, int socket_id,
                                unsigned cache_size) {
  rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), num_mbufs, cache_size, 0,
                                           RTE_MBUF_DEFAULT_BUF_SIZE, socket_id);
  if (p == nullptr) {
    return Status::Error("rte_pktmbuf_pool_create(" + name + ", " + std::to_string(num_mbufs) +
                         " mbufs): " + rte_strerror(rte_errno));
  }
  return Mempool(p);
}

Mempool& Mempool::operator=(Mempool&& o) noexcept {
  if (this != &o) {
    if (pool_) rte_mempool_free(pool_);
    pool_ = o.pool_;
    o.pool_ = nullptr;
  }
  return *this;
}

Mempool::~Mempool() {
  if (pool_) rte_mempool_free(pool_);
}

unsigned Mempool::InUse() const { return pool_ ? rte_mempool_in_use_count(pool_) : 0; }
unsigned Mempool::Available() const { return pool_ ? rte_mempool_avail_count(pool_) : 0; }

}  // namespace hashi::dpdk
