#!/usr/bin/env bash
# Two hashi hosts on different LANs joined by a GRE tunnel (issue 4): each
# host is a namespace with its own hashi (its own --file-prefix), an uplink
# on a veth "WAN" link to a router namespace that routes between 10.1.0.0/24
# and 10.2.0.0/24, and a VM namespace on 10.0.0.0/24. Checks: ping to each
# host's underlay address (hashi answers ARP and ICMP itself), ping and TCP
# between the VMs through the tunnel, GRE with the configured key on the WAN
# link (tshark), packets held while ARP resolves and sent when it answers,
# a wrong key isolating the VMs (counted as tunnel_unknown), the tunnel port
# in OpenFlow's port description (ovs-ofctl), bad settings refused, and clean
# shutdowns with no leaked mbufs.
# Usage: tunnel_test.sh HASHI HASHICTL
set -uo pipefail
hashi=$(readlink -f "$1")
UT_HASHICTL=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/underlay_testbed.sh"

ut_init
command -v tshark >/dev/null || ut_skip "tshark missing (apt-get install tshark)"
ut_topology
# shellcheck disable=SC2046
ut_start_hashi A "$hashi" 0,1 0 $(ut_hashi_args A 77) --listen ptcp:6653:127.0.0.1
# shellcheck disable=SC2046
ut_start_hashi B "$hashi" 0,1 1 $(ut_hashi_args B 77)

echo "== the underlay: hashi answers ARP and ping for its own address"
ut_ping rt 10.1.0.1 3
ut_ping rt 10.2.0.1 3

echo "== VM to VM through the tunnel, with GRE key 77 on the WAN"
ut_capture_gre wanA
ut_ping vmA 10.0.0.2 5
ut_ping vmB 10.0.0.1 5
ut_check_gre 77
ut_tcp vmA vmB 10.0.0.2 4194304
ut_tcp vmB vmA 10.0.0.1 4194304

echo "== OpenFlow sees the tunnel as port 10; hashictl shows it resolved"
ut_ctl A show | grep -E "tunnel|uplink|route|neighbor|underlay"
[ "$(ut_json_get A dump-tunnels "d[0]['resolved'], d[0]['next_hop'], d[0]['tx_packets'] > 0")" = \
  "True 10.1.0.254 True" ] || ut_fail "tunnel on A not resolved through 10.1.0.254"
[ "$(ut_json_get A dump-ports "[p['name'] for p in d]")" = "['vm', 'gre0']" ] || ut_fail "dump-ports lacks gre0"
desc=$(ip netns exec "$(ut_ns hA)" ovs-ofctl -O OpenFlow13 dump-ports-desc tcp:127.0.0.1:6653) ||
  ut_fail "ovs-ofctl dump-ports-desc failed"
echo "$desc" | grep -q "^ 10(gre0): addr:" || ut_fail "OpenFlow port-desc lacks the tunnel port: $desc"
echo "$desc" | grep -q "^ 1(vm): addr:" || ut_fail "OpenFlow port-desc lacks the vm port: $desc"
echo "OpenFlow port-desc: $(echo "$desc" | grep -o '^ [0-9]*([a-z0-9]*)' | tr -d ' ' | tr '\n' ' ')"

echo "== packets sent while ARP resolves are held, then delivered"
ip -n "$(ut_ns rt)" link set wanA down    # the router cannot answer ARP now
ut_ctl A del-neighbor 10.1.0.254 || ut_fail "del-neighbor"
ip netns exec "$(ut_ns vmA)" ping -c 1 -W 8 10.0.0.2 > "$UT_WORK/held_ping.txt" 2>&1 &
ping_pid=$!
sleep 0.7
held=$(ut_json_get A show "d['underlay']['held_now']")
[ "$held" -ge 1 ] || ut_fail "nothing held while the next hop was unresolved (held_now=$held)"
ip -n "$(ut_ns rt)" link set wanA up
wait $ping_pid || ut_fail "the held ping was lost: $(cat "$UT_WORK/held_ping.txt")"
echo "held ping: $(grep -o 'time=[0-9.]* ms' "$UT_WORK/held_ping.txt") ($held packet(s) held)"
[ "$(ut_json_get A show "d['underlay']['held_sent'] >= 1 and d['underlay']['held_dropped'] == 0")" = True ] ||
  ut_fail "held packets not sent: $(ut_json_get A show "d['underlay']")"

echo "== a wrong key isolates the VMs"
ut_ctl A del-tunnel gre0 || ut_fail "del-tunnel"
ut_ctl A add-tunnel gre0 10 remote_ip=10.2.0.1,key=78 || ut_fail "add-tunnel"
before=$(ut_json_get B stats "d['drops'].get('tunnel_unknown', 0)")
ut_no_ping vmA 10.0.0.2
after=$(ut_json_get B stats "d['drops'].get('tunnel_unknown', 0)")
[ "$after" -gt "$before" ] || ut_fail "B did not count the wrong-key packets as tunnel_unknown"
echo "B dropped $((after - before)) packets with key 78 as tunnel_unknown"
ut_ctl A del-tunnel gre0 && ut_ctl A add-tunnel gre0 10 remote_ip=10.2.0.1,key=77 || ut_fail "restore tunnel"
ut_ping vmA 10.0.0.2 3

echo "== bad tunnel settings are refused, nothing else changes"
ut_ctl A add-tunnel bad 11 remote_ip=10.2.0.1,key=77 && ut_fail "a duplicate (remote, key) tunnel was accepted"
ut_ctl A add-tunnel bad 11 remote_ip=10.2.0.300 && ut_fail "a bad address was accepted"
ut_ctl A add-tunnel bad 1 remote_ip=10.2.0.9 && ut_fail "a used OpenFlow port was accepted"
ut_ctl A add-route 10.9.0.0/16 192.168.1.1 && ut_fail "a route via an unreachable gateway was accepted"
ut_ping vmA 10.0.0.2 2

ut_stop_hashi A
ut_stop_hashi B
echo "PASS: tunnel test"
