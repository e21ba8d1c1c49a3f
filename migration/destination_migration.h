// DestinationMigration: the destination host's side of receiving one VM, a
// state machine on the same six steps as SourceMigration, made when a
// Prepare arrives and driven on the control thread.
//
//   Reserve  a Reserved port for the VM (room, a tunnel back to the source)
//            and the hypervisor ready to receive  -> Reserved (the URI), or
//            Refused and nothing kept
//   Precopy  progress from the source, for show
//   Stop     SwitchoverArmed: the VM is paused at the source -> Ack
//   Resume   the hypervisor reports the VM running here -> the port is
//            Local (packets wait in its hold ring until the device takes
//            them), Resumed to the source (resent until Commit), and the VM
//            is announced: gratuitous ARP/RARP rounds at growing intervals
//   Cleanup  Commit -> Ack; the announcement rounds finish -> Done
//
// Rollback before Resume (the source's Abort, or the source lost before the
// switchover): the hypervisor drops the incoming VM and the Reserved port
// goes. After the switchover the VM may arrive even without the source, so
// a lost source is waited for until the switchover timeout.
#pragma once

#include <memory>

#include "migration/hypervisor.h"
#include "migration/migration_record.h"
#include "migration/source_migration.h"
#include "migration/switch_side.h"

namespace hashi::mig {

class DestinationMigration : public MigrationSide {
 public:
  DestinationMigration(const PeerMessage& prepare, std::string peer, std::unique_ptr<Hypervisor> hv,
                       SwitchSide& sw, PeerSend send, const MigrationSettings& settings);

  // Step 2: reserves and answers Reserved or Refused.
  void Start(uint64_t now_ns) override;
  void OnMessage(const PeerMessage& m, uint64_t now_ns) override;
  void OnPeerLost(uint64_t now_ns) override;
  // Hypervisor events, resends, announcement rounds, timeouts.
  void Poll(uint64_t now_ns) override;

 private:
  void OnVmResumed(uint64_t now_ns);
  void RollBack(uint64_t now_ns, const std::string& why);
  void Reply(MsgType t, uint64_t now_ns, MsgType acked = MsgType::kAbort);
  void Finish(uint64_t now_ns, Phase end);

  uint32_t source_ip_;
  std::unique_ptr<Hypervisor> hv_;
  SwitchSide& sw_;
  PeerSend send_;
  MigrationSettings settings_;
  std::string incoming_uri_;
  bool reserved_ = false;
  bool committed_ = false;
  uint64_t deadline_ns_ = 0;
  uint64_t last_sent_ns_ = 0;
  uint64_t next_announce_ns_ = 0;
  uint32_t announce_gap_ms_ = 0;
};

}  // namespace hashi::mig
