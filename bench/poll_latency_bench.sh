#!/usr/bin/env bash
# Adaptive polling's latency cost (issue 12): ping round trips between two
# namespace hosts through one hashi (net_af_packet on veths, one worker),
# with the worker busy polling (--pmd-max-sleep-us 0) and sleeping when idle
# (the default 200 and the given others), alternating inside each
# repetition. Light traffic is where sleeping costs: every ping arrives at an
# idle worker. Prints per run the RTT median, 99th percentile and maximum
# (ping -i 0.01, COUNT echoes) and the worker's asleep share from
# `hashictl stats`; writes a CSV.
# Usage: bench/poll_latency_bench.sh [-r REPS] [-c COUNT] [-s "0 200"]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3 count=500 sleeps="0 200"
while getopts "r:c:s:" o; do
  case $o in r) reps=$OPTARG ;; c) count=$OPTARG ;; s) sleeps=$OPTARG ;; *) exit 2 ;; esac
done
hashi=$(readlink -f "${HASHI:-$root/build/apps/hashi}")
hashictl=$(readlink -f "${HASHICTL:-$root/build/apps/hashictl}")
csv=${CSV:-poll_latency_bench.csv}
source "$root/scripts/lib/testbed.sh"
tb_require --no-huge
tb_init
tb_add_host h1 10.0.0.1/24
tb_add_host h2 10.0.0.2/24
printf '%s\n' "in_port=1 actions=output:2" "in_port=2 actions=output:1" > "$TB_WORK/flows"
echo "rep,max_sleep_us,rtt_median_ms,rtt_p99_ms,rtt_max_ms,asleep_pct" > "$csv"
for rep in $(seq "$reps"); do
  for s in $sleeps; do
    tb_start_hashi "$hashi" --no-huge --port "$(tb_port_arg h1 1)" --port "$(tb_port_arg h2 2)" \
      --flows "$TB_WORK/flows" --pmd-max-sleep-us "$s"
    ip netns exec "$(tb_ns h1)" ping -c 20 -i 0.01 -q 10.0.0.2 > /dev/null  # ARP, warm-up
    out=$(ip netns exec "$(tb_ns h1)" ping -c "$count" -i 0.01 10.0.0.2)
    asleep=$("$hashictl" --socket "$TB_WORK/hashi.ctl" --json stats |
             /usr/bin/python3 -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["workers"][0]["asleep_pct"])')
    row=$(echo "$out" | /usr/bin/python3 -c '
import re, statistics, sys
rtts = sorted(float(m) for m in re.findall(r"time=([0-9.]+) ms", sys.stdin.read()))
if not rtts: print(",,"); sys.exit()
print("%.3f,%.3f,%.3f" % (statistics.median(rtts), rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], rtts[-1]))')
    echo "$rep,$s,$row,$asleep" | tee -a "$csv"
    tb_stop_hashi > /dev/null
  done
done
echo "wrote $csv"
