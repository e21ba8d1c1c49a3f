#!/usr/bin/env bash
# Whole-switch test through the real DPDK datapath: two network namespaces
# (hosts h1, h2), each joined by a veth pair to a hashi port (net_af_packet),
# a two-table flow set loaded from a file, ping and a 2 MB TCP transfer both
# ways, counters checked through DPDK telemetry, and a clean shutdown with no
# leaked mbufs. Usage: namespaces_test.sh HASHI_BINARY --no-huge|--hugepages
# Exit 77 (meson: skipped, printed as such) when the mode cannot run here.
set -uo pipefail
hashi=$(readlink -f "$1")
mode=${2:---no-huge}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/testbed.sh"

tb_require "$mode"

tb_init
tb_add_host h1 10.77.0.1/24
tb_add_host h2 10.77.0.2/24
cat > "$TB_WORK/flows.txt" <<FLOWS
# table 0: ARP goes to the learning switch, IPv4 to table 1
table=0,priority=100,arp actions=NORMAL
table=0,priority=100,ip actions=goto_table:1
# table 1: forward by destination address to a logical port
table=1,priority=100,ip,nw_dst=10.77.0.2 actions=output:2
table=1,priority=100,ip,nw_dst=10.77.0.1 actions=output:1
FLOWS
tb_start_hashi "$hashi" "$mode" --port "$(tb_port_arg h1 1)" --port "$(tb_port_arg h2 2)" \
  --flows "$TB_WORK/flows.txt"

tb_ping h1 10.77.0.2 5
tb_ping h2 10.77.0.1 5
tb_tcp h1 h2 10.77.0.2 2097152
tb_tcp h2 h1 10.77.0.1 2097152

ports=$(tb_telemetry /hashi/ports) || tb_fail "telemetry unreadable"
echo "telemetry: $ports"
$TB_PY - "$ports" <<'PY' || tb_fail "counters do not show the traffic"
import json, sys
p = json.loads(sys.argv[1])["/hashi/ports"]
h1, h2 = p["h1"], p["h2"]
mb2 = 2 * 1024 * 1024
assert h1["rx_bytes"] >= mb2 and h2["tx_bytes"] >= mb2, (h1, h2)   # h1 -> h2 transfer
assert h2["rx_bytes"] >= mb2 and h1["tx_bytes"] >= mb2, (h1, h2)   # h2 -> h1 transfer
assert h1["rx_packets"] >= 10 and h2["rx_packets"] >= 10, (h1, h2)
assert h1["tx_dropped"] == 0 and h2["tx_dropped"] == 0, (h1, h2)
PY
stats=$(tb_telemetry /hashi/stats)
echo "stats: $stats"
$TB_PY - "$stats" <<'PY' || tb_fail "flow statistics wrong"
import json, sys
s = json.loads(sys.argv[1])["/hashi/stats"]
assert s["flows"] == 4 and s["packets"] > 0 and s["emc_hits"] > 0, s
PY
tb_stop_hashi
echo "PASS: namespaces test ($mode)"
