#!/usr/bin/env bash
# GRE encap and decap benchmark (issue 4), in the whole-switch harness
# (bench/lib/harness.sh): 64-byte inner frames, 1 and 100k flows, one
# forwarding core. Systems, interleaved in every repetition:
#   testpmd       dpdk-testpmd io on the same input (the harness's ceiling)
#   hashi-encap   in_port=1 -> output:gre0 (key 77), out the uplink (net_null)
#   hashi-decap   GRE (key 77) in on the uplink (net_pcap) -> output:2 (net_null)
#   hashi-encap-l2, hashi-decap-l2  the same with a dl_dst match added to the
#                 rule, so every packet takes the cache and classifier path
#                 (in_port-only tables skip both: TableSet::in_port_only)
#   ovs-encap     OVS-DPDK 3.1 native userspace GRE, the same rule
#   ovs-decap     OVS-DPDK 3.1, the same GRE input
# The decap input is the encap input wrapped in outer Ethernet/IPv4/GRE (106
# bytes on the wire); testpmd runs on both (testpmd-gre: the GRE input).
# Usage: bench/gre_bench.sh [-r REPS] [-f "1 100000"] [-s "SYSTEMS"] [-w WARMUP] [-n WINDOWS]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3 flows_list="1 100000" systems="testpmd testpmd-gre hashi-encap hashi-decap hashi-encap-l2 hashi-decap-l2 ovs-encap ovs-decap"
warmup=3 windows=5
source "$root/bench/lib/harness.sh"
hb_options "$@"
hb_prepare
csv=${CSV:-gre_bench.csv}
trap 'pkill -f "file-prefix=hb_" 2>/dev/null; ovs_stop; rm -rf "$work"' EXIT
ovs_dir=$work/ovs
source "$root/bench/lib/ovs_dpdk.sh"

echo "in_port=1 actions=output:10" > "$work/encap.flows"
echo "in_port=10 actions=output:2" > "$work/decap.flows"
echo "in_port=1,dl_dst=02:00:00:00:00:02 actions=output:10" > "$work/encap-l2.flows"
echo "in_port=10,dl_dst=02:00:00:00:00:02 actions=output:2" > "$work/decap-l2.flows"
tunnel=gre0:10:remote_ip=10.1.0.2,key=77

run_ovs_gre() {  # MODE PCAP
  ovs_start_gre "$1" "net_pcap0,rx_pcap=$2,infinite_rx=1" "net_null0,no-rx=1" || return 1
  local counter="br-phy 1"
  [ "$1" = decap ] && counter="br-int 2"
  hb_ovs_rate $counter
  ovs_stop
}

have_ovs=1
ovs_available || have_ovs=0
hb_csv_header
for rep in $(seq "$reps"); do
  for n in $flows_list; do
    plain=$work/plain_$n.pcap gre=$work/gre_$n.pcap
    [ -f "$plain" ] || /usr/bin/python3 "$root/bench/gen_pcap.py" "$plain" "$n"
    [ -f "$gre" ] || /usr/bin/python3 "$root/bench/gen_pcap.py" "$gre" "$n" --gre 10.1.0.2 10.1.0.1 77 02:00:00:00:00:01
    for s in $systems; do
      case $s in
        testpmd) r=$(hb_testpmd "$plain") ;;
        testpmd-gre) r=$(hb_testpmd "$gre") ;;
        hashi-encap|hashi-encap-l2)
          r=$(hb_hashi 1 --port "vm:1:net_pcap0,rx_pcap=$plain,infinite_rx=1" \
                --uplink "wan:10.1.0.1/24:net_null0,no-rx=1" --neighbor 10.1.0.2:02:00:00:00:00:fe \
                --tunnel "$tunnel" --flows "$work/${s#hashi-}.flows") ;;
        hashi-decap|hashi-decap-l2)
          r=$(hb_hashi 0 --port "vm:2:net_null0,no-rx=1" \
                --uplink "wan:10.1.0.1/24:net_pcap0,rx_pcap=$gre,infinite_rx=1" \
                --tunnel "$tunnel" --flows "$work/${s#hashi-}.flows") ;;
        ovs-encap|ovs-decap)
          if [ $have_ovs = 0 ]; then echo "skip $s: openvswitch-switch-dpdk not installed" >&2; continue; fi
          input=$plain
          [ "$s" = ovs-decap ] && input=$gre
          r=$(run_ovs_gre "${s#ovs-}" "$input" 2>"$work/ovs.err" | tail -1) ;;
        *) echo "unknown system $s" >&2; exit 2 ;;
      esac
      hb_record "$rep" "$n" "$s" "$r"
    done
  done
done
hb_summary "$csv" "$(hb_tsc_hz)" "$memname"
