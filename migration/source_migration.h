// SourceMigration: the source host's side of moving one VM away, a state
// machine on the seed paper's six steps, driven on the control thread by
// peer messages, hypervisor events and time (every method takes "now").
//
//   Check    the VM's port is Local here, the tunnel to the peer is up, the
//            hypervisor can migrate it                   -> Prepare to peer
//   Reserve  waits for Reserved (the incoming URI)       -> hypervisor Start;
//            the port's packets go through its hold ring from now on, so
//            any the VM's stopped queues refuse wait instead of dropping
//   Precopy  forwards progress; when the VM stops        -> Hold the port,
//            SwitchoverArmed to peer, hypervisor Continue
//   Stop     ... until the hypervisor has handed the VM over
//   Resume   waits for Resumed (the VM runs at the peer) -> Remote binding:
//            held packets, then newer ones, go into the tunnel; Commit
//   Cleanup  the forwarding pointer stays until it carries nothing for
//            quiet_ms (and Commit is acknowledged)       -> port removed
//
// Rollback from every phase before Resume (peer refused, lost or silent,
// hypervisor failure, a timeout, or the peer's Abort): the hypervisor
// cancels, the port goes back to Local with what it held delivered here, in
// order, and the peer is told to Abort; the VM keeps running here.
// Once the hypervisor has handed the VM over it cannot come back: if the
// peer then never confirms, the migration fails with the port Local again
// and an error saying the VM may be paused at both ends.
#pragma once

#include <functional>
#include <memory>

#include "migration/hypervisor.h"
#include "migration/migration_record.h"
#include "migration/switch_side.h"

namespace hashi::mig {

// Sends a message to the peer; false when it could not be queued (no
// connection): the caller retries or times out.
using PeerSend = std::function<bool(const PeerMessage&)>;

class SourceMigration : public MigrationSide {
 public:
  SourceMigration(uint64_t id, VmIdentity vm, std::string peer, uint32_t tunnel_ofport, uint32_t local_ip,
                  std::unique_ptr<Hypervisor> hv, SwitchSide& sw, PeerSend send, const MigrationSettings& settings);

  // Steps 1 and 2: checks, then asks the peer to reserve.
  void Start(uint64_t now_ns) override;
  void OnMessage(const PeerMessage& m, uint64_t now_ns) override;
  // The connection to the peer broke.
  void OnPeerLost(uint64_t now_ns) override;
  // Hypervisor events, resends, timeouts, the forwarding pointer's quiet time.
  void Poll(uint64_t now_ns) override;

 private:
  // The hypervisor's events since the last look, while the migration runs.
  void TakeHypervisorEvents(uint64_t now_ns);
  void OnHypervisor(const HvEvent& e, uint64_t now_ns);
  void OnPaused(uint64_t now_ns);
  void OnResumed(const PeerMessage& m, uint64_t now_ns);
  // Ends in RolledBack (or Failed when the VM was already handed over).
  void RollBack(uint64_t now_ns, const std::string& why);
  void Fail(uint64_t now_ns, const std::string& why);
  void Send(MsgType t, uint64_t now_ns);
  void Finish(uint64_t now_ns, Phase end);

  uint32_t tunnel_ofport_;
  uint32_t local_ip_;
  std::unique_ptr<Hypervisor> hv_;
  SwitchSide& sw_;
  PeerSend send_;
  MigrationSettings settings_;
  std::string incoming_uri_;
  uint64_t deadline_ns_ = 0;       // the current phase's timeout
  bool held_ = false;              // the port holds (or sends through its hold ring)
  bool handed_over_ = false;       // the hypervisor reported kCompleted
  bool armed_acked_ = false;
  bool commit_acked_ = false;
  uint64_t last_sent_ns_ = 0;      // of the message waiting for an answer
  uint64_t forwarded_ = 0;         // forwarding pointer's count at last change
  uint64_t forwarded_at_ns_ = 0;
};

}  // namespace hashi::mig
