// Decapsulation of uplink bursts (fast path: no allocation, lock or log).
#include "dataplane/tunnel_path.h"

#include <rte_ring.h>

#include "tunnel/gre_decap.h"

namespace hashi::dp {
namespace {

DropReason DropFor(tun::UnderlayVerdict v) {
  switch (v) {
    case tun::UnderlayVerdict::kRunt: return DropReason::kRunt;
    case tun::UnderlayVerdict::kBadIp: return DropReason::kUnderlayBadIp;
    case tun::UnderlayVerdict::kFragment: return DropReason::kUnderlayFragment;
    case tun::UnderlayVerdict::kGreMalformed: return DropReason::kGreMalformed;
    case tun::UnderlayVerdict::kGreProtocol: return DropReason::kGreUnknownProtocol;
    case tun::UnderlayVerdict::kGreSequence: return DropReason::kGreSequence;
    case tun::UnderlayVerdict::kGreChecksum: return DropReason::kGreBadChecksum;
    default: return DropReason::kUnderlayNotForUs;
  }
}

}  // namespace

uint16_t DecapBurst(WorkerContext& ctx, const tun::TunnelTable& tunnels, uint16_t rx_port, rte_mbuf** pkts,
                    uint16_t n, uint32_t* in_ports, uint64_t* tun_ids) {
  const uint32_t local_ip = tunnels.UplinkIp(rx_port);
  // A burst mostly comes from one tunnel: remember the last lookup.
  const tun::TunnelEntry* last = nullptr;
  uint32_t last_src = 0, last_key = 0;
  bool last_has_key = false;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + 1 < n) HASHI_PREFETCH(rte_pktmbuf_mtod(pkts[i + 1], void*));
    tun::GreOuter outer;
    const tun::UnderlayVerdict v = tun::ClassifyUnderlay(m, local_ip, &outer);
    if (HASHI_LIKELY(v == tun::UnderlayVerdict::kGre)) {
      const tun::TunnelEntry* t = last;
      if (t == nullptr || outer.src != last_src || outer.key != last_key || outer.has_key != last_has_key) {
        t = last = tunnels.FindForDecap(outer.src, outer.dst, outer.has_key, outer.key);
        last_src = outer.src;
        last_key = outer.key;
        last_has_key = outer.has_key;
      }
      if (HASHI_UNLIKELY(t == nullptr)) {
        Bump(ctx.stats.drops[static_cast<int>(DropReason::kTunnelUnknown)]);
        rte_pktmbuf_free(m);
        continue;
      }
      if (rte_pktmbuf_pkt_len(m) > outer.frame_len) rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - outer.frame_len);
      rte_pktmbuf_adj(m, outer.outer_len);
      // The outer packet's rx offload flags say nothing about the inner one;
      // the mbuf's own attachment flags must stay.
      m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
      PortCounters& pc = ctx.stats.ports[t->stats_index];
      Bump(pc.rx_packets);
      Bump(pc.rx_bytes, rte_pktmbuf_pkt_len(m));
      in_ports[kept] = t->ofport;
      tun_ids[kept] = outer.has_key ? outer.key : 0;
      pkts[kept++] = m;
      continue;
    }
    if (v == tun::UnderlayVerdict::kPunt) {
      m->port = rx_port;
      if (tunnels.punt() != nullptr && rte_ring_mp_enqueue(tunnels.punt(), m) == 0) continue;
      Bump(ctx.stats.drops[static_cast<int>(DropReason::kUnderlayQueueFull)]);
      rte_pktmbuf_free(m);
      continue;
    }
    Bump(ctx.stats.drops[static_cast<int>(DropFor(v))]);
    rte_pktmbuf_free(m);
  }
  return kept;
}

}  // namespace hashi::dp
