#!/usr/bin/env bash
# Switchover benchmark (issue 5): a real guest (QEMU, TCG) migrated between
# two hosts on different LANs joined by GRE (scripts/lib/migration_testbed.sh)
# while a client in A's LAN pings it every 10 ms, sends it a
# sequence-numbered UDP stream (400/s) and a TCP stream, all echoed.
# Systems, interleaved in every repetition:
#   hashi     hashictl migrate: hold at STOP, flush into the tunnel once the
#             guest runs at B, announce from the switch
#   outside   an orchestrator drives QEMU over QMP, pauses at pre-switchover
#             and calls `hashictl migration follow` (docs/adr/0007)
#   baseline  the same two hashi processes doing nothing special (NORMAL
#             learning, plain ports), the migration driven over QMP alone and
#             the guest's own announcement moving its MAC: what a switch
#             does today
# for guest memory 128 and 512 MB, idle or dirtying 16 MB/s of its memory.
# Figures per run: outcome, QEMU's downtime (STOP to RESUME), for hashi the
# time from the guest's pause to the first packet delivered at B, the
# blackout the client saw (longest gap between UDP echoes), UDP/ping loss
# and reordering, TCP survival, packets held. Under TCG, QEMU 7.2 resumes
# some guests with corrupted memory (docs/adr/0006); such runs are counted
# as "guest-broken", not measured.
# Usage: bench/migration_bench.sh [-r REPS] [-m "128 512"] [-l "idle dirty"] [-s "hashi outside baseline"]
# Writes CSV (default migration_bench.csv) and, from the first good hashi
# run, the client and migration JSON for bench/migration_plot.py.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=2 mems="128 512" loads="idle dirty" systems="hashi outside baseline"
while getopts "r:m:l:s:" o; do
  case $o in r) reps=$OPTARG ;; m) mems=$OPTARG ;; l) loads=$OPTARG ;; s) systems=$OPTARG ;; *) exit 2 ;; esac
done
hashi=$(readlink -f "${HASHI:-$root/build/apps/hashi}")
UT_HASHICTL=$(readlink -f "${HASHICTL:-$root/build/apps/hashictl}")
csv=${CSV:-migration_bench.csv}
out_dir=${OUT:-.}
source "$root/scripts/lib/underlay_testbed.sh"
source "$root/scripts/lib/qemu_guest.sh"
source "$root/scripts/lib/migration_testbed.sh"
ut_fail() { echo "run failed: $*" >&2; return 1; }  # a bad run is recorded, not fatal

ut_init
qg_available || { echo "qemu-system-x86_64 missing" >&2; exit 1; }
ut_topology
qg_build
UT_EXTRA_CLEANUP=qg_stop_all

stop_all() {
  for h in hA hB; do
    [ -n "${UT_PID[$h]:-}" ] && { kill "${UT_PID[$h]}" 2>/dev/null; wait "${UT_PID[$h]}" 2>/dev/null; unset "UT_PID[$h]"; }
  done
  qg_stop_all
}

echo "system,mem_mb,load,rep,outcome,qemu_downtime_ms,pause_to_first_delivery_ms,client_blackout_ms,udp_sent,udp_lost,udp_reordered,ping_lost,tcp_ok,held_at_a,waited_at_b,total_ms" > "$csv"
saved=0
for rep in $(seq "$reps"); do
  for mem in $mems; do
    for load in $loads; do
      for sys in $systems; do
        args="hashi_ip=10.0.0.2/24"
        [ "$load" = dirty ] && args="$args hashi_dirty=16 hashi_wss=48"
        mt_init "$sys" "$mem" "$args"
        name="$sys-$mem-$load-$rep"
        echo "== $name"
        if ! start_a || ! start_b; then stop_all; echo "$sys,$mem,$load,$rep,setup-failed,,,,,,,,,,," >> "$csv"; continue; fi
        traffic_start "$name"
        mt_migrate "$name"  # hashi: hashictl migrate; outside: QMP + migration follow; baseline: QMP alone
        beats=$(qg_beats "$W/serial.B")
        sleep 4
        outcome=ok
        [ "$(qg_beats "$W/serial.B")" -gt "$beats" ] || outcome=guest-broken
        touch "$W/stop.$name"
        wait "$TRAFFIC_PID"
        if [ "$sys" != baseline ]; then
          ut_ctl A --json migration-show > "$W/migA.$name.json" 2>/dev/null
          ut_ctl B --json migration-show > "$W/migB.$name.json" 2>/dev/null
        fi
        row=$(/usr/bin/python3 - "$sys" "$W" "$name" "$outcome" <<'PY'
import json, sys, os
sys_, w, name, outcome = sys.argv[1:5]
c = json.load(open(os.path.join(w, "client.%s.json" % name)))
u, p, t = c["udp"], c["ping"], c["tcp"]
qemu_down = first = held_a = waited_b = total = ""
if sys_ != "baseline":
    a = json.load(open(os.path.join(w, "migA.%s.json" % name)))[0]
    b = json.load(open(os.path.join(w, "migB.%s.json" % name)))[0]
    qemu_down = a["downtime_ms"]
    if b["first_flush_at_ns"] and a["paused_at_ns"]:
        first = round((b["first_flush_at_ns"] - a["paused_at_ns"]) / 1e6, 1)
    held_a, waited_b, total = a["packets"]["held"], b["packets"]["held"] + b["packets"]["queued"], a["total_ms"]
else:
    q = json.load(open(os.path.join(w, "migrate.%s.txt" % name)))
    qemu_down, total = q["downtime_ms"], q["total_ms"]
print(",".join(str(x) for x in [outcome, qemu_down, first, u["max_gap_ms"], u["sent"], u["lost"], u["reordered"],
                                p["lost"], t["ok"], held_a, waited_b, total]))
PY
)
        echo "$sys,$mem,$load,$rep,$row" | tee -a "$csv"
        if [ "$sys" = hashi ] && [ "$outcome" = ok ] && [ "$saved" = 0 ]; then
          cp "$W/client.$name.json" "$out_dir/migration_timeline_client.json"
          /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[0]))' \
            "$W/migA.$name.json" > "$out_dir/migration_timeline_source.json"
          saved=1
        fi
        stop_all
      done
    done
  done
done
echo "wrote $csv"
