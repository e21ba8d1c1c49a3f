# QEMU guests for the migration tests and benchmarks (source it after
# underlay_testbed.sh): the tiny guest of scripts/build_guest.sh under TCG,
# attached through vhost-user (QEMU is the socket's server; hashi connects as
# client=1), with its memory in a shared memfd (no hugepages), INTx instead
# of MSI-X (vectors=0: QEMU 7.2 under TCG crashes without it), QMP on a unix
# socket and the serial console in a file. See shared/TESTBEDS.md.
# QG_ANNOUNCE (default off): whether QEMU makes the guest driver announce
# itself after a migration (guest_announce); hashi announces the VM from the
# switch instead, the baseline of the benchmarks relies on the guest.
# QG_SWITCH_QMP (default none): a second QMP monitor for the switch, beside
# the orchestrator's (as an operator adds one to a libvirt domain), with
# {name} replaced by the guest's NAME.
#
#   qg_start NAME SOCK QMP SERIAL MEM_MB [incoming] [KERNEL_ARGS...]
#   qg_wait_ready SERIAL SECONDS      the guest's agent is up
#   qg_beats SERIAL                   heartbeats so far (a frozen guest stops)

QG_DIR=""
declare -A QG_PID=()

qg_available() { [ -x /usr/bin/qemu-system-x86_64 ]; }

# qg_build: builds (or finds) the guest; sets QG_DIR.
qg_build() {
  QG_DIR=$("$(dirname "${BASH_SOURCE[0]}")/../build_guest.sh") || ut_fail "building the test guest failed"
}

qg_start() {
  local name=$1 sock=$2 qmp=$3 serial=$4 mem=$5 incoming=""
  shift 5
  if [ "${1:-}" = incoming ]; then incoming="-incoming defer"; shift; fi
  local second=""
  [ -n "${QG_SWITCH_QMP:-}" ] && second="-qmp unix:${QG_SWITCH_QMP//\{name\}/$name},server=on,wait=off"
  # shellcheck disable=SC2086
  /usr/bin/qemu-system-x86_64 -accel tcg -m "$mem" -smp 1 -nodefaults -display none -no-reboot \
    -kernel "$QG_DIR/vmlinuz" -initrd "$QG_DIR/initramfs.cpio.gz" \
    -append "console=ttyS0 no_timer_check quiet $*" \
    -object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem \
    -chardev "socket,id=c0,path=$sock,server=on,wait=off" -netdev vhost-user,id=n0,chardev=c0 \
    -device "virtio-net-pci,netdev=n0,mac=02:00:00:00:00:02,vectors=0,guest_announce=${QG_ANNOUNCE:-off}" \
    -qmp "unix:$qmp,server=on,wait=off" $second -serial "file:$serial" $incoming \
    > "$serial.qemu" 2>&1 &
  QG_PID[$name]=$!
  for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
  ut_fail "QEMU $name did not open its vhost-user socket: $(cat "$serial.qemu")"
}

qg_stop_all() {
  for n in "${!QG_PID[@]}"; do kill "${QG_PID[$n]}" 2>/dev/null; wait "${QG_PID[$n]}" 2>/dev/null; done
  QG_PID=()
}

qg_wait_ready() {
  local serial=$1 secs=$2
  for _ in $(seq $((secs * 10))); do
    grep -q "hashi-guest-agent ready" "$serial" 2>/dev/null && return 0
    sleep 0.1
  done
  ut_fail "the guest did not come up in ${secs}s: $(tail -5 "$serial" 2>/dev/null)"
}

qg_beats() { local n; n=$(grep -c "^beat " "$1" 2>/dev/null) || true; echo "${n:-0}"; }
# qg_guest_drops SERIAL: the guest kernel's own UDP drops at its last heartbeat.
qg_guest_drops() { awk '/^beat .*udp_guest_drops/ {d = $NF} END {print d + 0}' "$1" 2>/dev/null; }
