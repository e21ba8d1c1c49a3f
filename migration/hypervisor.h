// Hypervisor: the small interface the migration coordinator drives a
// hypervisor through, one object per VM migration and per side. Backends:
// QEMU over QMP (qemu_backend.h), Xen through libxenctrl/libxenguest and
// xenstore (xen_backend.h), and the scripted fake the state-machine tests
// use. Calls return at once; what happens later arrives as events from
// Poll(), which the coordinator calls on the control thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "migration/peer_protocol.h"

namespace hashi::mig {

struct MigrationLimits {
  uint32_t downtime_limit_ms = 300;   // the hypervisor's stop-and-copy target
  uint64_t max_bandwidth_bps = 0;     // 0: the hypervisor's default
};

enum class HvEventKind {
  kProgress,       // source: one pre-copy pass (or a progress report within one)
  kPaused,         // source: the VM is stopped at the switchover point; Continue() goes on
  kCompleted,      // source: the VM's state has been handed over
  kResumed,        // destination: the VM runs here
  kSourceResumed,  // source: after Cancel(), the VM runs here again
  kFailed,         // either side: the migration failed (reason)
};
const char* HvEventName(HvEventKind k);

struct HvEvent {
  HvEventKind kind;
  uint32_t iteration = 0;
  uint64_t sent_bytes = 0;
  uint64_t remaining_bytes = 0;
  uint64_t dirty_rate_bps = 0;
  std::string reason;
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  virtual std::string kind() const = 0;
  // Step 1, source: the VM runs here and can be migrated.
  virtual Status CheckSource() = 0;
  // Step 2, destination: be ready to receive vm; returns the URI the source
  // streams the VM to.
  virtual Result<std::string> PrepareIncoming(const VmIdentity& vm) = 0;
  // Step 3, source: starts pre-copy to uri. A backend that can stops at the
  // switchover point (kPaused) and waits for Continue().
  virtual Status Start(const std::string& uri, const MigrationLimits& limits) = 0;
  // Step 4, source: after kPaused, finish (the rest of stop-and-copy).
  virtual Status Continue() = 0;
  // Rollback, source: stop migrating; the VM runs here (kSourceResumed once
  // it does again, if it had stopped).
  virtual Status Cancel() = 0;
  // Rollback, destination: give up the incoming VM.
  virtual void CancelIncoming() = 0;
  // Events since the last call, oldest first.
  virtual std::vector<HvEvent> Poll() = 0;
};

}  // namespace hashi::mig
