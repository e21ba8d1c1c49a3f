// XenTracker: domain samples and xl's exit to hypervisor events.
#include "migration/xen_tracker.h"

namespace hashi::mig {

void XenTracker::MigrateExited(int status, const std::string& last_words) {
  migrating_ = false;
  if (status == 0) {
    pending_.push_back(HvEvent{HvEventKind::kCompleted});
    return;
  }
  failed_ = true;
  HvEvent e{HvEventKind::kFailed};
  e.reason = "xl migrate exited with status " + std::to_string(status) + (last_words.empty() ? "" : ": " + last_words);
  pending_.push_back(e);
}

std::vector<HvEvent> XenTracker::Sample(const std::vector<XenDomain>& domains) {
  std::vector<HvEvent> out;
  out.swap(pending_);
  const XenDomain* vm = nullptr;
  const XenDomain* incoming = nullptr;
  for (const XenDomain& d : domains) {
    if (d.name == vm_) vm = &d;
    if (d.name == vm_ + "--incoming") incoming = &d;
  }
  if (destination_) {
    if (incoming != nullptr) incoming_seen_ = true;
    if (!resumed_reported_ && vm != nullptr && vm->running && incoming_seen_) {
      resumed_reported_ = true;
      out.push_back(HvEvent{HvEventKind::kResumed});
    } else if (!resumed_reported_ && !failed_ && incoming_seen_ && incoming == nullptr &&
               (vm == nullptr || !vm->running) && (vm == nullptr || !vm->suspended)) {
      // The receiving domain went away and no VM runs: the transfer failed.
      if (vm == nullptr) {
        failed_ = true;
        HvEvent e{HvEventKind::kFailed};
        e.reason = "the incoming domain " + vm_ + "--incoming disappeared";
        out.push_back(e);
      }
    }
    return out;
  }
  if (!paused_reported_ && migrating_ && vm != nullptr && vm->suspended) {
    paused_reported_ = true;
    out.push_back(HvEvent{HvEventKind::kPaused});
  }
  if (failed_ && paused_reported_ && vm != nullptr && vm->running) {
    paused_reported_ = false;  // report it once
    out.push_back(HvEvent{HvEventKind::kSourceResumed});
  }
  return out;
}

}  // namespace hashi::mig
