#!/usr/bin/env bash
# OpenFlow 1.3 against real clients nobody here wrote: ovs-ofctl (add-flow,
# add-flows from a file, mod-flows, del-flows, dump-flows, dump-ports,
# dump-tables, dump-groups, packet-out, monitor) over TCP and a unix socket,
# python3-openflow over a raw socket for the exact error codes, and a small
# pyof controller that hashi connects to actively (packet-in -> packet-out,
# reconnect after the controller restarts). Dataplane effects are checked by
# sending frames with scapy in one host namespace and sniffing in the others.
# TLS: ovs-ofctl over pssl with mutual authentication (and a stranger's
# certificate refused), and hashi connecting to a TLS controller.
# Usage: openflow_test.sh HASHI_BINARY HASHICTL_BINARY --no-huge|--hugepages
set -uo pipefail
hashi=$(readlink -f "$1")
hashictl=$(readlink -f "$2")
mode=${3:---no-huge}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/testbed.sh"

tb_require "$mode"
command -v ovs-ofctl >/dev/null || tb_skip "ovs-ofctl missing (apt-get install openvswitch-common)"
$TB_PY -c "import pyof, scapy" 2>/dev/null || tb_skip "python3-openflow or python3-scapy missing"
mkdir -p /var/run/openvswitch  # ovs-ofctl monitor's control socket lives there

tb_init
bash "$here/../../scripts/lib/make_test_pki.sh" "$TB_WORK/pki" || tb_fail "making test certificates"
pki="$TB_WORK/pki"
tls_args=(--private-key "$pki/switch-key.pem" --certificate "$pki/switch.pem" --ca-cert "$pki/ca.pem")
tb_add_host h1 10.78.0.1/24
tb_add_host h2 10.78.0.2/24
tb_add_host h3 10.78.0.3/24
of_port=$((16000 + TB_ID % 1000))
ssl_port=$((19000 + TB_ID % 1000))
ctl_port=$((17000 + TB_ID % 1000))
tls_ctl_port=$((20000 + TB_ID % 1000))
mgmt="$TB_WORK/hashi.ctl"
sock="$TB_WORK/hashi.of"
OF="ovs-ofctl -O OpenFlow13"
SW="unix:$sock"
frames="$TB_PY $here/frames.py"
mac() { ip netns exec "$(tb_ns "$1")" cat /sys/class/net/eth0/address; }
in_ns() { local h=$1; shift; ip netns exec "$(tb_ns "$h")" "$@"; }

# sniff_count HOST DPORT CMD...: runs CMD while HOST sniffs; prints the count.
sniff_count() {
  local host=$1 dport=$2 out="$TB_WORK/sniff.$RANDOM"
  shift 2
  in_ns "$host" $frames sniff eth0 5 "$dport" > "$out" &
  local pid=$!
  sleep 2.5
  "$@"
  wait "$pid"
  cat "$out"
}

# secure: no default NORMAL rule, nothing forwards until flows arrive.
tb_start_hashi "$hashi" "$mode" --port "$(tb_port_arg h1 1)" --port "$(tb_port_arg h2 2)" \
  --port "$(tb_port_arg h3 3)" --fail-mode secure --listen "ptcp:$of_port:127.0.0.1" \
  --listen "punix:$sock" --listen "pssl:$ssl_port:127.0.0.1" "${tls_args[@]}" \
  --controller "tcp:127.0.0.1:$ctl_port" --probe-interval 2 --mgmt "$mgmt"

echo "== show, empty flow table"
$OF show "$SW" | tee "$TB_WORK/show.txt" | head -3
grep -q "1(h1)" "$TB_WORK/show.txt" && grep -q "3(h3)" "$TB_WORK/show.txt" || tb_fail "ports missing from show"
[ "$($OF dump-flows "$SW" | grep -c cookie=)" = 0 ] || tb_fail "secure mode should start without flows"
in_ns h1 ping -c 1 -W 1 10.78.0.2 >/dev/null 2>&1 && tb_fail "ping passed without flows"

echo "== add-flows from a file, add-flow over TCP"
cat > "$TB_WORK/flows.txt" <<FLOWS
priority=100,arp,actions=NORMAL
priority=10,ip,in_port=1,actions=output:2
priority=10,ip,in_port=2,actions=output:1
FLOWS
$OF add-flows "$SW" "$TB_WORK/flows.txt" || tb_fail "add-flows"
$OF add-flow "tcp:127.0.0.1:$of_port" "table=0,priority=5,ip,in_port=3,actions=output:1" || tb_fail "add-flow over tcp"
[ "$($OF dump-flows "$SW" | grep -c cookie=)" = 4 ] || tb_fail "expected 4 flows: $($OF dump-flows "$SW")"
tb_ping h1 10.78.0.2 3

echo "== mod-flows redirects h1's traffic to h3"
$OF mod-flows "$SW" "ip,in_port=1,actions=output:3" || tb_fail "mod-flows"
got=$(sniff_count h3 4444 in_ns h1 $frames send eth0 "$(mac h2)" 10.78.0.2 4444 3)
[ "$got" = 3 ] || tb_fail "h3 saw $got of 3 redirected frames"
got=$(sniff_count h2 4444 in_ns h1 $frames send eth0 "$(mac h2)" 10.78.0.2 4444 3)
[ "$got" = 0 ] || tb_fail "h2 still saw $got frames after mod-flows"
echo "redirected: h3 got the frames, h2 none"
$OF dump-flows "$SW" "ip,in_port=1" | tee "$TB_WORK/dump.txt"
grep -q "actions=output:3" "$TB_WORK/dump.txt" || tb_fail "dump-flows does not show the modified action"
grep -Eq "n_packets=([6-9]|[1-9][0-9]+)," "$TB_WORK/dump.txt" || tb_fail "flow counters missing the 6 frames"

echo "== dump-ports, dump-tables, dump-groups"
$OF dump-ports "$SW" 1 | tee "$TB_WORK/ports.txt"
grep -Eq "rx pkts=[1-9]" "$TB_WORK/ports.txt" || tb_fail "port 1 counted no packets"
$OF dump-tables "$SW" | head -4 | tee "$TB_WORK/tables.txt"
grep -q "active=4" "$TB_WORK/tables.txt" || tb_fail "table 0 should hold 4 flows"
$OF dump-groups "$SW" || tb_fail "dump-groups"

echo "== packet-out of a frame built here, to h2"
frame="$(mac h2 | tr -d :)$(mac h1 | tr -d :)0800450000260001000040110000 0a4e00010a4e0002 15b315b300120000"
frame="${frame}6f75742d6f662d6f6f6f"  # 10 bytes of UDP payload
frame=$(echo "$frame" | tr -d ' ')
out="$TB_WORK/sniffhex"
in_ns h2 $frames sniffhex eth0 5 "${frame:0:40}" > "$out" &
pid=$!
sleep 2.5
$OF packet-out "$SW" "in_port=controller packet=$frame actions=output:2" || tb_fail "packet-out"
wait $pid
[ "$(cat "$out")" = 1 ] || tb_fail "h2 did not receive the packet-out frame ($(cat "$out"))"
echo "packet-out delivered"

echo "== monitor shows PACKET_IN for a controller flow"
$OF add-flow "$SW" "priority=200,udp,tp_dst=9999,actions=controller" || tb_fail "add controller flow"
timeout 6 $OF monitor "$SW" 65535 > "$TB_WORK/monitor.txt" 2>&1 &
mpid=$!
sleep 1.5
in_ns h1 $frames send eth0 "$(mac h2)" 10.78.0.2 9999 2
wait $mpid
grep -q "OFPT_PACKET_IN" "$TB_WORK/monitor.txt" || tb_fail "monitor saw no PACKET_IN: $(cat "$TB_WORK/monitor.txt")"
grep -m1 -A1 "OFPT_PACKET_IN" "$TB_WORK/monitor.txt"
grep -q "tp_dst=9999" "$TB_WORK/monitor.txt" || tb_fail "PACKET_IN did not carry the frame"

echo "== groups and meters driven by ovs-ofctl"
$OF add-group "$SW" "group_id=1,type=all,bucket=output:2,bucket=output:3" || tb_fail "add-group all"
$OF add-group "$SW" "group_id=2,type=ff,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3" || tb_fail "add-group ff"
$OF add-meter "$SW" "meter=1,pktps,burst,band=type=drop,rate=1,burst_size=1" || tb_fail "add-meter"
$OF add-flow "$SW" "priority=300,udp,tp_dst=6001,actions=group:1" || tb_fail "flow to group 1"
$OF add-flow "$SW" "priority=300,udp,tp_dst=6002,actions=meter:1,output:2" || tb_fail "flow through meter 1"
in_ns h3 $frames sniff eth0 5 6001 > "$TB_WORK/g3.txt" &
g3=$!
got=$(sniff_count h2 6001 in_ns h1 $frames send eth0 "$(mac h2)" 10.78.0.2 6001 2)
wait $g3
[ "$got" = 2 ] && [ "$(cat "$TB_WORK/g3.txt")" = 2 ] || tb_fail "ALL group: h2 got $got, h3 got $(cat "$TB_WORK/g3.txt") of 2"
echo "ALL group: both buckets delivered"
got=$(sniff_count h2 6002 in_ns h1 $frames send eth0 "$(mac h2)" 10.78.0.2 6002 20)
[ "$got" -ge 1 ] && [ "$got" -le 4 ] || tb_fail "meter at 1 packet/s let $got of 20 through"
echo "meter: $got of 20 frames sent within a second passed a 1 packet/s band"
$OF dump-groups "$SW" | grep -q "group_id=2,type=ff" || tb_fail "dump-groups"
$OF dump-group-stats "$SW" | grep -Eq "group_id=1.*packet_count=2" || tb_fail "group stats: $($OF dump-group-stats "$SW")"
$OF meter-stats "$SW" | grep -q "meter:1 flow_count:1" || tb_fail "meter stats: $($OF meter-stats "$SW")"
$OF del-groups "$SW" "group_id=1" || tb_fail "del-groups"
$OF dump-flows "$SW" | grep -q "group:1" && tb_fail "deleting group 1 should remove its flow"
$OF del-meters "$SW" || tb_fail "del-meters"

echo "== features, queues, port-mod, flow-removed"
$OF meter-features "$SW" | grep -q "band_types: drop dscp_remark" || tb_fail "meter-features"
$OF dump-group-features "$SW" | grep -q "Types:  0xf" || tb_fail "group-features"
$OF queue-stats "$SW" | grep -q "0 queues" || tb_fail "queue-stats"
$OF mod-table "$SW" 0 drop 2>/dev/null; true  # table-mod: accepted or refused cleanly, never a crash
$OF add-flow "$SW" "priority=300,udp,tp_dst=6003,actions=output:3" || tb_fail "flow to port 3"
$OF mod-port "$SW" 3 down || tb_fail "mod-port down"
$OF show "$SW" | grep -A1 "3(h3)" | grep -q "PORT_DOWN" || tb_fail "port 3 not shown down"
got=$(sniff_count h3 6003 in_ns h1 $frames send eth0 "$(mac h3)" 10.78.0.3 6003 2)
[ "$got" = 0 ] || tb_fail "a down port still received $got frames"
$OF mod-port "$SW" 3 up || tb_fail "mod-port up"
got=$(sniff_count h3 6003 in_ns h1 $frames send eth0 "$(mac h3)" 10.78.0.3 6003 2)
[ "$got" = 2 ] || tb_fail "port 3 back up received $got of 2 frames"
echo "mod-port: down stops output, up restores it"
timeout 5 $OF monitor "$SW" > "$TB_WORK/removed.txt" 2>&1 &
mpid=$!
sleep 0.5
$OF add-flow "$SW" "priority=300,udp,tp_dst=6004,idle_timeout=1,send_flow_rem,actions=drop" || tb_fail "timed flow"
wait $mpid
grep -q "OFPT_FLOW_REMOVED.*reason=idle" "$TB_WORK/removed.txt" || tb_fail "no FLOW_REMOVED: $(cat "$TB_WORK/removed.txt")"
grep -m1 "OFPT_FLOW_REMOVED" "$TB_WORK/removed.txt"

echo "== PORT_STATUS when a port is added and removed at run time"
timeout 8 $OF monitor "$SW" > "$TB_WORK/ports_monitor.txt" 2>&1 &
mpid=$!
sleep 1
tb_add_host h4 10.78.0.4/24
$hashictl --socket "$mgmt" add-port "$(tb_port_arg h4 4)" || tb_fail "add-port h4"
sleep 1.5
$hashictl --socket "$mgmt" del-port h4 || tb_fail "del-port h4"
wait $mpid
grep -q "OFPT_PORT_STATUS.*ADD: 4(h4)" "$TB_WORK/ports_monitor.txt" || tb_fail "no PORT_STATUS ADD: $(cat "$TB_WORK/ports_monitor.txt")"
grep -q "OFPT_PORT_STATUS.*DEL: 4(h4)" "$TB_WORK/ports_monitor.txt" || tb_fail "no PORT_STATUS DEL: $(cat "$TB_WORK/ports_monitor.txt")"
echo "PORT_STATUS ADD and DEL seen by ovs-ofctl monitor"

echo "== exact error codes (python3-openflow over a raw socket)"
$TB_PY "$here/of_errors.py" 127.0.0.1 "$of_port" | tail -3 || tb_fail "error codes"

echo "== del-flows"
$OF del-flows "$SW" || tb_fail "del-flows"
[ "$($OF dump-flows "$SW" | grep -c cookie=)" = 0 ] || tb_fail "flows left after del-flows"
in_ns h1 ping -c 1 -W 1 10.78.0.2 >/dev/null 2>&1 && tb_fail "ping passed after del-flows"

echo "== active controller: packet-in -> packet-out, then a controller restart"
for round in 1 2; do
  # Round 2 asks for buffered packet-ins and answers with the buffer id.
  $TB_PY "$here/of_controller.py" "$ctl_port" --packets 1 --timeout 25 $([ $round = 2 ] && echo --buffered) \
    > "$TB_WORK/ctl$round.txt" 2>&1 &
  cpid=$!
  # Wait until hashi's (backed-off) reconnect reaches the controller.
  for _ in $(seq 200); do grep -q barrier_reply "$TB_WORK/ctl$round.txt" && break; sleep 0.1; done
  grep -q barrier_reply "$TB_WORK/ctl$round.txt" || tb_fail "round $round: hashi did not connect to the controller"
  got=$(sniff_count h2 7777 in_ns h1 $frames send eth0 ff:ff:ff:ff:ff:ff 10.78.0.2 7777 1)
  wait $cpid || tb_fail "round $round: controller saw no packet-in: $(cat "$TB_WORK/ctl$round.txt")"
  cat "$TB_WORK/ctl$round.txt"
  [ "$got" -ge 1 ] || tb_fail "round $round: h2 did not receive the controller's packet-out"
  if [ $round = 2 ]; then
    grep -q "buffer_id=[0-9]" "$TB_WORK/ctl2.txt" || tb_fail "round 2: the packet-in was not buffered"
  fi
  echo "round $round: packet-in reached the controller, its packet-out reached h2"
done

echo "== TLS: ovs-ofctl over pssl with mutual authentication"
OFS="$OF --private-key=$pki/controller-key.pem --certificate=$pki/controller.pem --ca-cert=$pki/ca.pem"
$OFS dump-flows "ssl:127.0.0.1:$ssl_port" | grep -q "CONTROLLER" || tb_fail "dump-flows over TLS"
echo "ovs-ofctl with a certificate from our CA: accepted"
if timeout 10 $OF --private-key="$pki/stranger-key.pem" --certificate="$pki/stranger.pem" --ca-cert="$pki/ca.pem" \
    dump-flows "ssl:127.0.0.1:$ssl_port" >/dev/null 2>&1; then
  tb_fail "a certificate from another CA was accepted"
fi
for _ in $(seq 30); do grep -q "TLS handshake failed" "$TB_WORK/hashi.log" && break; sleep 0.1; done
grep -q "TLS handshake failed" "$TB_WORK/hashi.log" || tb_fail "the refused handshake was not logged"
echo "a certificate from another CA: refused"

echo "== TLS: hashi connects to a TLS controller"
$TB_PY "$here/of_controller.py" "$tls_ctl_port" --packets 1 --timeout 25 \
  --tls "$pki/controller.pem" "$pki/controller-key.pem" "$pki/ca.pem" > "$TB_WORK/ctl_tls.txt" 2>&1 &
cpid=$!
sleep 1
$hashictl --socket "$mgmt" set-controller "ssl:127.0.0.1:$tls_ctl_port" || tb_fail "set-controller ssl:"
for _ in $(seq 100); do grep -q barrier_reply "$TB_WORK/ctl_tls.txt" && break; sleep 0.1; done
grep -q "tls peer=switch" "$TB_WORK/ctl_tls.txt" || tb_fail "TLS controller did not see the switch certificate: $(cat "$TB_WORK/ctl_tls.txt")"
got=$(sniff_count h2 7777 in_ns h1 $frames send eth0 ff:ff:ff:ff:ff:ff 10.78.0.2 7777 1)
wait $cpid || tb_fail "TLS controller saw no packet-in: $(cat "$TB_WORK/ctl_tls.txt")"
[ "$got" -ge 1 ] || tb_fail "h2 did not receive the TLS controller's packet-out"
cat "$TB_WORK/ctl_tls.txt"
echo "TLS controller: packet-in and packet-out over TLS"

tb_stop_hashi
echo "PASS: openflow test ($mode)"
