# Shared by the demo and the namespace integration tests: hosts as network
# namespaces joined by veth pairs to hashi ports (net_af_packet), a hashi
# process, ping and TCP transfers between hosts, and cleanup. Source it, then
# call tb_init first; tb_cleanup runs on exit.
# Needs root, iproute2, ethtool and /usr/bin/python3.

source "$(dirname "${BASH_SOURCE[0]}")/net_checks.sh"
TB_PY=/usr/bin/python3
TB_ID=$$
TB_HOSTS=()
TB_WORK=""
TB_PID=""
TB_PREFIX=""

# Exit 77 (meson: skipped, printed as such) when a test cannot run here.
tb_skip() { echo "SKIPPED: $*" >&2; exit 77; }
# tb_require MODE: root, ethtool, and free hugepages when MODE is --hugepages.
tb_require() {
  [ "$(id -u)" = 0 ] || tb_skip "needs root for namespaces and af_packet"
  command -v ethtool >/dev/null || tb_skip "ethtool missing (apt-get install ethtool)"
  if [ "$1" = --hugepages ]; then
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    [ "${free:-0}" -ge 256 ] || tb_skip "fewer than 256 free hugepages (run scripts/hugepages.sh)"
  fi
}

tb_fail() { echo "FAIL: $*" >&2; [ -f "$TB_WORK/hashi.log" ] && grep -v " INFO " "$TB_WORK/hashi.log" | tail -30 >&2; exit 1; }

tb_init() {
  TB_WORK=$(mktemp -d)
  TB_PREFIX=hashi_$TB_ID
  trap tb_cleanup EXIT
}

tb_cleanup() {
  if [ -n "$TB_PID" ]; then kill "$TB_PID" 2>/dev/null; wait "$TB_PID" 2>/dev/null; fi
  TB_PID=""
  for h in "${TB_HOSTS[@]}"; do
    ip netns del "$h-$TB_ID" 2>/dev/null
    ip link del "sw-$h-$TB_ID" 2>/dev/null
  done
  [ -n "$TB_WORK" ] && rm -rf "$TB_WORK"
  true
}

tb_ns() { echo "$1-$TB_ID"; }            # namespace of host $1
tb_swif() { echo "sw-$1-$TB_ID" | cut -c1-15; }  # switch-side veth of host $1

# tb_add_host NAME IP/PREFIX: a namespace with eth0 whose peer hashi will own.
tb_add_host() {
  local name=$1 addr=$2 ns sw
  ns=$(tb_ns "$name"); sw=$(tb_swif "$name")
  ip netns add "$ns" || tb_fail "ip netns add $ns"
  TB_HOSTS+=("$name")
  ip link add "$sw" type veth peer name eth0 netns "$ns" || tb_fail "veth for $name"
  ip netns exec "$ns" ip addr add "$addr" dev eth0
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip link set lo up
  # veth hands CHECKSUM_PARTIAL frames to packet sockets: make the host finish them.
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
  sysctl -qw "net.ipv6.conf.$sw.disable_ipv6=1"
  ip link set "$sw" up
}

# tb_port_arg NAME OFPORT: the --port value for host NAME's veth.
tb_port_arg() {
  echo "$1:$2:net_af_packet_$1_$TB_ID,iface=$(tb_swif "$1"),qpairs=1"
}

# tb_start_hashi HASHI_BIN MEM_MODE(--no-huge|--hugepages) APP_ARGS...
tb_start_hashi() {
  local bin=$1 mode=$2
  shift 2
  local mem=(--no-huge -m 512)
  [ "$mode" = --hugepages ] && mem=(--in-memory)
  local extra=()
  [[ " $* " == *" --mgmt "* ]] || extra=(--mgmt "$TB_WORK/hashi.ctl")  # never the system-wide socket
  "$bin" -l 0,1 --main-lcore 0 --file-prefix="$TB_PREFIX" --no-pci "${mem[@]}" \
    --log-level='*:warning' -- "$@" "${extra[@]}" > "$TB_WORK/hashi.log" 2>&1 &
  TB_PID=$!
  for _ in $(seq 100); do
    grep -q "hashi: running" "$TB_WORK/hashi.log" && return 0
    kill -0 "$TB_PID" 2>/dev/null || tb_fail "hashi exited at start-up"
    sleep 0.1
  done
  tb_fail "hashi did not start"
}

# tb_stop_hashi: SIGINT, wait, require exit 0 and no leaked mbufs.
tb_stop_hashi() {
  kill -INT "$TB_PID"
  local rc=0
  wait "$TB_PID" || rc=$?
  TB_PID=""
  grep '^hashi:' "$TB_WORK/hashi.log"
  grep -q "mbufs_in_use_at_exit=0" "$TB_WORK/hashi.log" || tb_fail "mbufs leaked at shutdown"
  [ "$rc" = 0 ] || tb_fail "hashi exited with $rc"
}

# tb_ping FROM_HOST TO_IP COUNT: fails unless every echo is answered.
tb_ping() { local r; r=$(nc_ping "$(tb_ns "$1")" "$1" "$2" "$3") || tb_fail "$r"; echo "$r"; }

# tb_tcp FROM_HOST TO_HOST TO_IP BYTES: a TCP transfer checked by SHA-256.
tb_tcp() {
  local r
  r=$(nc_tcp "$(tb_ns "$1")" "$(tb_ns "$2")" "$3" "$4" "$TB_WORK" "$1 -> $2") || tb_fail "$r"
  echo "$r"
}

# tb_telemetry COMMAND: the JSON reply of the running hashi.
tb_telemetry() {
  $TB_PY "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration/telemetry_client.py" "$TB_PREFIX" "$1"
}
