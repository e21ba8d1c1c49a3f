// QemuBackend: the Hypervisor interface over QEMU's QMP (QEMU 7.2 names).
//
// Source: `migrate` with the `events` capability and the downtime and
// bandwidth limits. kPaused is reported at STOP: from then on the
// vhost-user queues are stopped, and the port holds what they refuse
// (SwitchSide::HoldOnRefusal), so hearing of STOP a few milliseconds late
// loses nothing. With pause_before_switchover, QEMU also waits in state
// `pre-switchover` until Continue() sends `migrate-continue`; every
// millisecond there is downtime (here STOP to RESUME took 61 ms with the
// pause, 4 ms without: docs/adr/0006-migration-switchover.md), so it is
// off by default. Progress comes from MIGRATION_PASS and `query-migrate`
// (pass, RAM sent and remaining, dirty rate); `completed` is kCompleted;
// `failed` is kFailed with QEMU's reason; after Cancel() (`migrate_cancel`)
// QEMU restarts the VM and RESUME is kSourceResumed.
//
// Destination: QEMU started with `-incoming defer` and the VM's vhost-user
// device (it waits for hashi's device to connect before QMP answers), then
// `migrate-incoming` on the URI; RESUME is kResumed. CancelIncoming() tells
// that QEMU to quit: it was started only to receive this VM.
//
// Follow mode (`hashictl migration follow`, an orchestrator such as libvirt
// or Nova drives the migration over its own monitor): hashi's QMP socket is
// a second monitor, and nothing is commanded. The source reports kPaused at
// STOP, or at once when the VM is already stopped (paused at
// pre-switchover, where libvirt calls its hooks); kCompleted and kFailed
// come from `query-migrate`, polled, since the orchestrator may not enable
// MIGRATION events; RESUME after a failure is kSourceResumed. Continue and
// Cancel are the orchestrator's. The destination sends no migrate-incoming
// and never quits QEMU; RESUME (or a VM found already running) is kResumed.
#pragma once

#include <memory>
#include <string>

#include "migration/hypervisor.h"
#include "migration/qmp_client.h"

namespace hashi::mig {

struct QemuOptions {
  std::string qmp_path;      // this VM's QMP socket on this host
  std::string incoming_uri;  // destination: where QEMU listens (tcp:IP:PORT, unix:PATH)
  int connect_timeout_ms = 10000;
  uint32_t progress_interval_ms = 200;
  bool pause_before_switchover = false;
  bool follow = false;  // an orchestrator drives the migration: watch, command nothing
};

class QemuBackend : public Hypervisor {
 public:
  explicit QemuBackend(QemuOptions options) : options_(std::move(options)) {}

  std::string kind() const override { return "qemu"; }
  Status CheckSource() override;
  Result<std::string> PrepareIncoming(const VmIdentity& vm) override;
  Status Start(const std::string& uri, const MigrationLimits& limits) override;
  Status Continue() override;
  Status Cancel() override;
  void CancelIncoming() override;
  std::vector<HvEvent> Poll() override;

 private:
  Status Connect();
  void OnEvent(const QmpEvent& e, std::vector<HvEvent>& out);
  // query-migrate as a progress event (and the failure reason, if any).
  HvEvent Progress(std::string* error = nullptr, std::string* status = nullptr);
  // Follow mode: where the orchestrator's migration stands now, as events.
  void FollowState(std::vector<HvEvent>& out);

  QemuOptions options_;
  std::unique_ptr<QmpClient> qmp_;
  bool source_ = false;
  bool migrating_ = false;
  bool paused_reported_ = false;
  bool in_pre_switchover_ = false;
  bool continue_pending_ = false;
  bool cancelled_ = false;
  bool closed_reported_ = false;
  uint32_t pass_ = 0;
  uint64_t last_progress_ns_ = 0;
  std::vector<HvEvent> pending_;  // found by a command, reported by the next Poll()
};

}  // namespace hashi::mig
