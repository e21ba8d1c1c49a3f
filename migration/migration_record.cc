// Names and the end-of-migration report.
#include "migration/migration_record.h"

#include <cstdio>

#include "common/log.h"

namespace hashi::mig {

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kCheck: return "check";
    case Phase::kReserve: return "reserve";
    case Phase::kPrecopy: return "precopy";
    case Phase::kStop: return "stop";
    case Phase::kResume: return "resume";
    case Phase::kCleanup: return "cleanup";
    case Phase::kDone: return "done";
    case Phase::kRolledBack: return "rolled-back";
    case Phase::kFailed: return "failed";
  }
  return "?";
}

const char* RoleName(Role r) { return r == Role::kSource ? "source" : "destination"; }

const char* HvEventName(HvEventKind k) {
  switch (k) {
    case HvEventKind::kProgress: return "progress";
    case HvEventKind::kPaused: return "paused";
    case HvEventKind::kCompleted: return "completed";
    case HvEventKind::kResumed: return "resumed";
    case HvEventKind::kSourceResumed: return "source-resumed";
    case HvEventKind::kFailed: return "failed";
  }
  return "?";
}

namespace {

double Ms(uint64_t from_ns, uint64_t to_ns) {
  return from_ns != 0 && to_ns >= from_ns ? static_cast<double>(to_ns - from_ns) / 1e6 : -1;
}

std::string Field(const char* name, double ms) {
  char b[96];
  if (ms < 0) std::snprintf(b, sizeof b, "  %-34s -\n", name);
  else std::snprintf(b, sizeof b, "  %-34s %.1f ms\n", name, ms);
  return b;
}

}  // namespace

std::string FormatReport(const MigrationRecord& r) {
  std::string out;
  char b[256];
  std::snprintf(b, sizeof b, "migration %llu: %s %s %s: %s%s%s\n", static_cast<unsigned long long>(r.id),
                r.vm.name.c_str(), r.role == Role::kSource ? "->" : "<-", r.peer.c_str(), PhaseName(r.phase),
                r.error.empty() ? "" : ": ", r.error.c_str());
  out += b;
  // Until the VM ran at the destination; a source's forwarding pointer may
  // stay long after that.
  out += Field("total time", Ms(r.started_ns, r.moved_ns != 0 ? r.moved_ns : r.ended_ns));
  if (r.role == Role::kSource) {
    out += Field("VM downtime (paused -> resumed)", Ms(r.paused_ns, r.resumed_ns));
    // What the switch saw: from the hold until the first held packet left.
    out += Field("network blackout at the switch", Ms(r.hold_ns, r.figures.first_flush_ns));
  } else {
    out += Field("switchover (armed -> resumed here)", Ms(r.paused_ns, r.resumed_ns));
  }
  std::snprintf(b, sizeof b, "  %-34s %u passes, %.1f MB sent\n", "pre-copy", r.progress.iteration,
                static_cast<double>(r.progress.sent_bytes) / 1e6);
  out += b;
  std::snprintf(b, sizeof b,
                "  %-34s held %llu, flushed %llu, dropped %llu (expired %llu, overflow %llu), forwarded %llu\n",
                "packets at this switch", static_cast<unsigned long long>(r.figures.held),
                static_cast<unsigned long long>(r.figures.flushed),
                static_cast<unsigned long long>(r.figures.expired + r.figures.overflow),
                static_cast<unsigned long long>(r.figures.expired),
                static_cast<unsigned long long>(r.figures.overflow),
                static_cast<unsigned long long>(r.figures.forwarded));
  out += b;
  std::snprintf(b, sizeof b, "  %-34s sent %llu, refused by the VM's ring and retried %llu, dropped %llu\n",
                "the VM's port (device)", static_cast<unsigned long long>(r.figures.port_tx),
                static_cast<unsigned long long>(r.figures.port_refused),
                static_cast<unsigned long long>(r.figures.port_dropped));
  out += b;
  if (r.follow) out += "  driven by an orchestrator; this switch followed the VM's events\n";
  if (r.role == Role::kDestination) {
    std::snprintf(b, sizeof b, "  %-34s %llu\n", "announcement rounds", static_cast<unsigned long long>(r.announce_rounds));
    out += b;
  }
  return out;
}

void MigrationSide::Enter(Phase p, uint64_t now_ns, const std::string& what) {
  rec_.phase = p;
  Note(now_ns, std::string(PhaseName(p)) + ": " + what);
  HASHI_LOG_INFO("migration", "%llu %s %s %s: %s: %s", static_cast<unsigned long long>(rec_.id), rec_.vm.name.c_str(),
                 rec_.role == Role::kSource ? "->" : "<-", rec_.peer.c_str(), PhaseName(p), what.c_str());
}

}  // namespace hashi::mig
