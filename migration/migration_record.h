// MigrationRecord: what one migration is and was, on one side: its phase on
// the seed paper's six steps, its timeline, its pre-copy progress, and the
// figures of its hold queue, for `hashictl migration show` and the report
// `hashictl migrate` prints. Also the settings a migration runs under.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "migration/hypervisor.h"
#include "migration/peer_protocol.h"
#include "migration/switch_side.h"

namespace hashi::mig {

struct AnnounceSettings {
  uint32_t rounds = 5;       // QEMU's announce defaults
  uint32_t initial_ms = 50;  // after the VM resumes
  uint32_t step_ms = 100;    // each gap grows by this much
  uint32_t max_ms = 550;     // up to this gap
};

struct MigrationSettings {
  uint32_t reserve_timeout_ms = 5000;       // prepare -> reserved
  uint32_t precopy_timeout_ms = 600000;     // start -> the VM paused
  uint32_t switchover_timeout_ms = 10000;   // paused -> resumed at the destination
  uint32_t retry_ms = 500;                  // resend an unanswered message
  uint32_t quiet_ms = 5000;                 // forwarding pointer: removed after this long unused
  uint32_t settle_ms = 500;                 // move detached after this long with nothing held
  AnnounceSettings announce;
  MigrationLimits limits;
  // An orchestrator drives the hypervisors; the switches follow its events
  // (hashictl migration follow).
  bool follow = false;
};

enum class Role : uint8_t { kSource, kDestination };

// The seed paper's six steps, then the ends.
enum class Phase : uint8_t {
  kCheck,      // 1. check requirements
  kReserve,    // 2. reserve at the destination
  kPrecopy,    // 3. iterative pre-copy
  kStop,       // 4. stop the VM at the source (held)
  kResume,     // 5. resume at the destination, update the network
  kCleanup,    // 6. clean up the source (forwarding pointer)
  kDone,
  kRolledBack,  // the VM runs at the source, nothing lost
  kFailed,      // refused or broken; error says why
};
const char* PhaseName(Phase p);
const char* RoleName(Role r);
inline bool Finished(Phase p) { return p == Phase::kDone || p == Phase::kRolledBack || p == Phase::kFailed; }

struct TimelineEntry {
  uint64_t at_ns;  // monotonic
  std::string what;
};

struct MigrationRecord {
  uint64_t id = 0;
  Role role = Role::kSource;
  VmIdentity vm;
  std::string peer;
  Phase phase = Phase::kCheck;
  std::string error;
  uint64_t started_ns = 0, ended_ns = 0;
  uint64_t paused_ns = 0;       // source: the VM stopped; destination: switchover armed
  uint64_t resumed_ns = 0;      // source: Resumed received; destination: the VM runs here
  uint64_t hold_ns = 0;         // the port started holding (source)
  uint64_t moved_ns = 0;        // the VM runs at the destination (source: Resumed received)
  HvEvent progress{HvEventKind::kProgress};
  MoveFigures figures;
  uint64_t announce_rounds = 0;
  bool follow = false;          // driven by an orchestrator, followed by hashi
  std::vector<TimelineEntry> timeline;
};

// The report `hashictl migrate` prints at the end (several lines).
std::string FormatReport(const MigrationRecord& r);

// MigrationSide: one side of one migration as the manager drives it (the
// source's and the destination's state machines), on the control thread;
// every call takes the time.
class MigrationSide {
 public:
  virtual ~MigrationSide() = default;
  virtual void Start(uint64_t now_ns) = 0;
  virtual void OnMessage(const PeerMessage& m, uint64_t now_ns) = 0;
  // The connection to the peer broke.
  virtual void OnPeerLost(uint64_t now_ns) = 0;
  // Hypervisor events, resends, timers.
  virtual void Poll(uint64_t now_ns) = 0;

  bool finished() const { return Finished(rec_.phase); }
  const MigrationRecord& record() const { return rec_; }

 protected:
  // Enters phase p: timeline and log.
  void Enter(Phase p, uint64_t now_ns, const std::string& what);
  void Note(uint64_t now_ns, const std::string& what) { rec_.timeline.push_back({now_ns, what}); }

  MigrationRecord rec_;
};

}  // namespace hashi::mig
