# Two hosts on different LANs, for the tunnel tests (and the GRE demo):
#
#   vmA -- [host hA: a switch] --wanA-- router rt --wanB-- [host hB: a switch] -- vmB
#          10.1.0.1/24              10.1.0.254 | 10.2.0.254              10.2.0.1/24
#
# Each host is a namespace holding its switch's two veths: "vm" (to the VM
# namespace, whose eth0 has 10.0.0.1 or .2/24, MTU 1400 so GRE fits the
# 1500-byte underlay) and "wan" (to the router namespace, which forwards
# between the two subnets: the hosts really are on different L3 networks).
# Source it, call ut_init, then ut_topology. ut_cleanup runs on exit.
# Needs root, iproute2, ethtool and /usr/bin/python3.

UT_ID=$$
UT_WORK=""
declare -A UT_PID=()
UT_PY=/usr/bin/python3
source "$(dirname "${BASH_SOURCE[0]}")/net_checks.sh"

ut_skip() { echo "SKIPPED: $*" >&2; exit 77; }
ut_fail() {
  echo "FAIL: $*" >&2
  for h in "${!UT_PID[@]}"; do
    [ -f "$UT_WORK/$h.log" ] && { echo "--- $h log:" >&2; grep -v " INFO " "$UT_WORK/$h.log" | tail -20 >&2; }
  done
  exit 1
}
ut_ns() { echo "$1-$UT_ID"; }   # namespace of hA, hB, vmA, vmB, rt

ut_init() {
  [ "$(id -u)" = 0 ] || ut_skip "needs root for namespaces and af_packet"
  command -v ethtool >/dev/null || ut_skip "ethtool missing"
  UT_WORK=$(mktemp -d)
  trap ut_cleanup EXIT
}

ut_cleanup() {
  for h in "${!UT_PID[@]}"; do
    kill "${UT_PID[$h]}" 2>/dev/null
    wait "${UT_PID[$h]}" 2>/dev/null
  done
  UT_PID=()
  [ -n "${UT_EXTRA_CLEANUP:-}" ] && $UT_EXTRA_CLEANUP
  for n in hA hB vmA vmB rt; do ip netns del "$(ut_ns $n)" 2>/dev/null; done
  [ -n "$UT_WORK" ] && [ -z "${UT_WORK_KEEP:-}" ] && rm -rf "$UT_WORK"
  true
}

ut_topology() {
  local n
  for n in hA hB vmA vmB rt; do ip netns add "$(ut_ns $n)" || ut_fail "ip netns add"; done
  local rt; rt=$(ut_ns rt)
  for side in A B; do
    local h vm net
    h=$(ut_ns h$side); vm=$(ut_ns vm$side)
    [ $side = A ] && net=1 || net=2
    ip link add wan netns "$h" type veth peer name wan$side netns "$rt" || ut_fail "veth wan$side"
    ip link add vm netns "$h" type veth peer name eth0 netns "$vm" || ut_fail "veth vm$side"
    ip -n "$rt" addr add 10.$net.0.254/24 dev wan$side
    ip -n "$rt" link set wan$side up
    for i in wan vm lo; do ip -n "$h" link set $i up; done
    ip netns exec "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$vm" addr add 10.0.0.$net/24 dev eth0
    ip -n "$vm" link set eth0 mtu 1400
    ip -n "$vm" link set eth0 up
    ip -n "$vm" link set lo up
    # veth hands CHECKSUM_PARTIAL frames to packet sockets: make the VM finish them.
    ip netns exec "$vm" ethtool -K eth0 tx off >/dev/null
  done
  ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1
}

# ut_hashi_args SIDE(A|B) KEY: the daemon options of host SIDE's hashi.
ut_hashi_args() {
  local side=$1 key=$2 net other
  [ "$side" = A ] && { net=1; other=2; } || { net=2; other=1; }
  echo "--port vm:1:net_af_packet_vm${side}_$UT_ID,iface=vm,qpairs=1" \
       "--uplink wan:10.$net.0.1/24:net_af_packet_wan${side}_$UT_ID,iface=wan,qpairs=1" \
       "--route default:10.$net.0.254" \
       "--tunnel gre0:10:remote_ip=10.$other.0.1,key=$key"
}

# ut_start_hashi SIDE BIN LCORES MAIN_LCORE ARGS...: hashi in host SIDE's namespace
# (UT_EAL_EXTRA: more EAL arguments, e.g. --log-level=lib.vhost.config:debug).
ut_start_hashi() {
  local side=$1 bin=$2 lcores=$3 main=$4
  shift 4
  : > "$UT_WORK/h$side.log"  # a restarted host must not find the last one's "running"
  ip netns exec "$(ut_ns h$side)" "$bin" -l "$lcores" --main-lcore "$main" --file-prefix="hashi_${side}_$UT_ID" \
    --no-pci --no-huge -m 512 ${UT_EAL_EXTRA:-} --log-level='*:warning' -- "$@" --mgmt "$UT_WORK/$side.ctl" \
    > "$UT_WORK/h$side.log" 2>&1 &
  UT_PID[h$side]=$!
  for _ in $(seq 100); do
    grep -q "hashi: running" "$UT_WORK/h$side.log" 2>/dev/null && return 0
    kill -0 "${UT_PID[h$side]}" 2>/dev/null || ut_fail "hashi on h$side exited at start-up"
    sleep 0.1
  done
  ut_fail "hashi on h$side did not start"
}

# ut_stop_hashi SIDE: SIGINT, wait, require exit 0 and no leaked mbufs.
ut_stop_hashi() {
  local pid=${UT_PID[h$1]} rc=0
  kill -INT "$pid"
  wait "$pid" || rc=$?
  unset "UT_PID[h$1]"
  grep '^hashi: final \(port\|packets\)' "$UT_WORK/h$1.log"
  grep -q "mbufs_in_use_at_exit=0" "$UT_WORK/h$1.log" || ut_fail "hashi on h$1 leaked mbufs"
  [ "$rc" = 0 ] || ut_fail "hashi on h$1 exited with $rc"
}

# ut_ctl SIDE ARGS...: hashictl against host SIDE's hashi.
ut_ctl() { local side=$1; shift; "$UT_HASHICTL" --socket "$UT_WORK/$side.ctl" "$@"; }

# ut_ping FROM_NS TO_IP COUNT: fails unless every echo is answered.
ut_ping() { local r; r=$(nc_ping "$(ut_ns "$1")" "$1" "$2" "$3") || ut_fail "$r"; echo "$r"; }

# ut_no_ping FROM_NS TO_IP: fails if any of 3 echoes is answered.
ut_no_ping() {
  if ip netns exec "$(ut_ns "$1")" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; then
    ut_fail "ping $2 from $1 answered, but should be isolated"
  fi
  echo "ping $1 -> $2: isolated, as expected"
}

# ut_tcp FROM_NS TO_NS TO_IP BYTES: a TCP transfer checked by SHA-256.
ut_tcp() {
  local r
  r=$(nc_tcp "$(ut_ns "$1")" "$(ut_ns "$2")" "$3" "$4" "$UT_WORK" "$1 -> $2") || ut_fail "$r"
  echo "$r"
}

# ut_capture_gre IFACE_IN_RT: starts tshark on the router's link (GRE only,
# 20 packets, outer addresses and key) into $UT_WORK/wan.txt; ut_check_gre
# waits for it and checks the keys and both directions.
ut_capture_gre() {
  ip netns exec "$(ut_ns rt)" timeout 40 tshark -i "$1" -f "ip proto 47" -c 20 -T fields \
    -e ip.src -e ip.dst -e gre.key -E occurrence=f > "$UT_WORK/wan.txt" 2>"$UT_WORK/tshark.err" &
  UT_TSHARK=$!
  for _ in $(seq 50); do grep -q "Capturing on" "$UT_WORK/tshark.err" && break; sleep 0.1; done
}

# ut_check_gre KEY: the capture holds GRE with KEY only, 10.1.0.1 <-> 10.2.0.1 both ways.
ut_check_gre() {
  wait "$UT_TSHARK"
  echo "captured on the WAN: $(sort "$UT_WORK/wan.txt" | uniq -c | tr '\n' ';')"
  $UT_PY - "$UT_WORK/wan.txt" "$1" <<'PY' || ut_fail "the WAN link does not show GRE with key $1 both ways"
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l.strip()]
assert len(rows) >= 10, rows
assert {int(r[2], 0) for r in rows} == {int(sys.argv[2])}, rows
assert {(r[0], r[1]) for r in rows} == {("10.1.0.1", "10.2.0.1"), ("10.2.0.1", "10.1.0.1")}, rows
PY
}

# ut_json_get SIDE COMMAND PYTHON_EXPR: evaluates EXPR on `hashictl --json COMMAND`'s data (d).
ut_json_get() {
  local side=$1 cmd=$2 expr=$3
  ut_ctl "$side" --json $cmd | $UT_PY -c "import json,sys; d=json.load(sys.stdin); print($expr)"
}

# OVS-DPDK 3.1 (Debian's openvswitch-switch-dpdk) as host SIDE's switch, with
# native userspace GRE: br-phy holds the uplink "wan" and, on its internal
# port, the underlay address; br-int holds "vm" and the gre0 port. OVS always
# runs EAL with --in-memory, which --no-huge cannot join: it needs 512
# hugepages (1 GiB). Its PMD runs on core 0.
UT_OVS=""
ut_ovs_available() { [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; }
ut_hugepages_free() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }
ut_vsctl() { ovs-vsctl --db="unix:$UT_OVS/db.sock" --timeout=20 "$@"; }
ut_appctl() { ovs-appctl -t "$UT_OVS/ovs-vswitchd.ctl" "$@"; }

# ut_start_ovs SIDE KEY
ut_start_ovs() {
  local side=$1 key=$2 net other h
  [ "$side" = A ] && { net=1; other=2; } || { net=2; other=1; }
  h=$(ut_ns h$side)
  UT_OVS=$UT_WORK/ovs
  mkdir -p "$UT_OVS"
  export OVS_RUNDIR=$UT_OVS OVS_LOGDIR=$UT_OVS OVS_DBDIR=$UT_OVS
  ovsdb-tool create "$UT_OVS/conf.db" /usr/share/openvswitch/vswitch.ovsschema || ut_fail "ovsdb-tool"
  ovsdb-server --remote="punix:$UT_OVS/db.sock" --pidfile="$UT_OVS/ovsdb.pid" --detach \
    --log-file="$UT_OVS/ovsdb.log" "$UT_OVS/conf.db" || ut_fail "ovsdb-server"
  UT_EXTRA_CLEANUP=ut_stop_ovs
  ut_vsctl --no-wait init
  ut_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
    other_config:pmd-cpu-mask=0x1 other_config:dpdk-socket-mem=1024 \
    "other_config:dpdk-extra=--file-prefix=ovs_$UT_ID --no-pci"
  ip netns exec "$h" /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk "unix:$UT_OVS/db.sock" \
    --pidfile="$UT_OVS/vswitchd.pid" --detach --log-file="$UT_OVS/vswitchd.log" \
    --unixctl="$UT_OVS/ovs-vswitchd.ctl" 2>"$UT_OVS/vswitchd.stderr" || ut_fail "ovs-vswitchd did not start: $(tail -5 "$UT_OVS/vswitchd.log")"
  ut_vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev || ut_fail "add-br br-phy"
  ut_vsctl add-port br-phy wan -- set Interface wan type=dpdk \
    "options:dpdk-devargs=net_af_packet_wan${side}_$UT_ID,iface=wan,qpairs=1" || ut_fail "OVS uplink port"
  ip -n "$h" addr add "10.$net.0.1/24" dev br-phy
  ip -n "$h" link set br-phy up
  ip -n "$h" route add default via "10.$net.0.254"
  ut_vsctl add-br br-int -- set bridge br-int datapath_type=netdev || ut_fail "add-br br-int"
  ut_vsctl add-port br-int vm -- set Interface vm type=dpdk \
    "options:dpdk-devargs=net_af_packet_vm${side}_$UT_ID,iface=vm,qpairs=1" || ut_fail "OVS vm port"
  ut_vsctl add-port br-int gre0 -- set Interface gre0 type=gre "options:remote_ip=10.$other.0.1" \
    "options:key=$key" || ut_fail "OVS gre port"
  for _ in $(seq 100); do
    ut_appctl ovs/route/show 2>/dev/null | grep -q "10.$net.0.0/24" && return 0
    sleep 0.1
  done
  ut_fail "OVS has no underlay route: $(ut_appctl ovs/route/show 2>&1)"
}

ut_stop_ovs() {
  [ -n "$UT_OVS" ] || return 0
  ut_appctl exit >/dev/null 2>&1 || true
  [ -f "$UT_OVS/vswitchd.pid" ] && kill "$(cat "$UT_OVS/vswitchd.pid")" 2>/dev/null
  [ -f "$UT_OVS/ovsdb.pid" ] && kill "$(cat "$UT_OVS/ovsdb.pid")" 2>/dev/null
  UT_OVS=""
}
