// Ring: an owned rte_ring of pointers. Used for the hold queue of a logical
// port and for the per-worker packet-in queue; both are lock-free.
#pragma once

#include <string>

#include "common/status.h"

struct rte_ring;

namespace hashi::dpdk {

class Ring {
 public:
  // size is rounded up to a power of two; flags are rte_ring RING_F_* flags;
  // esize is the size of one element (a multiple of 4 bytes).
  static Result<Ring> Create(const std::string& name, unsigned size, unsigned flags,
                             unsigned esize = sizeof(void*));
  Ring(Ring&& o) noexcept : ring_(o.ring_) { o.ring_ = nullptr; }
  Ring& operator=(Ring&& o) noexcept;
  Ring(const Ring&) = delete;
  ~Ring();

  rte_ring* get() const { return ring_; }

 private:
  explicit Ring(rte_ring* r) : ring_(r) {}
  rte_ring* ring_ = nullptr;
};

}  // namespace hashi::dpdk
