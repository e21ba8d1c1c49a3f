#!/usr/bin/env bash
# Whole-switch forwarding benchmark (shared/TESTBEDS.md harness): one process,
# the main lcore on core 0, one forwarding lcore on core 1; rx from net_pcap
# replaying N distinct 64-byte UDP flows forever (infinite_rx), tx to net_null.
# Systems, interleaved in every repetition:
#   testpmd     dpdk-testpmd --forward-mode=io: the ceiling of this harness
#   hashi-l2    hashi, one rule dl_dst=<dst> -> output (L2 forwarding, as a
#               learned NORMAL would do)
#   hashi-l3    hashi, N exact nw_dst rules (one per flow) -> output
#   ovs-normal  OVS-DPDK 3.1 NORMAL with the destination MAC pre-learned
#   ovs-l3      OVS-DPDK 3.1 with the same N exact nw_dst rules
# Prints Mpps (median of 1 s windows after warm-up, and the worst window),
# cycles/packet (TSC Hz / pps, the forwarding core being 100% busy) and the
# ratio to testpmd from the same repetition; writes a CSV.
# Usage: bench/switch_bench.sh [-r REPS] [-f "1 1000 100000"] [-s "SYSTEMS"] [-w WARMUP] [-n WINDOWS]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3 flows_list="1 1000 100000" systems="testpmd hashi-l2 hashi-l3 ovs-normal ovs-l3"
warmup=3 windows=5
source "$root/bench/lib/harness.sh"
hb_options "$@"
hb_prepare
csv=${CSV:-switch_bench.csv}  # in the current directory
dst=02:00:00:00:00:02
trap 'pkill -f "file-prefix=hb_" 2>/dev/null; ovs_stop; rm -rf "$work"' EXIT

ovs_dir=$work/ovs
source "$root/bench/lib/ovs_dpdk.sh"

run_hashi() {  # PCAP FLOWS FLOWFILE
  hb_hashi 1 --port "in:1:net_pcap0,rx_pcap=$1,infinite_rx=1" --port out:2:net_null0,no-rx=1 --flows "$3"
}

run_ovs() {  # PCAP FLOWS MODE(normal|l3) FLOWFILE
  ovs_start "net_pcap0,rx_pcap=$1,infinite_rx=1" "net_null0,no-rx=1" || return 1
  local ctl="ovs-appctl -t $ovs_dir/ovs-vswitchd.ctl"
  if [ "$3" = normal ]; then
    $ctl fdb/add br0 out 0 $dst >/dev/null
  else
    ovs-ofctl del-flows br0 --strict "priority=0" 2>/dev/null
    ovs-ofctl -O OpenFlow13 del-flows br0
    ovs-ofctl -O OpenFlow13 --bundle add-flows br0 "$4"
  fi
  hb_ovs_rate br0 2
  ovs_stop
}

have_ovs=1
ovs_available || have_ovs=0
hb_csv_header
for rep in $(seq "$reps"); do
  for n in $flows_list; do
    pcap=$work/flows_$n.pcap
    [ -f "$pcap" ] || /usr/bin/python3 "$root/bench/gen_pcap.py" "$pcap" "$n" $dst
    echo "priority=100,dl_dst=$dst actions=output:2" > "$work/l2.flows"
    [ -f "$work/l3_$n.flows" ] || /usr/bin/python3 - "$n" > "$work/l3_$n.flows" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print("priority=100,ip,nw_dst=11.%d.%d.%d actions=output:2" % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
    for s in $systems; do
      case $s in
        testpmd) r=$(hb_testpmd "$pcap") ;;
        hashi-l2) r=$(run_hashi "$pcap" "$n" "$work/l2.flows") ;;
        hashi-l3) r=$(run_hashi "$pcap" "$n" "$work/l3_$n.flows") ;;
        ovs-normal|ovs-l3)
          if [ $have_ovs = 0 ]; then echo "skip $s: openvswitch-switch-dpdk not installed" >&2; continue; fi
          r=$(run_ovs "$pcap" "$n" "${s#ovs-}" "$work/l3_$n.flows" 2>"$work/ovs.err" | tail -1) ;;
        *) echo "unknown system $s" >&2; exit 2 ;;
      esac
      hb_record "$rep" "$n" "$s" "$r"
    done
  done
done
hb_summary "$csv" "$(hb_tsc_hz)" "$memname"
