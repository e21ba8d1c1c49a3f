// Rcu allocation, thread registration and the deferred-free queue.
#include "dataplane/dpdk/rcu.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <string>

namespace hashi::dpdk {
namespace {

struct DeferredObject {
  void* obj;
  Rcu::Deleter deleter;
};

void FreeDeferred(void* /*p*/, void* e, unsigned int n) {
  auto* items = static_cast<DeferredObject*>(e);
  for (unsigned i = 0; i < n; ++i) items[i].deleter(items[i].obj);
}

}  // namespace

Result<Rcu> Rcu::Create(uint32_t max_threads, uint32_t defer_queue_size) {
  static int instance = 0;
  const size_t size = rte_rcu_qsbr_get_memsize(max_threads);
  auto* v = static_cast<rte_rcu_qsbr*>(rte_zmalloc("hashi_rcu", size, RTE_CACHE_LINE_SIZE));
  if (v == nullptr) return Status::Error("rte_zmalloc(rcu, " + std::to_string(size) + "): no memory");
  if (rte_rcu_qsbr_init(v, max_threads) != 0) {
    rte_free(v);
    return Status::Error("rte_rcu_qsbr_init: " + std::string(rte_strerror(rte_errno)));
  }
  const std::string name = "hashi_dq" + std::to_string(instance++);
  rte_rcu_qsbr_dq_parameters params{};
  params.name = name.c_str();
  params.flags = 0;
  params.size = defer_queue_size;
  params.esize = sizeof(DeferredObject);
  params.trigger_reclaim_limit = 0;
  params.max_reclaim_size = defer_queue_size;
  params.free_fn = FreeDeferred;
  params.p = nullptr;
  params.v = v;
  rte_rcu_qsbr_dq* dq = rte_rcu_qsbr_dq_create(&params);
  if (dq == nullptr) {
    rte_free(v);
    return Status::Error("rte_rcu_qsbr_dq_create: " + std::string(rte_strerror(rte_errno)));
  }
  Rcu rcu;
  rcu.v_ = v;
  rcu.dq_ = dq;
  return rcu;
}

Rcu::~Rcu() {
  if (dq_) {
    Drain();
    rte_rcu_qsbr_dq_delete(dq_);
  }
  if (v_) rte_free(v_);
}

Status Rcu::Register(uint32_t thread_id) {
  if (rte_rcu_qsbr_thread_register(v_, thread_id) != 0) {
    return Status::Error("rte_rcu_qsbr_thread_register(" + std::to_string(thread_id) +
                         "): " + rte_strerror(rte_errno));
  }
  rte_rcu_qsbr_thread_online(v_, thread_id);
  return Status::Ok();
}

void Rcu::Unregister(uint32_t thread_id) {
  rte_rcu_qsbr_thread_offline(v_, thread_id);
  rte_rcu_qsbr_thread_unregister(v_, thread_id);
}

void Rcu::Synchronize() { rte_rcu_qsbr_synchronize(v_, RTE_QSBR_THRID_INVALID); }

void Rcu::DeferFree(void* obj, Deleter deleter) {
  DeferredObject item{obj, deleter};
  if (rte_rcu_qsbr_dq_enqueue(dq_, &item) != 0) {
    Synchronize();
    deleter(obj);
  }
}

unsigned Rcu::Reclaim() {
  unsigned freed = 0, pending = 0, available = 0;
  rte_rcu_qsbr_dq_reclaim(dq_, ~0u, &freed, &pending, &available);
  return freed;
}

void Rcu::Drain() {
  unsigned freed = 0, pending = 1, available = 0;
  Synchronize();
  while (pending != 0) {
    if (rte_rcu_qsbr_dq_reclaim(dq_, ~0u, &freed, &pending, &available) != 0) break;
  }
}

}  // namespace hashi::dpdk
