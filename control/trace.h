// Trace: what the pipeline would do with a packet described in ovs-ofctl
// match syntax ("in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80"), like
// ofproto/trace: each table visited, the rule that matched (or the miss
// behaviour), the actions it runs and where the packet would go. It reads the
// live TableSet and PortMap from the control thread (which alone replaces
// them) and sends nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "dataplane/mac_table.h"
#include "dataplane/port_map.h"
#include "dataplane/table_set.h"

namespace hashi::ctl {

struct TraceResult {
  std::vector<std::string> lines;  // human-readable steps
  std::vector<uint32_t> outputs;   // OpenFlow ports the packet would leave on
  bool to_controller = false;
  bool dropped = false;
};

Result<TraceResult> Trace(const dp::TableSet& tables, const dp::PortMap& ports, const dp::MacTable& macs,
                          uint32_t now_sec, const std::string& packet);

}  // namespace hashi::ctl
