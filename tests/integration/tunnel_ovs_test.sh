#!/usr/bin/env bash
# GRE interop with a real peer (issue 4): host A runs hashi, host B runs
# OVS-DPDK 3.1 with native userspace tunnelling (type=gre), on the same two-LAN
# topology as tunnel_test.sh. Checks ping and TCP both ways between the VMs,
# key 77 on the WAN link in both directions, and that a key mismatch (OVS set
# to 78) isolates the VMs in both directions, hashi counting the foreign key
# as tunnel_unknown, until the keys match again.
# Usage: tunnel_ovs_test.sh HASHI HASHICTL
set -uo pipefail
hashi=$(readlink -f "$1")
UT_HASHICTL=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/underlay_testbed.sh"

ut_init
ut_ovs_available || ut_skip "OVS-DPDK missing (apt-get install openvswitch-switch-dpdk)"
command -v tshark >/dev/null || ut_skip "tshark missing (apt-get install tshark)"
[ "$(ut_hugepages_free)" -ge 512 ] || ut_skip "OVS-DPDK needs 512 free hugepages (scripts/hugepages.sh)"
ut_topology
# shellcheck disable=SC2046
ut_start_hashi A "$hashi" 0,1 0 $(ut_hashi_args A 77)
ut_start_ovs B 77

echo "== hashi <-> OVS-DPDK over GRE key 77"
ut_capture_gre wanA
ut_ping vmA 10.0.0.2 5
ut_ping vmB 10.0.0.1 5
ut_check_gre 77
ut_tcp vmA vmB 10.0.0.2 4194304
ut_tcp vmB vmA 10.0.0.1 4194304
echo "OVS datapath flows: $(ut_appctl dpctl/dump-flows 2>/dev/null | grep -o 'tnl_pop\|tnl_push' | sort | uniq -c | tr '\n' ' ')"

echo "== keys that differ isolate the VMs both ways"
ut_vsctl set Interface gre0 options:key=78 || ut_fail "set key"
sleep 0.5
before=$(ut_json_get A stats "d['drops'].get('tunnel_unknown', 0)")
ut_no_ping vmA 10.0.0.2
ut_no_ping vmB 10.0.0.1
after=$(ut_json_get A stats "d['drops'].get('tunnel_unknown', 0)")
[ "$after" -gt "$before" ] || ut_fail "hashi did not count OVS's key-78 packets as tunnel_unknown"
echo "hashi dropped $((after - before)) packets with key 78 as tunnel_unknown"
ut_vsctl set Interface gre0 options:key=77 || ut_fail "restore key"
sleep 0.5
ut_ping vmA 10.0.0.2 3
ut_ping vmB 10.0.0.1 3

ut_stop_hashi A
echo "PASS: tunnel interop with OVS-DPDK"
