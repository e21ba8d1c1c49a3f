// The /hashi/* DPDK telemetry commands.
#include "control/telemetry.h"

#include <rte_telemetry.h>

#include <string>

namespace hashi::ctl {
namespace {

TelemetryState* g_state = nullptr;

int HandlePorts(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  if (g_state == nullptr || g_state->ports == nullptr) return 0;
  const dp::DatapathTotals t = g_state->datapath->Totals();
  for (const PortInfo& p : g_state->ports->List()) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (c == nullptr) return -1;
    rte_tel_data_start_dict(c);
    const dp::PortCounters& pc = t.ports[p.counter_index];
    rte_tel_data_add_dict_u64(c, "ofport", p.spec.ofport);
    if (!p.tunnel) rte_tel_data_add_dict_u64(c, "dpdk_port", p.eth_port);
    rte_tel_data_add_dict_u64(c, "link_up", p.link_up ? 1 : 0);
    rte_tel_data_add_dict_u64(c, "rx_packets", pc.rx_packets);
    rte_tel_data_add_dict_u64(c, "rx_bytes", pc.rx_bytes);
    rte_tel_data_add_dict_u64(c, "tx_packets", pc.tx_packets);
    rte_tel_data_add_dict_u64(c, "tx_bytes", pc.tx_bytes);
    rte_tel_data_add_dict_u64(c, "tx_dropped", pc.tx_dropped);
    rte_tel_data_add_dict_container(d, p.spec.name.c_str(), c, 0);
  }
  return 0;
}

int HandleDrops(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  if (g_state == nullptr) return 0;
  const dp::DatapathTotals t = g_state->datapath->Totals();
  for (int r = 0; r < dp::kDropReasonCount; ++r) {
    rte_tel_data_add_dict_u64(d, dp::kDropReasonNames[r], t.drops[r]);
  }
  return 0;
}

int HandleStats(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  if (g_state == nullptr) return 0;
  const dp::DatapathTotals t = g_state->datapath->Totals();
  rte_tel_data_add_dict_u64(d, "workers", g_state->datapath->num_workers());
  rte_tel_data_add_dict_u64(d, "packets", t.packets);
  rte_tel_data_add_dict_u64(d, "emc_hits", t.emc_hits);
  rte_tel_data_add_dict_u64(d, "classified", t.classified);
  rte_tel_data_add_dict_u64(d, "held", t.held);
  rte_tel_data_add_dict_u64(d, "packet_in", t.packet_in);
  rte_tel_data_add_dict_u64(d, "loops", t.loops);
  rte_tel_data_add_dict_u64(d, "busy_loops", t.busy_loops);
  rte_tel_data_add_dict_u64(d, "busy_cycles", t.busy_cycles);
  rte_tel_data_add_dict_u64(d, "max_loop_cycles", t.max_loop_cycles);
  rte_tel_data_add_dict_u64(d, "flows", g_state->flow_count.load());
  const dp::TableSet* ts = g_state->datapath->tables();
  rte_tel_data_add_dict_u64(d, "table_version", ts ? ts->version() : 0);
  return 0;
}

}  // namespace

Status RegisterTelemetry(TelemetryState* state) {
  g_state = state;
  struct Cmd {
    const char* name;
    telemetry_cb cb;
    const char* help;
  };
  const Cmd cmds[] = {
      {"/hashi/ports", HandlePorts, "Per-port counters of the hashi switch. Takes no parameters"},
      {"/hashi/drops", HandleDrops, "Packets dropped by reason. Takes no parameters"},
      {"/hashi/stats", HandleStats, "Worker totals of the hashi switch. Takes no parameters"},
  };
  for (const Cmd& c : cmds) {
    if (rte_telemetry_register_cmd(c.name, c.cb, c.help) != 0) {
      return Status::Error(std::string("rte_telemetry_register_cmd(") + c.name + ") failed");
    }
  }
  return Status::Ok();
}

}  // namespace hashi::ctl
