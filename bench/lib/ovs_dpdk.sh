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

# ovs_boot: ovsdb-server and ovs-vswitchd-dpdk (in namespace hb_ovs), no bridges.
ovs_boot() {
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
}

# ovs_start IN_DEVARGS OUT_DEVARGS: br0 with port 1 (in) and port 2 (out).
ovs_start() {
  ovs_boot || return 1
  vsctl add-br br0 -- set bridge br0 datapath_type=netdev
  vsctl add-port br0 in -- set Interface in type=dpdk "options:dpdk-devargs=$1" ofport_request=1
  vsctl add-port br0 out -- set Interface out type=dpdk "options:dpdk-devargs=$2" ofport_request=2
}

# ovs_start_gre encap|decap PCAP_DEVARGS NULL_DEVARGS: native userspace GRE.
# br-phy (MAC 02:00:00:00:00:01, address 10.1.0.1/24 on its internal port)
# holds the underlay port "wan"; br-int holds "vm" (port 2) and gre0 (port 10:
# remote_ip=10.1.0.2, key=77, neighbour 02:00:00:00:00:fe). encap: packets
# enter on vm (the pcap) and leave through gre0 and wan (net_null); decap: GRE
# enters on wan (the pcap) and leaves on vm (net_null).
ovs_start_gre() {
  local mode=$1 pcap=$2 null=$3 wan vm
  ovs_boot || return 1
  if [ "$mode" = encap ]; then wan=$null; vm=$pcap; else wan=$pcap; vm=$null; fi
  vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev other-config:hwaddr=02:00:00:00:00:01
  vsctl add-port br-phy wan -- set Interface wan type=dpdk "options:dpdk-devargs=$wan" ofport_request=1
  ip netns exec hb_ovs ip addr add 10.1.0.1/24 dev br-phy
  ip netns exec hb_ovs ip link set br-phy up
  vsctl add-br br-int -- set bridge br-int datapath_type=netdev
  vsctl add-port br-int vm -- set Interface vm type=dpdk "options:dpdk-devargs=$vm" ofport_request=2
  vsctl add-port br-int gre0 -- set Interface gre0 type=gre options:remote_ip=10.1.0.2 options:key=77 \
    ofport_request=10
  local ctl="ovs-appctl -t $ovs_dir/ovs-vswitchd.ctl"
  $ctl tnl/arp/set br-phy 10.1.0.2 02:00:00:00:00:fe >/dev/null
  $ctl fdb/add br-phy wan 0 02:00:00:00:00:fe >/dev/null
  ovs-ofctl del-flows br-int
  if [ "$mode" = encap ]; then
    ovs-ofctl add-flow br-int in_port=2,actions=output:10
  else
    ovs-ofctl add-flow br-int in_port=10,actions=output:2
  fi
}
