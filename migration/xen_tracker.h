// XenTracker: what the Xen backend concludes from watching domains, kept
// apart from the Xen calls so the state-machine tests exercise it without a
// Xen host. The backend (xen_backend.h) feeds it samples of the domains
// (from libxl: id, name, running, paused, shut down and why) and the state
// of the `xl migrate` it runs, and passes on the events it returns.
//
// `xl migrate` (libxl 4.17) offers no precopy policy or suspend hook to its
// callers, so the source follows it from outside (shared/TESTBEDS.md):
//   the domain shut down with reason "suspend"   -> kPaused (hold now)
//   `xl migrate` exits 0                          -> kCompleted
//   it exits otherwise                            -> kFailed (its last words)
//   the domain runs again after that              -> kSourceResumed
// and the destination watches the receiving domain:
//   NAME--incoming appears, then NAME runs        -> kResumed
//   NAME--incoming goes and NAME does not run     -> kFailed
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "migration/hypervisor.h"

namespace hashi::mig {

struct XenDomain {
  uint32_t domid = 0;
  std::string name;
  bool running = false;   // not paused, not shut down, not dying
  bool suspended = false; // shut down with reason suspend
};

class XenTracker {
 public:
  XenTracker(std::string vm, bool destination) : vm_(std::move(vm)), destination_(destination) {}

  // The source started `xl migrate` (or it ended: exit status and its
  // last stderr line).
  void MigrateStarted() { migrating_ = true; }
  void MigrateExited(int status, const std::string& last_words);
  // One look at the domains; returns the events it implies.
  std::vector<HvEvent> Sample(const std::vector<XenDomain>& domains);

 private:
  std::vector<HvEvent> pending_;
  std::string vm_;
  bool destination_;
  bool migrating_ = false;
  bool paused_reported_ = false;
  bool failed_ = false;
  bool incoming_seen_ = false;
  bool resumed_reported_ = false;
};

}  // namespace hashi::mig
