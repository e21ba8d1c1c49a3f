// hashi: the switch daemon. EAL arguments come first, then "--" and hashi's
// own options (apps/daemon_options.h). The main lcore runs the control loop;
// every other lcore runs a poll-mode worker.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include "apps/daemon_options.h"
#include "apps/mgmt_commands.h"
#include "control/mgmt_server.h"
#include "common/log.h"
#include "control/flow_db.h"
#include "control/flow_parser.h"
#include "control/of_switch.h"
#include "control/port_manager.h"
#include "control/telemetry.h"
#include "control/tunnel_manager.h"
#include "migration/migration_manager.h"
#include "dataplane/datapath.h"
#include "dataplane/dpdk/eal.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

using hashi::Status;

bool WantsHugepages(const std::vector<std::string>& eal_args) {
  for (const auto& a : eal_args) {
    if (a == "--no-huge") return false;
  }
  return true;
}

// Hugepages free on the system, from /proc/meminfo.
long FreeHugepages() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long v = -1;
  while (in >> key) {
    if (key == "HugePages_Free:") {
      in >> v;
      return v;
    }
  }
  return v;
}

void PrintCounters(const hashi::dp::Datapath& dp, const hashi::ctl::PortManager& ports, const char* when) {
  const hashi::dp::DatapathTotals t = dp.Totals();
  for (const auto& p : ports.List()) {
    const auto& c = t.ports[p.counter_index];
    std::printf("hashi: %s port %s ofport=%u rx_packets=%llu rx_bytes=%llu tx_packets=%llu "
                "tx_bytes=%llu tx_dropped=%llu\n", when, p.spec.name.c_str(), p.spec.ofport,
                (unsigned long long)c.rx_packets, (unsigned long long)c.rx_bytes,
                (unsigned long long)c.tx_packets, (unsigned long long)c.tx_bytes,
                (unsigned long long)c.tx_dropped);
  }
  std::string drops;
  for (int r = 0; r < hashi::dp::kDropReasonCount; ++r) {
    if (t.drops[r]) drops += std::string(" ") + hashi::dp::kDropReasonNames[r] + "=" + std::to_string(t.drops[r]);
  }
  std::printf("hashi: %s packets=%llu emc_hits=%llu classified=%llu packet_in=%llu drops:%s\n", when,
              (unsigned long long)t.packets, (unsigned long long)t.emc_hits,
              (unsigned long long)t.classified, (unsigned long long)t.packet_in,
              drops.empty() ? " none" : drops.c_str());
  std::fflush(stdout);
}

int Run(int argc, char** argv) {
  std::vector<std::string> all(argv, argv + argc);
  std::vector<std::string> eal_args, app_args;
  bool after = false;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!after && all[i] == "--") {
      after = true;
      continue;
    }
    (after ? app_args : eal_args).push_back(all[i]);
    if ((all[i] == "--help" || all[i] == "-h") && (after || i == 1)) {
      std::fputs(hashi::app::DaemonUsage().c_str(), stdout);
      return 0;
    }
  }
  auto opts = hashi::app::ParseDaemonOptions(app_args);
  if (!opts.ok()) {
    std::fprintf(stderr, "hashi: %s\n%s", opts.error().c_str(), hashi::app::DaemonUsage().c_str());
    return 2;
  }
  if (opts->log_level == "debug") hashi::SetLogLevel(hashi::LogLevel::kDebug);
  if (opts->log_level == "warn") hashi::SetLogLevel(hashi::LogLevel::kWarn);
  if (opts->log_level == "error") hashi::SetLogLevel(hashi::LogLevel::kError);
  if (WantsHugepages(eal_args) && FreeHugepages() == 0) {
    std::fprintf(stderr, "hashi: no free hugepages: reserve some (echo 1024 > "
                         "/proc/sys/vm/nr_hugepages) or pass --no-huge -m 1024 to EAL\n");
    return 2;
  }
  // Parse flows before touching DPDK so a typo costs nothing.
  std::vector<hashi::dp::FlowRule> flows;
  if (!opts->flows_file.empty()) {
    auto f = hashi::ctl::ParseFlowFile(opts->flows_file);
    if (!f.ok()) {
      std::fprintf(stderr, "hashi: %s\n", f.error().c_str());
      return 2;
    }
    flows = std::move(f).value();
  }

  auto eal = hashi::dpdk::Eal::Init(eal_args);
  if (!eal.ok()) {
    std::fprintf(stderr, "hashi: %s\n", eal.error().c_str());
    return 1;
  }
  const std::vector<unsigned> lcores = hashi::dpdk::Eal::WorkerLcores();
  if (lcores.empty()) {
    std::fprintf(stderr, "hashi: no worker lcore: give EAL at least two lcores (e.g. -l 0,1)\n");
    return 2;
  }
  int rc = 0;
  {
    auto dp_or = hashi::dp::Datapath::Create(static_cast<unsigned>(lcores.size()));
    if (!dp_or.ok()) {
      std::fprintf(stderr, "hashi: %s\n", dp_or.error().c_str());
      return 1;
    }
    hashi::dp::Datapath& dp = **dp_or;
    dp.macs().set_aging_sec(opts->mac_aging_sec);
    dp.set_max_sleep_us(opts->pmd_max_sleep_us);
    dp.set_tx_retry_ms(opts->tx_retry_ms);
    hashi::ctl::PortManager ports(dp, opts->mbufs);
    if (Status s = ports.Open(opts->ports); !s.ok()) {
      std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
      return 1;
    }
    hashi::ctl::TunnelManager tunnels(dp, ports);
    tunnels.set_neighbor_aging_sec(opts->neighbor_aging_sec);
    if (Status s = tunnels.Init(); !s.ok()) {
      std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
      return 1;
    }
    {
      Status s;
      for (const auto& u : opts->uplinks) if (s.ok()) s = tunnels.AddUplink(u);
      for (const auto& r : opts->routes) if (s.ok()) s = tunnels.AddRoute(r);
      for (const auto& n : opts->neighbors) if (s.ok()) s = tunnels.AddNeighbor(n);
      for (const auto& t : opts->tunnels) if (s.ok()) s = tunnels.AddTunnel(t);
      if (!s.ok()) {
        std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
        return 2;
      }
    }
    hashi::ctl::FlowDb db(dp);
    // OpenFlow 1.3's default is to drop on a table miss. Like Open vSwitch, a
    // standalone switch without a flow file starts with one real, deletable
    // rule, "priority=0 actions=NORMAL", so it forwards out of the box.
    db.SetTableMiss(0, hashi::dp::TableMiss::kDrop);
    if (opts->flows_file.empty() && opts->openflow.fail_mode == hashi::ctl::FailMode::kStandalone) {
      auto normal = hashi::ctl::ParseFlow("priority=0 actions=NORMAL");
      if (Status s = db.Add(std::move(normal).value()); !s.ok()) return 1;
    }
    for (const auto& [table, miss] : opts->table_miss) db.SetTableMiss(table, miss);
    for (auto& f : flows) {
      if (Status s = db.Add(std::move(f)); !s.ok()) {
        std::fprintf(stderr, "hashi: flow: %s\n", s.message().c_str());
        return 2;
      }
    }
    db.Commit();
    HASHI_LOG_INFO("hashi", "%zu flows loaded, %zu workers", db.size(), lcores.size());

    static hashi::ctl::TelemetryState telemetry;
    telemetry.datapath = &dp;
    telemetry.ports = &ports;
    telemetry.flow_count.store(db.size());
    if (Status s = hashi::ctl::RegisterTelemetry(&telemetry); !s.ok()) {
      HASHI_LOG_WARN("hashi", "%s", s.message().c_str());
    }

    hashi::ctl::OfSwitch ofswitch(dp, db, ports, opts->openflow);
    if (Status s = ofswitch.Start(); !s.ok()) {
      std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
      return 2;
    }

    std::shared_ptr<hashi::of::TlsContext> peer_tls;
    if (opts->openflow.tls.configured()) {
      auto tls = hashi::of::TlsContext::Create(opts->openflow.tls);
      if (!tls.ok()) {
        std::fprintf(stderr, "hashi: %s\n", tls.error().c_str());
        return 2;
      }
      peer_tls = *tls;
    }
    hashi::mig::MigrationManager migrations(
        dp, ports, [&ofswitch](const uint8_t* f, size_t len, uint32_t in_port) { return ofswitch.InjectFrame(f, len, in_port); },
        opts->migration, peer_tls);
    if (Status s = migrations.Start(); !s.ok()) {
      std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
      return 2;
    }

    hashi::ctl::MgmtServer mgmt;
    if (!opts->mgmt_socket.empty()) {
      const std::string dir = opts->mgmt_socket.substr(0, opts->mgmt_socket.rfind('/'));
      if (!dir.empty()) ::mkdir(dir.c_str(), 0755);
      if (Status s = mgmt.Listen(opts->mgmt_socket); !s.ok()) {
        std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
        return 2;
      }
      hashi::app::RegisterCommands(mgmt, hashi::app::SwitchParts{dp, ports, db, ofswitch, tunnels, &migrations});
    }

    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    if (Status s = dp.Start(lcores); !s.ok()) {
      std::fprintf(stderr, "hashi: %s\n", s.message().c_str());
      return 1;
    }
    std::printf("hashi: running with %zu ports, %zu flows, %zu workers, tsc_hz=%llu\n", opts->ports.size(),
                db.size(), lcores.size(), static_cast<unsigned long long>(rte_get_tsc_hz()));
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    auto last_stats = start;
    rte_mbuf* pin[64];
    while (!g_stop.load()) {
      ofswitch.Run(10);
      mgmt.Poll(0);
      const auto now = std::chrono::steady_clock::now();
      const uint64_t now_ns = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
      tunnels.Poll(now_ns);
      migrations.Poll(now_ns);
      telemetry.flow_count.store(db.size());
      dp.rcu().Reclaim();
      if (opts->stats_interval_sec &&
          now - last_stats >= std::chrono::seconds(opts->stats_interval_sec)) {
        PrintCounters(dp, ports, "stats");
        last_stats = now;
      }
      if (opts->duration_sec > 0 &&
          std::chrono::duration<double>(now - start).count() >= opts->duration_sec) {
        break;
      }
    }
    dp.Stop();
    migrations.Shutdown();
    ofswitch.Stop();
    PrintCounters(dp, ports, "final");
    auto dump = db.Dump();
    std::sort(dump.begin(), dump.end(), [](const auto& a, const auto& b) {
      return a.rule->table_id != b.rule->table_id ? a.rule->table_id < b.rule->table_id
                                                  : a.rule->priority > b.rule->priority;
    });
    for (const auto& f : dump) {
      std::printf("hashi: final flow n_packets=%llu n_bytes=%llu %s\n", (unsigned long long)f.packets,
                  (unsigned long long)f.bytes, hashi::ctl::FormatFlow(*f.rule).c_str());
    }
    tunnels.Shutdown();
    for (unsigned w = 0; w < dp.num_workers(); ++w) hashi::dp::DiscardTx(dp.worker(w));
    hashi::dp::DiscardTx(dp.control_context());
    unsigned n;
    while ((n = dp.DrainPacketIn(pin, 64)) != 0) rte_pktmbuf_free_bulk(pin, n);
    ports.CloseAll();
    const unsigned leaked = ports.MbufsInUse();
    std::printf("hashi: mbufs_in_use_at_exit=%u\n", leaked);
    if (leaked != 0) rc = 3;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
