// Pipeline: what a worker does with one received burst. Parse every packet
// into a FlowKey, look the key up in the worker's exact-match cache, send
// misses through the flow tables (goto-table, write-metadata, apply- and
// write-actions, per-table miss behaviour), execute the actions, and queue
// the results on per-port tx buffers. Also the worker's private state
// (WorkerContext) that the stages use.
//
// Packet ownership: an output does not send at once. The packet's last output
// is "pending" and takes the packet's own reference when processing ends; an
// earlier output, or one followed by an edit, takes an extra reference
// (rte_mbuf refcount). An edit to a packet whose mbuf is shared first makes a
// private copy, so a packet already queued for one port is never changed by
// an action meant for another (OpenFlow's action-list semantics).
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>

#include "common/compiler.h"
#include "dataplane/emc.h"
#include "dataplane/mac_table.h"
#include "dataplane/port_map.h"
#include "dataplane/table_set.h"
#include "dataplane/worker_stats.h"
#include "tunnel/tunnel_table.h"

struct rte_ring;

namespace hashi::dp {

inline constexpr uint16_t kMaxBurst = 32;
inline constexpr uint16_t kTxBufferSize = 64;   // a buffer is sent once it holds this many
// A device that refuses packets (a guest's vhost ring full, a queue not yet
// enabled) leaves them in the buffer, in order, for the next loop, up to
// this many; newer packets queue behind them. Beyond that, or when the
// device takes nothing for WorkerContext::tx_retry_cycles, they are dropped
// as tx_full.
inline constexpr uint16_t kTxBacklogMax = 512;

struct TxBuffer {
  uint16_t count;
  uint16_t refused;       // the first `refused` packets were refused before (counted once)
  uint64_t progress_tsc;  // while some are refused: when the device last took any
  rte_mbuf* pkts[kTxBacklogMax];
};

// One worker's private state. Created by control before the worker starts,
// then written only by its worker; control reads stats racily.
struct alignas(64) WorkerContext {
  unsigned index = 0;          // worker number: tx queue, counter array, RCU id
  uint16_t txq = 0;
  rte_ring* packet_in = nullptr;  // SP/SC ring to control (CONTROLLER output)
  // Whether expired TTLs go to the controller too (read on that path only).
  const std::atomic<bool>* invalid_ttl_to_controller = nullptr;
  MacTable* macs = nullptr;       // shared, lock-free
  uint32_t now_sec = 0;           // coarse clock for MAC aging, set per loop
  uint32_t tx_dirty = 0;         // bit per DPDK port with queued packets
  uint32_t tx_backlog = 0;       // bit per DPDK port whose device refused queued packets
  // How long refused packets are retried while the device takes nothing
  // (0: not at all, they are dropped at once: control's own context).
  uint64_t tx_retry_cycles = 0;
  uint16_t ip_id = 0;            // outer IPv4 identification for GRE encap
  // Ports where this context has its own tx queue (txq). Control's context
  // lacks one on devices with fewer queues than workers + 1; its packets for
  // those go to tx_handoff, a ring a worker drains into its own tx buffers.
  uint32_t own_txq_ports = ~0u;
  rte_ring* tx_handoff = nullptr;  // control -> worker (SP/SC)
  rte_ring* inject = nullptr;      // worker side of a tx_handoff ring
  Emc emc;
  WorkerStats stats{};
  // Last: 32 buffers of kTxBacklogMax entries (about 130 KB) would otherwise
  // push the cache and the counters every packet touches far from the rest.
  TxBuffer tx[kMaxEthPorts]{};
};

// Processes n packets received on DPDK port rx_port. Takes ownership of every
// mbuf: each is queued for transmit, held, passed to control, or freed.
// tunnels (may be null: no tunnels) decapsulates bursts from an uplink and
// encapsulates outputs to tunnel ports.
void ProcessBurst(WorkerContext& ctx, const TableSet& tables, const PortMap& ports,
                  uint16_t rx_port, rte_mbuf** pkts, uint16_t n, const tun::TunnelTable* tunnels = nullptr);

// Runs one packet injected by control (OpenFlow packet-out) through an
// action list, as if received on OpenFlow port in_port (a port number or
// OFPP_CONTROLLER); an output to OFPP_TABLE runs the flow tables. Takes
// ownership of m. Returns false when m is not a parseable frame (freed and
// counted).
bool ProcessPacketOut(WorkerContext& ctx, const TableSet& tables, const PortMap& ports, uint32_t in_port,
                      rte_mbuf* m, const Action* actions, uint16_t n, const tun::TunnelTable* tunnels = nullptr);

// Sends what ctx still holds for ports whose move has ended (bindings in
// ports.flush_slots(), see port_move.h), oldest first. Workers call it at
// the start of every loop while such bindings exist.
void DrainHeld(WorkerContext& ctx, const TableSet& tables, const PortMap& ports,
               const tun::TunnelTable* tunnels);

// Moves packets control handed over (ctx.inject) into ctx's tx buffers.
void TakeInjected(WorkerContext& ctx);

// Sends everything queued in ctx's tx buffers. What a device refuses stays
// queued for the next call (see kTxBacklogMax), or is freed and counted.
void FlushTx(WorkerContext& ctx);
// The same for one DPDK port's buffer.
void FlushPort(WorkerContext& ctx, uint16_t eth_port);

// Counts n packets for DPDK port eth_port dropped as tx_full (the caller frees them).
inline void CountTxFull(WorkerContext& ctx, uint16_t eth_port, uint16_t n) {
  Bump(ctx.stats.ports[eth_port].tx_dropped, n);
  Bump(ctx.stats.drops[static_cast<int>(DropReason::kTxFull)], n);
}

// Queues m for transmit on DPDK port eth_port in ctx's tx buffers.
inline void QueueForTx(WorkerContext& ctx, uint16_t eth_port, rte_mbuf* m) {
  TxBuffer& tb = ctx.tx[eth_port];
  if (HASHI_UNLIKELY(tb.count >= kTxBufferSize)) {
    if (tb.refused == 0) FlushPort(ctx, eth_port);  // a device that refuses is retried once a loop
    if (HASHI_UNLIKELY(tb.count == kTxBacklogMax)) {
      CountTxFull(ctx, eth_port, 1);
      rte_pktmbuf_free(m);
      return;
    }
  }
  tb.pkts[tb.count++] = m;
  ctx.tx_dirty |= 1u << eth_port;
}

// A port whose device refused packets and whose binding now carries a move
// (its VM is being held or moved): those packets are older than anything in
// the move's hold ring, so while this context's ring is still empty they go
// there first, and travel with the VM. Workers call it at the start of a
// loop while ctx.tx_backlog is set.
void RehomeBacklog(WorkerContext& ctx, const PortMap& ports);

// Frees every mbuf still queued (shutdown).
void DiscardTx(WorkerContext& ctx);

}  // namespace hashi::dp
