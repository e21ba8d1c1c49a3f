#!/usr/bin/env bash
# hashictl against a running hashi: show, ports added and removed at run
# time (a host plugged in after start-up), flows from a file, dumps, trace,
# stats, the standalone fail mode taking over when the controller is
# unreachable and secure mode keeping the rules, and clear errors with
# non-zero exit codes for bad calls.
# Usage: hashictl_test.sh HASHI_BINARY HASHICTL_BINARY --no-huge|--hugepages
set -uo pipefail
hashi=$(readlink -f "$1")
hashictl_bin=$(readlink -f "$2")
mode=${3:---no-huge}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/testbed.sh"

tb_require "$mode"

tb_init
tb_add_host h1 10.79.0.1/24
tb_add_host h2 10.79.0.2/24
sock="$TB_WORK/hashi.ctl"
ctl() { "$hashictl_bin" --socket "$sock" "$@"; }
expect_rc() {  # expect_rc RC COMMAND...
  local want=$1 rc=0
  shift
  "$@" > "$TB_WORK/out.txt" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || tb_fail "'$*' exited $rc, expected $want: $(cat "$TB_WORK/out.txt")"
  echo "exit $rc as expected: $* -> $(head -1 "$TB_WORK/out.txt")"
}
mac() { ip netns exec "$(tb_ns "$1")" cat /sys/class/net/eth0/address; }

tb_start_hashi "$hashi" "$mode" --port "$(tb_port_arg h1 1)" --port "$(tb_port_arg h2 2)" \
  --mgmt "$sock" --probe-interval 1

echo "== show"
ctl show | tee "$TB_WORK/show.txt"
grep -q "port 1 (h1)" "$TB_WORK/show.txt" && grep -q "port 2 (h2)" "$TB_WORK/show.txt" || tb_fail "show lacks ports"
grep -q "priority=0 actions=NORMAL" <(ctl dump-flows) || tb_fail "standalone should start with the NORMAL flow"
tb_ping h1 10.79.0.2 3

echo "== trace after learning"
ctl trace "in_port=1,dl_dst=$(mac h2),ip,nw_dst=10.79.0.2" | tee "$TB_WORK/trace.txt"
grep -q "learned on port 2" "$TB_WORK/trace.txt" || tb_fail "trace should find h2's MAC on port 2"
ctl --json trace "in_port=1,dl_dst=$(mac h2),ip" | grep -q '"outputs"' || tb_fail "trace --json"

echo "== a host plugged in at run time"
tb_add_host h3 10.79.0.3/24
ctl add-port "$(tb_port_arg h3 3)" || tb_fail "add-port"
tb_ping h1 10.79.0.3 3
ctl show | grep -q "port 3 (h3)" || tb_fail "show lacks the new port"
expect_rc 1 ctl add-port "$(tb_port_arg h3 3)"   # OpenFlow port 3 is in use
ctl del-port h3 || tb_fail "del-port"
ctl show | grep -q "port 3" && tb_fail "port 3 still shown after del-port"
ip netns exec "$(tb_ns h1)" ping -c 1 -W 1 10.79.0.3 >/dev/null 2>&1 && tb_fail "h3 still reachable after del-port"
echo "h3 reachable while plugged in, unreachable after del-port"

echo "== flows from a file, dumps, stats"
cat > "$TB_WORK/flows.txt" <<FLOWS
# block ICMP between h1 and h2
priority=100,icmp,actions=drop
FLOWS
ctl add-flows "$TB_WORK/flows.txt" || tb_fail "add-flows"
ip netns exec "$(tb_ns h1)" ping -c 1 -W 1 10.79.0.2 >/dev/null 2>&1 && tb_fail "ping passed the drop rule"
ctl dump-flows "icmp" | tee "$TB_WORK/dump.txt"
grep -Eq "n_packets=[1-9]" "$TB_WORK/dump.txt" || tb_fail "the drop rule counted nothing"
ctl --json dump-ports h1 | $TB_PY -c "import json,sys; d=json.load(sys.stdin); assert d[0]['rx_packets'] > 0, d" \
  || tb_fail "dump-ports"
ctl dump-tables | grep -q "table 0: active=2" || tb_fail "dump-tables"
ctl stats | grep -q "worker 0:" || tb_fail "stats"
ctl --json stats | $TB_PY -c "import json,sys; d=json.load(sys.stdin); assert d['control']['commits'] > 0, d" \
  || tb_fail "stats --json lacks the commit figures"

echo "== fail modes with an unreachable controller"
closed_port=$((18000 + TB_ID % 1000))
ctl set-controller "tcp:127.0.0.1:$closed_port" || tb_fail "set-controller"
sleep 4.5   # three 1 s inactivity probes: standalone takes over with NORMAL
ctl show | grep -q "not connected" || tb_fail "show should report the controller down"
tb_ping h1 10.79.0.2 2
echo "standalone: forwarding with NORMAL while the controller is away"
ctl set-fail-mode secure || tb_fail "set-fail-mode"
sleep 0.5
ip netns exec "$(tb_ns h1)" ping -c 1 -W 1 10.79.0.2 >/dev/null 2>&1 && tb_fail "secure mode should keep the drop rule"
echo "secure: the rules stay in force"
ctl del-controller || tb_fail "del-controller"

echo "== bad calls"
expect_rc 1 ctl no-such-command
expect_rc 1 ctl add-flow "in_port=1,actions=frobnicate"
expect_rc 1 ctl del-port nonexistent
expect_rc 1 ctl set-fail-mode sometimes
expect_rc 1 ctl trace "tcp,tp_dst=80"          # no in_port
expect_rc 1 ctl show extra-argument
expect_rc 2 ctl
expect_rc 2 "$hashictl_bin" --socket "$TB_WORK/nothing-here" show

tb_stop_hashi
echo "PASS: hashictl test ($mode)"
