# The migration testbed (tests/integration/migration_test.sh and
# bench/migration_bench.sh); source after underlay_testbed.sh and
# qemu_guest.sh, with $hashi set. Host A runs the guest (QEMU, vhost-user)
# and the client namespace vmA; host B receives it.
#
# Modes:
#   hashi     A's flows name the VM's logical port 2 ("in_port=1 -> 2",
#             "in_port=2 -> 1", "in_port=10 -> 1"; B: "10 -> 2", "2 -> 10");
#             both hashis coordinate (hashictl migrate), hold and announce;
#             the guest does not announce itself. B's port is made at
#             Reserve from --vm-devargs, after B's QEMU is up.
#   outside   the same flows, but an orchestrator drives QEMU over its own
#             QMP monitors (scripts/lib/qmp_migrate.py, as libvirt or Nova
#             do) and calls `hashictl migration follow` with the source
#             paused at pre-switchover; hashi watches a second monitor of
#             each QEMU. B's hashi runs first with the VM's port configured
#             (a vhost-user client that connects once B's QEMU appears), as
#             a long-running switch on a hypervisor host does.
#   baseline  what a switch does today: NORMAL learning on both hosts, B's
#             vhost port added as a plain port, the migration driven over
#             QMP alone, the guest's own announcement (QEMU's announce-self
#             through the virtio-net driver) to move the MAC.
#
#   mt_init MODE MEM_MB "GUEST_ARGS"   files and settings
#   start_a / start_b                  QEMU then hashi (outside: B's hashi first)
#   mt_migrate NAME                    the migration as MODE drives it (0: the VM runs at B)
#   traffic_start NAME / traffic_stop NAME / check_client NAME / switch_drops SIDE
#   hog_start / hog_stop               a busy CPU beside everything (a loaded host)

mt_init() {
  MT_MODE=$1 MT_MEM=$2 GUEST_ARGS=$3
  MT_CLIENT_PY="$(dirname "${BASH_SOURCE[0]}")/migration_client.py"
  MT_QMP_PY="$(dirname "${BASH_SOURCE[0]}")/qmp_migrate.py"
  W=$UT_WORK
  printf '%s\n' "in_port=1 actions=output:2" "in_port=2 actions=output:1" "in_port=10 actions=output:1" > "$W/flows.A"
  printf '%s\n' "in_port=10 actions=output:2" "in_port=2 actions=output:10" > "$W/flows.B"
  if [ "$MT_MODE" = baseline ]; then QG_ANNOUNCE=on; else QG_ANNOUNCE=off; fi
  if [ "$MT_MODE" = outside ]; then QG_SWITCH_QMP="$W/hqmp{name}-web1.sock"; else QG_SWITCH_QMP=""; fi
}

start_a() {
  rm -f "$W/a.sock" "$W/qmpA-web1.sock" "$W/hqmpA-web1.sock" "$W/serial.A"
  qg_start A "$W/a.sock" "$W/qmpA-web1.sock" "$W/serial.A" "$MT_MEM" $GUEST_ARGS
  local qmp="$W/qmpA-{vm}.sock"
  [ "$MT_MODE" = outside ] && qmp="$W/hqmpA-{vm}.sock"
  local extra=(--flows "$W/flows.A" --vm web1,ofport=2,mac=02:00:00:00:00:02,ip=10.0.0.2
               --peer "hostB,endpoint=unix:$W/B.peer,tunnel=10" --qmp-path "$qmp"
               --forward-quiet-ms 600000)
  [ "$MT_MODE" = baseline ] && extra=()
  ut_start_hashi A "$hashi" 0,1 0 \
    --port "client:1:net_af_packet_vmA_$UT_ID,iface=vm,qpairs=1" \
    --port "web1:2:net_vhost_web1,iface=$W/a.sock,client=1" \
    --uplink "wan:10.1.0.1/24:net_af_packet_wanA_$UT_ID,iface=wan,qpairs=1" --route default:10.1.0.254 \
    --tunnel gre0:10:remote_ip=10.2.0.1,key=77 --listen ptcp:6653:127.0.0.1 "${extra[@]}"
  qg_wait_ready "$W/serial.A" 90
  ut_ping vmA 10.0.0.2 3
}

start_b() {
  rm -f "$W/b.sock" "$W/qmpB-web1.sock" "$W/hqmpB-web1.sock" "$W/serial.B"
  local extra=(--flows "$W/flows.B" --migration-listen "punix:$W/B.peer"
               --migration-incoming "unix:$W/incoming-{vm}" --qmp-path "$W/qmpB-{vm}.sock"
               --vm-devargs "net_vhost_{vm},iface=$W/b.sock,client=1")
  case $MT_MODE in
    baseline) extra=(--port "web1:2:net_vhost_web1,iface=$W/b.sock,client=1") ;;
    outside) extra=(--flows "$W/flows.B" --migration-listen "punix:$W/B.peer" --qmp-path "$W/hqmpB-{vm}.sock"
                    --port "web1:2:net_vhost_web1,iface=$W/b.sock,client=1") ;;
  esac
  [ "$MT_MODE" = outside ] || qg_start B "$W/b.sock" "$W/qmpB-web1.sock" "$W/serial.B" "$MT_MEM" incoming $GUEST_ARGS
  ut_start_hashi B "$hashi" 0,1 1 \
    --port "local:1:net_af_packet_vmB_$UT_ID,iface=vm,qpairs=1" \
    --uplink "wan:10.2.0.1/24:net_af_packet_wanB_$UT_ID,iface=wan,qpairs=1" --route default:10.2.0.254 \
    --tunnel gre0:10:remote_ip=10.1.0.1,key=77 --listen ptcp:6653:127.0.0.1 "${extra[@]}"
  [ "$MT_MODE" = outside ] && qg_start B "$W/b.sock" "$W/qmpB-web1.sock" "$W/serial.B" "$MT_MEM" incoming $GUEST_ARGS
  return 0
}

# mt_migrate NAME: migrates web1 from A to B as MT_MODE drives it; the
# output in $W/migrate.NAME.txt. Returns 0 once the VM runs at B.
mt_migrate() {
  local out="$W/migrate.$1.txt"
  case $MT_MODE in
    hashi) ut_ctl A migrate web1 --to hostB > "$out" 2>&1 ;;
    outside|baseline)
      local hook=()
      [ "$MT_MODE" = outside ] && hook=(--pre-switchover "$UT_HASHICTL --socket $W/A.ctl migration follow web1 --to hostB")
      /usr/bin/python3 "$MT_QMP_PY" "$W/qmpA-web1.sock" "$W/qmpB-web1.sock" "unix:$W/incoming-web1" \
        --downtime-ms 300 "${hook[@]}" > "$out" 2>&1
      grep -q '"status": "completed"' "$out" || return 1
      [ "$MT_MODE" = outside ] || return 0
      # hashi follows: wait until A's record says the VM runs at B.
      for _ in $(seq 100); do
        [ "$(ut_json_get A migration-show "d[0]['moved']" 2>/dev/null)" = True ] && return 0
        sleep 0.1
      done
      return 1 ;;
  esac
}

# hog_start / hog_stop: one process spinning on a CPU, as a busy neighbour.
hog_start() {
  /usr/bin/python3 -c 'while True: pass' &
  MT_HOG_PID=$!
}
hog_stop() {
  [ -n "${MT_HOG_PID:-}" ] && { kill "$MT_HOG_PID" 2>/dev/null; wait "$MT_HOG_PID" 2>/dev/null; }
  MT_HOG_PID=""
}

# switch_drops SIDE: packets host SIDE's hashi dropped for reasons that could
# hit the VM's traffic (not the namespaces' own chatter).
switch_drops() {
  ut_json_get "$1" stats "sum(v for k, v in d['drops'].items() if k in ('tx_full', 'hold_overflow', 'hold_expired', 'port_reserved', 'no_such_port', 'port_down', 'tunnel_unknown', 'tunnel_too_big', 'tunnel_arp_queue_full', 'underlay_queue_full', 'no_buffer'))"
}

# traffic_start NAME / traffic_stop NAME: the client's measured streams.
traffic_start() {
  rm -f "$W/stop.$1"
  ip netns exec "$(ut_ns vmA)" /usr/bin/python3 "$MT_CLIENT_PY" --ip 10.0.0.2 --stop "$W/stop.$1" \
    --udp-pps "${MT_UDP_PPS:-1000}" --seconds 240 > "$W/client.$1.json" 2> "$W/client.$1.err" &
  TRAFFIC_PID=$!
  sleep 2
}
traffic_stop() {
  touch "$W/stop.$1"
  wait "$TRAFFIC_PID" || ut_fail "the client failed: $(cat "$W/client.$1.err")"
  echo "client ($1): $(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timeline"); print(json.dumps(d))' "$W/client.$1.json")"
}

# check_client NAME: nothing lost, reordered or corrupted (check_client_quiet:
# the same as a status, without failing).
check_client_quiet() { ( ut_fail() { exit 1; }; check_client "$1" ) > /dev/null 2>&1; }
check_client() {
  /usr/bin/python3 - "$W/client.$1.json" <<'PY' || ut_fail "the client saw loss, reordering or a broken TCP stream ($1)"
import json, sys
d = json.load(open(sys.argv[1]))
u, p, t = d["udp"], d["ping"], d["tcp"]
problems = []
if u["lost"] or u["reordered"] or u["duplicates"]:
    problems.append("UDP lost %d (first %s), reordered %d, duplicates %d" % (u["lost"], u["lost_first"], u["reordered"], u["duplicates"]))
if p["lost"] != 0:
    problems.append("ping lost %d of %d" % (p["lost"], p["sent"]))
if not t["ok"]:
    problems.append("TCP: %s (sent %d, echoed %d)" % (t["error"] or "incomplete", t["sent"], t["echoed"]))
for x in problems: print("  " + x)
sys.exit(1 if problems else 0)
PY
}
