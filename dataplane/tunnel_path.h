// The tunnel stages of the fast path: decapsulation of a burst received on
// an uplink (encapsulation happens at output, in the pipeline's delivery).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/pipeline.h"
#include "tunnel/tunnel_table.h"

namespace hashi::dp {

// Classifies the n packets of a burst received on uplink DPDK port rx_port.
// GRE packets for a known tunnel are stripped to their inner frame and kept,
// compacted at the front of pkts, with in_ports[i] = the tunnel's OpenFlow
// port and tun_ids[i] = the GRE key; ARP and ICMP for the uplink's address go
// to the control thread's punt ring; everything else is freed and counted.
// Returns how many packets were kept.
uint16_t DecapBurst(WorkerContext& ctx, const tun::TunnelTable& tunnels, uint16_t rx_port, rte_mbuf** pkts,
                    uint16_t n, uint32_t* in_ports, uint64_t* tun_ids);

}  // namespace hashi::dp
