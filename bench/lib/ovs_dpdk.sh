# A private OVS-DPDK 3.1 instance for the benchmarks (shared/TESTBEDS.md):
# its own ovsdb and run directory under $ovs_dir, ovs-vswitchd-dpdk in the
# network namespace hb_ovs, the DPDK main lcore on core 0 and one PMD on
# core 1, bridge br0 with datapath_type=netdev and two ports.
# Source it after setting ovs_dir; needs openvswitch-switch-dpdk.
ovs_env() { export OVS_RUNDIR=$ovs_dir OVS_LOGDIR=$ovs_dir OVS_DBDIR=$ovs_dir OVS_DB=unix:$ovs_dir/db.sock; }
vsctl() { ovs-vsctl --db=unix:$ovs_dir/db.sock "$@"; }
ovs_available() { [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; }

ovs_stop() {
  [ -d "$ovs_dir" ] || return 0
  ovs_env
  ovs-appctl -t "$ovs_dir/ovs-vswitchd.ctl" exit >/dev/null 2>&1 || true
  [ -f "$ovs_dir/vswitchd.pid" ] && kill "$(cat "$ovs_dir/vswitchd.pid")" 2>/dev/null
  [ -f "$ovs_dir/ovsdb.pid" ] && kill "$(cat "$ovs_dir/ovsdb.pid")" 2>/dev/null
  sleep 1
  ip netns del hb_ovs 2>/dev/null
  rm -rf "$ovs_dir"
}

# ovs_start IN_DEVARGS OUT_DEVARGS: br0 with port 1 (in) and port 2 (out).
ovs_start() {
  ovs_stop
  mkdir -p "$ovs_dir"
  ovs_env
  ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --remote=punix:$ovs_dir/db.sock --pidfile=$ovs_dir/ovsdb.pid --detach \
    --log-file=$ovs_dir/ovsdb.log "$ovs_dir/conf.db" || return 1
  vsctl --no-wait init
  vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
    other_config:pmd-cpu-mask=0x2 "other_config:dpdk-extra=--file-prefix=hb_ovs_$$ --no-pci" \
    other_config:dpdk-socket-mem=1536
  ip netns add hb_ovs
  ip netns exec hb_ovs /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk unix:$ovs_dir/db.sock \
    --pidfile=$ovs_dir/vswitchd.pid --detach --log-file=$ovs_dir/vswitchd.log \
    --unixctl=$ovs_dir/ovs-vswitchd.ctl || return 1
  vsctl add-br br0 -- set bridge br0 datapath_type=netdev
  vsctl add-port br0 in -- set Interface in type=dpdk "options:dpdk-devargs=$1" ofport_request=1
  vsctl add-port br0 out -- set Interface out type=dpdk "options:dpdk-devargs=$2" ofport_request=2
}
