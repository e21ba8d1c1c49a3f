// Command-line and config-file options of the hashi daemon (everything after
// EAL's own arguments and "--").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "control/of_switch.h"
#include "control/port_manager.h"
#include "dataplane/datapath.h"
#include "dataplane/table_set.h"
#include "migration/migration_config.h"
#include "tunnel/tunnel_config.h"

namespace hashi::app {

struct DaemonOptions {
  std::vector<ctl::PortSpec> ports;
  std::string flows_file;
  std::vector<std::pair<uint8_t, dp::TableMiss>> table_miss;
  unsigned mbufs = 16384;
  unsigned stats_interval_sec = 0;
  double duration_sec = 0;
  uint32_t mac_aging_sec = 300;
  // Workers: the longest sleep of an idle worker (0: busy polling) and how
  // long refused transmits are retried (dataplane/datapath.h).
  uint32_t pmd_max_sleep_us = dp::kDefaultMaxSleepUs;
  uint32_t tx_retry_ms = dp::kDefaultTxRetryMs;
  std::string log_level = "info";
  std::string mgmt_socket = "/var/run/hashi/hashi.ctl";  // hashictl's socket ("" = none)
  // OpenFlow: passive listeners, controllers, fail mode and session limits.
  ctl::OfSwitchOptions openflow;
  // GRE tunnels and the underlay.
  std::vector<tun::UplinkSpec> uplinks;
  std::vector<tun::RouteSpec> routes;
  std::vector<tun::NeighborSpec> neighbors;
  std::vector<tun::TunnelSpec> tunnels;
  uint32_t neighbor_aging_sec = 300;
  // VM live migration (migration/migration_config.h).
  mig::MigrationOptions migration;
};

// Parses the arguments after "--". Config files named with --config are read
// in place (lines: "port NAME OFPORT DEVARGS", "flows FILE",
// "table-miss TABLE MODE", "mbufs N", "mac-aging SEC", "listen ENDPOINT",
// "controller ENDPOINT", "fail-mode MODE", "uplink NAME IP/LEN DEVARGS",
// "route PREFIX GATEWAY", "neighbor IP MAC", "tunnel NAME OFPORT OPTIONS",
// "neighbor-aging SEC", and each migration option as "KEY VALUE", e.g.
// "vm web1,ofport=5,mac=02:00:00:00:00:05").
Result<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args);

Result<dp::TableMiss> ParseTableMiss(const std::string& mode);

std::string DaemonUsage();

}  // namespace hashi::app
