#!/usr/bin/env bash
# A real VM live-migrated between two hashi hosts on different LANs, the way
# a stranger's bed does it (issues 5 and 12).
#
#   vmA (client 10.0.0.1) -- [hA: hashi] --GRE over a routed WAN-- [hB: hashi]
#                              | vhost-user                          | vhost-user
#                            QEMU (source)   ---- migration ---->  QEMU (-incoming)
#
# The guest (scripts/build_guest.sh, 10.0.0.2) runs under TCG, QEMU is the
# vhost-user server and each run boots a fresh guest and a fresh
# destination QEMU (sockets deleted and re-created). It does not dirty
# memory itself: under TCG with vhost-user, QEMU 7.2 resumed a dirtying
# guest with corrupted memory in 2 of 4 runs even with testpmd as the
# backends (shared/TESTBEDS.md). A's flows name the VM's logical port 2,
# never a device: "in_port=1 -> 2", "in_port=2 -> 1", "in_port=10 -> 1";
# B's send port 10 to 2 and back. The client pings every 10 ms, sends a
# sequence-numbered UDP stream at 1,000 datagrams/s (echoed by the guest)
# and a TCP stream (echoed, checked byte for byte) throughout, and a process
# spinning on a CPU keeps the 2-core host busy.
#
# 1. B's hashi is killed during pre-copy: A rolls back, the guest keeps
#    running at A, and the client loses nothing.
# 2. HASHI_MIGRATION_RUNS (default 5) consecutive runs in each mode:
#    hashi    `hashictl migrate web1 --to hostB` (hashi drives QEMU);
#    outside  an orchestrator drives both QEMUs over their own monitors (as
#             libvirt or Nova do), pauses the source at pre-switchover and
#             calls `hashictl migration follow`; B's hashi was running with
#             the VM's port configured before B's QEMU existed.
#    In every run: no UDP datagram or ping lost or reordered, TCP survives,
#    neither switch drops any of the VM's packets, the report's held
#    packets cover what the client saw delayed, both switches send
#    PORT_STATUS, and the guest runs at B (its heartbeat goes on).
# QEMU 7.2 under TCG with vhost-user sometimes resumes the destination
# guest broken (shared/TESTBEDS.md): that is detected by its heartbeat,
# reported, and that run retried from fresh hosts (five attempts per run:
# in this bed 1 in 5 to 3 in 8 attempts met it, three in a row once). Only
# runs whose guest survived count, and each of them must lose nothing.
# Usage: migration_test.sh HASHI HASHICTL
set -uo pipefail
hashi=$(readlink -f "$1")
UT_HASHICTL=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/underlay_testbed.sh"
source "$here/../../scripts/lib/qemu_guest.sh"
source "$here/../../scripts/lib/migration_testbed.sh"
RUNS=${HASHI_MIGRATION_RUNS:-5}
declare -a MONITOR_PIDS=()
stop_monitors() {
  for p in "${MONITOR_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  MONITOR_PIDS=()
}
cleanup_all() { stop_monitors; hog_stop; qg_stop_all; }

ut_init
qg_available || ut_skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): no VM to migrate"
ut_topology
qg_build
UT_EXTRA_CLEANUP=cleanup_all
W=$UT_WORK
mt_init hashi 256 "hashi_ip=10.0.0.2/24"
hog_start

echo "== 1. the destination's hashi dies during pre-copy: rollback, nothing lost"
start_a
start_b
drops_before=$(switch_drops A)
traffic_start kill
ut_ctl A migrate web1 --to hostB --max-bandwidth 20M > "$W/migrate.kill.txt" 2>&1 &
migrate_pid=$!
for _ in $(seq 100); do grep -q "precopy" "$W/migrate.kill.txt" 2>/dev/null && break; sleep 0.1; done
sleep 1.5
kill -9 "${UT_PID[hB]}"; wait "${UT_PID[hB]}" 2>/dev/null; unset "UT_PID[hB]"
wait "$migrate_pid" && ut_fail "the migration succeeded although B died: $(cat "$W/migrate.kill.txt")"
cat "$W/migrate.kill.txt"
grep -q "rolled-back" "$W/migrate.kill.txt" || ut_fail "A did not report a rollback"
sleep 2
traffic_stop kill
[ "$(switch_drops A)" = "$drops_before" ] || ut_fail "A dropped packets during the rollback: $(ut_ctl A stats | grep drops:)"
check_client kill
beats=$(qg_beats "$W/serial.A"); sleep 1
[ "$(qg_beats "$W/serial.A")" -gt "$beats" ] || ut_fail "the guest stopped running at A after the rollback"
[ "$(ut_json_get A show "[p['binding'] for p in d['ports'] if p['name'] == 'web1'][0].startswith('local')")" = True ] ||
  ut_fail "web1 is not bound to its local device again: $(ut_ctl A show)"
ut_stop_hashi A > /dev/null
qg_stop_all

# migrate_once MODE RUN ATTEMPT: one migration from fresh hosts; returns 3
# when the destination guest froze (QEMU's, not hashi's, see above).
migrate_once() {
  local mode=$1 name="$1-$2-$3"
  mt_init "$mode" 256 "hashi_ip=10.0.0.2/24"
  start_a
  start_b
  ip netns exec "$(ut_ns hA)" timeout 120 ovs-ofctl -O OpenFlow13 --unixctl="$W/ofctl.A" monitor tcp:127.0.0.1:6653 > "$W/of.A" 2>&1 &
  MONITOR_PIDS+=($!)
  ip netns exec "$(ut_ns hB)" timeout 120 ovs-ofctl -O OpenFlow13 --unixctl="$W/ofctl.B" monitor tcp:127.0.0.1:6653 > "$W/of.B" 2>&1 &
  MONITOR_PIDS+=($!)
  sleep 0.5
  local drops_a drops_b
  drops_a=$(switch_drops A) drops_b=$(switch_drops B)
  traffic_start "$name"
  mt_migrate "$name"
  local rc=$?
  cat "$W/migrate.$name.txt"
  [ $rc = 0 ] || ut_fail "$name: the migration failed (exit $rc): $(ut_ctl A migration show 2>&1 | head -3)"
  local beats; beats=$(qg_beats "$W/serial.B")
  sleep 3
  if [ "$(qg_beats "$W/serial.B")" -le "$beats" ]; then
    echo "$name: the destination guest stopped after RESUME (QEMU 7.2 TCG + vhost-user, see TESTBEDS):"
    grep -v "^beat" "$W/serial.B" | head -3
    touch "$W/stop.$name"; wait "$TRAFFIC_PID"
    return 3
  fi
  traffic_stop "$name"
  # The switches themselves drop nothing of the VM's traffic, whatever the guest does.
  [ "$(switch_drops A)" = "$drops_a" ] && [ "$(switch_drops B)" = "$drops_b" ] ||
    ut_fail "$name: a switch dropped packets during the migration: A $(ut_ctl A stats | grep drops:), B $(ut_ctl B stats | grep drops:)"
  if ! check_client_quiet "$name"; then
    echo "--- the guest's own UDP drops: $(qg_guest_drops "$W/serial.A") at A, $(qg_guest_drops "$W/serial.B") at B"
    for side in A B; do echo "--- $side ports:"; ut_ctl $side dump-ports; ut_ctl $side stats | grep -A3 drops; done
    for ns in hA hB rt vmA; do echo "--- $ns:"; ip netns exec "$(ut_ns $ns)" ip -s -o link | awk '{print $2, $0}' | cut -c1-400; done
    ut_ctl A migration show "$(ut_json_get A migration-show "d[0]['id']")"
    ut_ctl B migration show "$(ut_json_get B migration-show "d[0]['id']")"
    check_client "$name"
  fi
  local id; id=$(ut_json_get A "migration-show" "d[0]['id']")
  ut_ctl A migration show "$id" | head -8
  ut_json_get A "migration-show $id" "d['packets']" > "$W/packets.A"
  ut_json_get B "migration-show" "d[0]['packets']" > "$W/packets.B"
  /usr/bin/python3 - "$W/client.$name.json" "$W/packets.A" "$W/packets.B" <<'PY' || ut_fail "$name: the report does not match what the client saw"
import ast, json, sys
c = json.load(open(sys.argv[1]))
a, b = (ast.literal_eval(open(f).read()) for f in sys.argv[2:4])
delayed = c["udp"]["delayed_100ms"]
waited = a["held"] + b["held"] + b["queued"]  # at B, what the device refused waited in the ring too
print("client: %d UDP datagrams delayed over 100 ms, longest gap %.0f ms; switches: %d held at A while the VM was stopped, "
      "%d through B's hold ring, %d dropped; VM port at B: %d sent, %d refused and retried, %d dropped"
      % (delayed, c["udp"]["max_gap_ms"], a["held"], b["held"] + b["queued"],
         a["expired"] + a["overflow"] + b["expired"] + b["overflow"], b["port_tx"], b["port_refused"], b["port_dropped"]))
assert a["held"] > 0, "A held nothing, yet the VM was stopped"
assert a["expired"] + a["overflow"] + b["expired"] + b["overflow"] == 0, "held packets were dropped"
assert a["flushed"] == a["held"] + a["queued"], "A did not send on everything that went through its ring"
assert b["port_dropped"] == 0, "B dropped packets at the VM's port"
assert waited >= delayed, "the client saw %d delayed datagrams but only %d packets waited" % (delayed, waited)
PY
  [ "$(ut_json_get A show "[p['binding'] for p in d['ports'] if p['name'] == 'web1'][0]")" = "remote(tunnel port 10)" ] ||
    ut_fail "$name: A's web1 is not a forwarding pointer into the tunnel: $(ut_ctl A show)"
  [ "$(ut_json_get B dump-vms "[v['name'] for v in d]")" = "['web1']" ] || ut_fail "$name: B does not know web1 as its VM"
  grep -q "PORT_STATUS.*MOD.*(web1)" "$W/of.A" || ut_fail "$name: A sent no PORT_STATUS for web1: $(cat "$W/of.A")"
  if [ "$mode" = hashi ]; then
    grep -q "PORT_STATUS.*ADD.*(web1)" "$W/of.B" || ut_fail "$name: B sent no PORT_STATUS add for web1: $(cat "$W/of.B")"
  fi
  grep -q "PORT_STATUS.*MOD.*(web1)" "$W/of.B" || ut_fail "$name: B sent no PORT_STATUS modify for web1: $(cat "$W/of.B")"
  ut_ping vmA 10.0.0.2 3 > /dev/null
  return 0
}

# end_run: every process of the run stops; each hashi exits cleanly with no mbuf in use.
end_run() {
  stop_monitors
  if [ "${1:-}" = broken ]; then
    for h in hA hB; do kill "${UT_PID[$h]}" 2>/dev/null; wait "${UT_PID[$h]}" 2>/dev/null; unset "UT_PID[$h]"; done
  else
    ut_stop_hashi A > /dev/null
    ut_stop_hashi B > /dev/null
  fi
  qg_stop_all
}

broken=0
for mode in ${HASHI_MIGRATION_MODES:-hashi outside}; do
  for run in $(seq "$RUNS"); do
    echo "== 2. $mode drives, run $run of $RUNS (a CPU hog beside)"
    attempt=1
    while true; do
      migrate_once "$mode" "$run" "$attempt"
      rc=$?
      [ $rc = 3 ] || break
      end_run broken
      broken=$((broken + 1))
      [ $attempt -lt 5 ] || ut_fail "$mode run $run: the destination guest broke after RESUME in 5 attempts"
      attempt=$((attempt + 1))
    done
    end_run
    echo "ok: $mode run $run (attempt $attempt): nothing lost"
  done
done
hog_stop
echo "PASS: migration ($RUNS runs in each mode with nothing lost; $broken runs retried for a guest QEMU broke)"
