#!/usr/bin/env bash
# Flow-mod throughput: the time to install N flows through the OpenFlow
# socket with `ovs-ofctl -O OpenFlow13 add-flows` (which ends with a barrier
# and waits for its reply), for hashi and OVS-DPDK 3.1 (datapath_type=netdev)
# interleaved in every repetition, each forwarding traffic while the flows
# go in (net_pcap replaying one 64-byte flow forever -> net_null, one
# forwarding lcore on core 1, the control thread on core 0). For hashi it
# also reads the worst gap between two worker loop iterations during the
# install (hashictl stats). Both switches are reached over a unix socket;
# ovs-ofctl is pinned to core 0 so that it never preempts a forwarding core.
# Prints flows/s per system and the ratio hashi/OVS from the same repetition.
# Two modes: "plain" (ovs-ofctl add-flows: every flow-mod is followed by a
# barrier and waits for its reply, so this is a round trip per flow) and
# "bundle" (add-flows --bundle: all flow-mods in one atomic bundle).
# Usage: bench/flowmod_bench.sh [-r REPS] [-f "10000 100000"] [-m "plain bundle"]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3 flows_list="10000 100000" modes="plain bundle"
while getopts "r:f:m:" o; do
  case $o in r) reps=$OPTARG ;; f) flows_list=$OPTARG ;; m) modes=$OPTARG ;; *) exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
hashi=${HASHI:-$root/build-bench/apps/hashi}
hashictl=${HASHICTL:-$root/build-bench/apps/hashictl}
if [ ! -x "$hashi" ] || [ ! -x "$hashictl" ]; then
  bash "$root/scripts/build.sh" build-bench --buildtype=release -Dtests=false >/dev/null || exit 1
fi
bash "$root/scripts/hugepages.sh" 1536 >/dev/null
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 700 ]; then mem=(--in-memory); else mem=(--no-huge -m 3072); fi
work=$(mktemp -d)
csv=${CSV:-flowmod_bench.csv}
dst=02:00:00:00:00:02
trap 'pkill -f "file-prefix=hb_" 2>/dev/null; ovs_stop; rm -rf "$work"' EXIT
ovs_dir=$work/ovs
source "$root/bench/lib/ovs_dpdk.sh"
# The client runs on the control core, never on the forwarding core 1.
OF="taskset -c 0 ovs-ofctl -O OpenFlow13"
pcap=$work/one.pcap
/usr/bin/python3 "$root/bench/gen_pcap.py" "$pcap" 1 $dst

now() { date +%s.%N; }
# client_cpu COMMAND: runs it; writes the client's own CPU seconds (user +
# system) to $work/cpu, to show how much of the time is ovs-ofctl itself.
client_cpu() {
  local TIMEFORMAT="%U %S"
  { time $1 > /dev/null || echo "add-flows failed: $1" >&2; } 2> "$work/cpu.raw"
  tail -1 "$work/cpu.raw" | awk '{printf "%.3f", $1 + $2}' > "$work/cpu"
}

# Prints "seconds installed max_gap_us max_busy_loop_us commit_s idle_gap_us client_cpu_s".
run_hashi() {  # FLOWFILE N MODE
  local p=hb_fm_$$ sock=$work/hs.of ctl=$work/hs.ctl
  echo "priority=1,actions=output:2" > "$work/base.flows"
  "$hashi" -l 0,1 --main-lcore 0 --file-prefix=$p --no-pci "${mem[@]}" --log-level='*:error' -- \
    --port "in:1:net_pcap0,rx_pcap=$pcap,infinite_rx=1" --port out:2:net_null0,no-rx=1 --mbufs 262144 \
    --fail-mode secure --flows "$work/base.flows" --listen "punix:$sock" --mgmt "$ctl" > "$work/hs.log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q "hashi: running" "$work/hs.log" && break; sleep 0.1; done
  sleep 2
  # The same worker's worst gap over 3 s of forwarding alone: this machine's floor.
  "$hashictl" --socket "$ctl" stats --clear > /dev/null
  sleep 3
  local idle
  idle=$("$hashictl" --socket "$ctl" --json stats | /usr/bin/python3 -c \
    "import json,sys; print('%.1f' % json.load(sys.stdin)['workers'][0]['max_gap_us'])")
  local commits0
  commits0=$("$hashictl" --socket "$ctl" --json stats | /usr/bin/python3 -c \
    "import json,sys; print(json.load(sys.stdin)['control']['commit_ms_total'])")
  "$hashictl" --socket "$ctl" stats --clear > /dev/null
  local t0 t1
  t0=$(now)
  client_cpu "$OF $([ "$3" = bundle ] && echo --bundle) add-flows unix:$sock $1"
  t1=$(now)
  local n gap
  n=$($OF dump-aggregate "unix:$sock" | grep -o 'flow_count=[0-9]*' | cut -d= -f2)
  gap=$("$hashictl" --socket "$ctl" --json stats | /usr/bin/python3 -c \
    "import json,sys; d=json.load(sys.stdin); w=d['workers'][0]
print('%.1f %.1f %.3f' % (w['max_gap_us'], w['max_loop_us'], (d['control']['commit_ms_total'] - $commits0) / 1000))")
  kill -INT $pid; wait $pid 2>/dev/null
  echo "$(echo "$t1 - $t0" | bc) $((n - 1)) $gap $idle $(cat "$work/cpu")"
}

run_ovs() {  # FLOWFILE N MODE
  ovs_start "net_pcap0,rx_pcap=$pcap,infinite_rx=1" "net_null0,no-rx=1" >/dev/null || return 1
  ovs-ofctl del-flows br0
  ovs-ofctl add-flow br0 "priority=1,actions=output:2"
  sleep 2
  local t0 t1
  t0=$(now)
  client_cpu "$OF $([ "$3" = bundle ] && echo --bundle) add-flows br0 $1"
  t1=$(now)
  local n
  n=$($OF dump-aggregate br0 | grep -o 'flow_count=[0-9]*' | cut -d= -f2)
  ovs_stop
  echo "$(echo "$t1 - $t0" | bc) $((n - 1)) - - - - $(cat "$work/cpu")"
}

ovs_available || { echo "openvswitch-switch-dpdk is not installed: no OVS to compare with" >&2; exit 1; }
echo "rep,mode,flows,system,seconds,flows_per_s,installed,max_gap_us,max_busy_loop_us,idle_gap_us,commit_s,client_cpu_s" > "$csv"
for rep in $(seq "$reps"); do
 for mode in $modes; do
  for n in $flows_list; do
    file=$work/flows_$n.txt
    [ -f "$file" ] || /usr/bin/python3 - "$n" > "$file" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print("priority=100,ip,nw_dst=11.%d.%d.%d,actions=output:2" % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
    declare -A rate=()
    for s in hashi ovs; do
      read -r secs installed gap busy commit idle cpu < <(run_$s "$file" "$n" "$mode")
      r=$(echo "$n / $secs" | bc)
      rate[$s]=$r
      [ "$installed" = "$n" ] || echo "WARNING: $s installed $installed of $n flows" >&2
      echo "$rep,$mode,$n,$s,$secs,$r,$installed,$gap,$busy,$idle,$commit,$cpu" >> "$csv"
      printf "rep %d %-6s %6d flows  %-5s %7.3f s  %7d flows/s  client cpu %s s  commits %s s  loop gap %s us (idle floor %s us)\n" \
        "$rep" "$mode" "$n" "$s" "$secs" "$r" "$cpu" "$commit" "$gap" "$idle"
    done
    printf "rep %d %-6s %6d flows  hashi/OVS = %.1fx\n" "$rep" "$mode" "$n" "$(echo "${rate[hashi]} / ${rate[ovs]}" | bc -l)"
  done
 done
done
echo "results: $csv"
