// Ring creation and release.
#include "dataplane/dpdk/ring.h"

#include <rte_errno.h>
#include <rte_ring.h>

namespace hashi::dpdk {

Result<Ring> Ring::Create(const std::string& name, unsigned size, unsigned flags, unsigned esize) {
  unsigned pow2 = 1;
  while (pow2 < size + 1) pow2 <<= 1;
  rte_ring* r = rte_ring_create_elem(name.c_str(), esize, pow2, SOCKET_ID_ANY, flags);
  if (r == nullptr) {
    return Status::Error("rte_ring_create(" + name + "): " + rte_strerror(rte_errno));
  }
  return Ring(r);
}

Ring& Ring::operator=(Ring&& o) noexcept {
  if (this != &o) {
    if (ring_) rte_ring_free(ring_);
    ring_ = o.ring_;
    o.ring_ = nullptr;
  }
  return *this;
}

Ring::~Ring() {
  if (ring_) rte_ring_free(ring_);
}

}  // namespace hashi::dpdk
