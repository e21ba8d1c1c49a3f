// The migration options of the hashi daemon (after "--", or as config-file
// lines "KEY VALUE"): the VMs this host runs, the peers it migrates to, the
// hypervisor backend, the hold queue's bounds and the coordinator's timers.
//
//   --vm NAME,ofport=N,mac=MAC[,ip=A.B.C.D]...[,memory=MB]
//   --peer NAME,endpoint=tcp:IP[:PORT]|ssl:...|unix:PATH,tunnel=OFPORT
//   --migration-listen ptcp:[PORT][:IP]|pssl:...|punix:PATH
//   --hypervisor qemu|xen
//   --qmp-path TEMPLATE          QEMU's QMP socket of a VM ({vm})
//   --qemu-switchover stop|pause hold at STOP (default), or also make QEMU
//                                wait in pre-switchover (migrate-continue)
//   --migration-incoming URI     where an incoming VM is received ({vm}, {port})
//   --vm-devargs TEMPLATE        device of an incoming VM ({vm}, {ofport})
//   --hold-packets N, --hold-ms MS, --forward-quiet-ms MS, --settle-ms MS,
//   --announce-rounds N, --announce-initial-ms MS, --announce-step-ms MS,
//   --switchover-timeout-ms MS, --downtime-limit-ms MS
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "migration/migration_record.h"
#include "migration/peer_protocol.h"

namespace hashi::mig {

struct PeerSpec {
  std::string name;
  std::string endpoint;
  uint32_t tunnel_ofport = 0;  // the tunnel port that reaches the peer's host
};

struct MigrationOptions {
  std::vector<VmIdentity> vms;
  std::vector<PeerSpec> peers;
  std::string listen;
  std::string hypervisor = "qemu";
  std::string qmp_path = "/run/hashi/{vm}.qmp";
  bool qemu_pause_before_switchover = false;
  std::string incoming;
  std::string vm_devargs = "net_vhost_{vm},iface=/run/hashi/{vm}.sock,client=1";
  uint32_t hold_packets = 4096;
  uint32_t hold_ms = 2000;
  MigrationSettings settings;
  bool enabled() const { return !vms.empty() || !peers.empty() || !listen.empty(); }
};

Result<VmIdentity> ParseVmSpec(const std::string& text);
Result<PeerSpec> ParsePeerSpec(const std::string& text);
// Whether key (without "--") is a migration option.
bool IsMigrationOption(const std::string& key);
Status ApplyMigrationOption(const std::string& key, const std::string& value, MigrationOptions& o);
const char* MigrationUsage();

}  // namespace hashi::mig
