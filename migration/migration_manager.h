// MigrationManager: the migration coordinator on the control thread. It
// knows the VMs this host runs and the peers they can move to, starts a
// SourceMigration for `hashictl migrate`, makes a DestinationMigration when
// a peer's Prepare arrives, routes peer messages and lost connections to
// them by migration id, polls them and the PortMover, and keeps the records
// of past migrations for `hashictl migration show`. A VM that arrives here
// becomes one of this host's VMs (so it can move on or back); one that left
// is forgotten.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "control/port_manager.h"
#include "dataplane/datapath.h"
#include "migration/destination_migration.h"
#include "migration/migration_config.h"
#include "migration/peer_link.h"
#include "migration/port_mover.h"
#include "migration/source_migration.h"

namespace hashi::mig {

class MigrationManager : public PeerLink::Sink {
 public:
  // Makes the backend for one side of one migration (follow: an
  // orchestrator drives it, the backend only watches).
  using HypervisorFactory = std::function<Result<std::unique_ptr<Hypervisor>>(const VmIdentity& vm, bool incoming,
                                                                               uint64_t id, bool follow)>;

  MigrationManager(dp::Datapath& datapath, ctl::PortManager& ports, PortMover::Inject inject,
                   MigrationOptions options, std::shared_ptr<of::TlsContext> tls = nullptr);
  ~MigrationManager() override;

  // Listens for peers (if configured) and checks the configured VMs.
  Status Start();
  void set_hypervisor_factory(HypervisorFactory f) { factory_ = std::move(f); }

  Status AddVm(const VmIdentity& vm);
  Status DeleteVm(const std::string& name);
  std::vector<VmIdentity> Vms() const;
  const std::vector<PeerSpec>& peers() const { return options_.peers; }

  // Starts moving vm to peer; the id to follow it with. follow: someone
  // else (libvirt, Nova, any QMP client) drives the hypervisors, and this
  // switch and the peer's only follow the VM's events: hold, forward,
  // announce (hashictl migration follow).
  Result<uint64_t> Migrate(const std::string& vm, const std::string& peer, const MigrationLimits& limits,
                           bool follow = false);
  // Peer traffic, hypervisor events, timers, the port mover.
  void Poll(uint64_t now_ns);
  // Active migrations, then past ones, newest first.
  std::vector<MigrationRecord> Records() const;
  Result<MigrationRecord> Record(uint64_t id) const;
  // Ends every connection (the migrations in flight are abandoned).
  void Shutdown();

  void OnPeerMessage(PeerLink::ConnId conn, const PeerMessage& m) override;
  void OnPeerClosed(PeerLink::ConnId conn, const std::string& reason) override;

 private:
  struct Active {
    std::unique_ptr<MigrationSide> side;
    PeerLink::ConnId conn = 0;
    std::string peer_endpoint;  // source: where to reconnect ("" for a destination)
    const MigrationRecord& record() const { return side->record(); }
    bool source() const { return !peer_endpoint.empty(); }
  };
  Result<std::unique_ptr<Hypervisor>> DefaultHypervisor(const VmIdentity& vm, bool incoming, uint64_t id,
                                                        bool follow);
  // Sends on the migration's connection, reconnecting a source's if it broke.
  bool SendFor(uint64_t id, const PeerMessage& m);
  void Retire(uint64_t id);

  dp::Datapath& datapath_;
  ctl::PortManager& ports_;
  MigrationOptions options_;
  PortMover mover_;
  PeerLink link_;
  HypervisorFactory factory_;
  std::map<std::string, VmIdentity> vms_;
  std::map<uint64_t, Active> active_;
  std::deque<MigrationRecord> history_;
  uint64_t now_ns_ = 0;
};

}  // namespace hashi::mig
