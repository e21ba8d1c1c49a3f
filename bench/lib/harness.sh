# The whole-switch forwarding harness shared by the benchmarks
# (shared/TESTBEDS.md): one process, main lcore on core 0, one forwarding lcore
# on core 1, net_pcap infinite_rx in, net_null out, the rate read once a second
# from a transmit counter (bench/measure.py). Source it after setting root,
# warmup and windows, then call hb_prepare.

# hb_options ARGS: -r REPS -f "FLOW COUNTS" -s "SYSTEMS" -w WARMUP_S -n WINDOWS
# over the caller's defaults (reps, flows_list, systems, warmup, windows).
hb_options() {
  local o OPTIND=1
  while getopts "r:f:s:w:n:" o; do
    case $o in
      r) reps=$OPTARG ;; f) flows_list=$OPTARG ;; s) systems=$OPTARG ;;
      w) warmup=$OPTARG ;; n) windows=$OPTARG ;; *) exit 2 ;;
    esac
  done
}

# hb_prepare: needs root; builds hashi (build-bench) unless $HASHI names one;
# reserves hugepages and picks the EAL memory options (mem, memname); makes
# the scratch directory (work).
hb_prepare() {
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
  hashi=${HASHI:-$root/build-bench/apps/hashi}
  if [ ! -x "$hashi" ]; then
    bash "$root/scripts/build.sh" build-bench --buildtype=release -Dtests=false >/dev/null || exit 1
  fi
  bash "$root/scripts/hugepages.sh" 1536 >/dev/null
  local free
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  if [ "${free:-0}" -ge 700 ]; then mem=(--in-memory); memname=hugepages; else mem=(--no-huge -m 3072); memname=no-huge; fi
  work=$(mktemp -d)
}

# hb_testpmd PCAP: dpdk-testpmd --forward-mode=io, the ceiling of this harness.
hb_testpmd() {
  local p=hb_tp_$$
  # testpmd exits when its stdin closes: hold it open with a fifo.
  rm -f "$work/stdin"; mkfifo "$work/stdin"
  sleep 3600 > "$work/stdin" &
  local keeper=$!
  dpdk-testpmd -l 0,1 --main-lcore 0 --file-prefix=$p --no-pci "${mem[@]}" \
    --vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" --vdev net_null0,no-rx=1 --log-level='*:error' -- \
    --forward-mode=io --auto-start --total-num-mbufs=262144 --nb-cores=1 < "$work/stdin" > "$work/tp.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do [ -S /var/run/dpdk/$p/dpdk_telemetry.v2 ] && break; sleep 0.1; done
  /usr/bin/python3 "$root/bench/measure.py" --telemetry $p 1 "$warmup" "$windows"
  kill -INT $pid; kill $keeper; wait $pid $keeper 2>/dev/null
}

# hb_hashi DPDK_PORT ARGS...: hashi with ARGS, measuring DPDK port DPDK_PORT's
# transmit rate; keeps the TSC rate from hashi's start-up line in
# $work/tsc_hz (callers run this in a subshell).
hb_hashi() {
  local p=hb_hs_$$ port=$1
  shift
  "$hashi" -l 0,1 --main-lcore 0 --file-prefix=$p --no-pci "${mem[@]}" --log-level='*:error' -- \
    --mbufs 262144 --mgmt none "$@" > "$work/hs.log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q "hashi: running" "$work/hs.log" && break; sleep 0.1; done
  grep -o 'tsc_hz=[0-9]*' "$work/hs.log" | cut -d= -f2 > "$work/tsc_hz"
  /usr/bin/python3 "$root/bench/measure.py" --telemetry $p "$port" "$warmup" "$windows"
  kill -INT $pid; wait $pid 2>/dev/null
}

# hb_ovs_rate BRIDGE PORT: OVS's transmit rate on PORT, from OpenFlow port
# stats (they come straight from the netdev; OVSDB's lag by 5 s).
hb_ovs_rate() {
  /usr/bin/python3 "$root/bench/measure.py" --command \
    "ovs-ofctl dump-ports $1 $2 | grep -o 'tx pkts=[0-9]*' | cut -d= -f2" "$warmup" "$windows"
}

# hb_csv_header, hb_record REP FLOWS SYSTEM "MEDIAN MIN MAX": the CSV ($csv)
# and a progress line (a failed run records zeros).
hb_csv_header() { echo "rep,flows,system,mpps,min_mpps,max_mpps" > "$csv"; }
hb_record() {
  local r=${4:-0 0 0}
  echo "$1,$2,$3,${r// /,}" >> "$csv"
  echo "rep $1 flows $2 $3: $r Mpps (median min max)"
}

# hb_tsc_hz: the TSC rate hashi reported (else the CPU clock from /proc/cpuinfo).
hb_tsc_hz() {
  if [ -s "$work/tsc_hz" ]; then cat "$work/tsc_hz"; else awk '/cpu MHz/ {printf "%d", $4 * 1e6; exit}' /proc/cpuinfo; fi
}

# hb_summary CSV TSC_HZ MEM_NAME: medians per (flows, system), cycles per
# packet and the ratio to testpmd of the same repetition and input.
hb_summary() {
  /usr/bin/python3 - "$@" <<'PY'
import collections, csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
hz, mem = float(sys.argv[2]), sys.argv[3]
base = {(r["rep"], r["flows"]): float(r["mpps"]) for r in rows if r["system"] == "testpmd"}
by = collections.defaultdict(list)
for r in rows:
    by[(int(r["flows"]), r["system"])].append(r)
print(f"\nmedians over repetitions ({mem}, TSC {hz/1e9:.2f} GHz):")
print("%-8s %-13s %9s %9s %11s %12s" % ("flows", "system", "Mpps", "worst 1s", "cyc/pkt", "x testpmd"))
for (flows, system), rs in sorted(by.items()):
    mpps = statistics.median(float(r["mpps"]) for r in rs)
    worst = min(float(r["min_mpps"]) for r in rs)
    ratios = [float(r["mpps"]) / base[(r["rep"], r["flows"])] for r in rs if base.get((r["rep"], r["flows"]))]
    ratio = "%.3f" % statistics.median(ratios) if ratios else "-"
    cyc = "%.0f" % (hz / (mpps * 1e6)) if mpps > 0 else "-"
    print("%-8d %-13s %9.2f %9.2f %11s %12s" % (flows, system, mpps, worst, cyc, ratio))
PY
}
