// Rcu: quiescent-state-based reclamation (DPDK rte_rcu_qsbr) for the
// snapshots that control publishes to workers (TableSet, PortMap).
//
// Readers never wait. A worker registers its thread id once, loads the
// snapshot pointers once per burst and calls Quiescent() at the end of every
// poll loop, meaning "I hold no snapshot pointer now". Control publishes a new
// snapshot with one release store and hands the old one to DeferFree(); it is
// freed by Reclaim() once every registered worker has reported a quiescent
// state after the publish. Synchronize() blocks control (never a worker)
// until that has happened, which is what an OpenFlow BARRIER waits for.
// A worker that stops polling must call Offline() so writers do not wait on it.
#pragma once

#include <rte_rcu_qsbr.h>

#include <cstdint>

#include "common/status.h"

struct rte_rcu_qsbr_dq;

namespace hashi::dpdk {

class Rcu {
 public:
  using Deleter = void (*)(void*);
  static Result<Rcu> Create(uint32_t max_threads, uint32_t defer_queue_size = 4096);
  Rcu(Rcu&& o) noexcept : v_(o.v_), dq_(o.dq_) { o.v_ = nullptr; o.dq_ = nullptr; }
  Rcu& operator=(Rcu&&) = delete;
  Rcu(const Rcu&) = delete;
  ~Rcu();

  // Worker side.
  Status Register(uint32_t thread_id);
  void Unregister(uint32_t thread_id);
  void Online(uint32_t thread_id) { rte_rcu_qsbr_thread_online(v_, thread_id); }
  void Offline(uint32_t thread_id) { rte_rcu_qsbr_thread_offline(v_, thread_id); }
  void Quiescent(uint32_t thread_id) { rte_rcu_qsbr_quiescent(v_, thread_id); }

  // Control side.
  void Synchronize();
  // Frees obj with deleter after a grace period; if the defer queue is full it
  // synchronises and frees at once (slower, never unsafe).
  void DeferFree(void* obj, Deleter deleter);
  // Frees whatever has passed its grace period; returns how many were freed.
  unsigned Reclaim();
  // Frees everything pending, waiting for a grace period if needed.
  void Drain();

  rte_rcu_qsbr* raw() const { return v_; }

 private:
  Rcu() = default;
  rte_rcu_qsbr* v_ = nullptr;
  rte_rcu_qsbr_dq* dq_ = nullptr;
};

}  // namespace hashi::dpdk
