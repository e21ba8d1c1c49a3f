// SourceMigration: transitions, rollback and the forwarding pointer's end.
#include "migration/source_migration.h"

#include "common/log.h"

namespace hashi::mig {

namespace {

constexpr uint64_t kMs = 1000000;

bool Before(Phase a, Phase b) { return static_cast<uint8_t>(a) < static_cast<uint8_t>(b); }

}  // namespace

SourceMigration::SourceMigration(uint64_t id, VmIdentity vm, std::string peer, uint32_t tunnel_ofport,
                                 uint32_t local_ip, std::unique_ptr<Hypervisor> hv, SwitchSide& sw, PeerSend send,
                                 const MigrationSettings& settings)
    : tunnel_ofport_(tunnel_ofport), local_ip_(local_ip), hv_(std::move(hv)), sw_(sw), send_(std::move(send)),
      settings_(settings) {
  rec_.id = id;
  rec_.role = Role::kSource;
  rec_.vm = std::move(vm);
  rec_.peer = std::move(peer);
  rec_.follow = settings_.follow;
}

void SourceMigration::Send(MsgType t, uint64_t now_ns) {
  PeerMessage m;
  m.type = t;
  m.migration_id = rec_.id;
  switch (t) {
    case MsgType::kPrepare:
      m.vm = rec_.vm;
      m.source_ip = local_ip_;
      m.follow = settings_.follow;
      break;
    case MsgType::kPrecopyProgress:
      m.iteration = rec_.progress.iteration;
      m.sent_bytes = rec_.progress.sent_bytes;
      m.remaining_bytes = rec_.progress.remaining_bytes;
      m.dirty_rate_bps = rec_.progress.dirty_rate_bps;
      break;
    case MsgType::kAbort:
      m.reason = rec_.error;
      break;
    default:
      break;
  }
  if (t != MsgType::kPrecopyProgress) last_sent_ns_ = now_ns;
  (void)send_(m);  // not connected: the resend or the timeout deals with it
}

void SourceMigration::Start(uint64_t now_ns) {
  rec_.started_ns = now_ns;
  Enter(Phase::kCheck, now_ns, "checking");
  if (Status s = sw_.CheckSource(rec_.vm, tunnel_ofport_); !s.ok()) return Fail(now_ns, s.message());
  if (Status s = hv_->CheckSource(); !s.ok()) return Fail(now_ns, hv_->kind() + ": " + s.message());
  Enter(Phase::kReserve, now_ns, "asking " + rec_.peer + " to reserve");
  deadline_ns_ = now_ns + settings_.reserve_timeout_ms * kMs;
  Send(MsgType::kPrepare, now_ns);
}

void SourceMigration::OnMessage(const PeerMessage& m, uint64_t now_ns) {
  if (finished()) return;
  switch (m.type) {
    case MsgType::kReserved:
      if (rec_.phase != Phase::kReserve) return;  // a repeated answer
      incoming_uri_ = m.incoming_uri;
      if (Status s = hv_->Start(incoming_uri_, settings_.limits); !s.ok()) {
        return RollBack(now_ns, hv_->kind() + ": " + s.message());
      }
      Enter(Phase::kPrecopy, now_ns, settings_.follow ? "reserved; following the orchestrator's pre-copy"
                                                      : "reserved; pre-copy to " + incoming_uri_);
      deadline_ns_ = now_ns + settings_.precopy_timeout_ms * kMs;
      if (Status s = sw_.HoldOnRefusal(rec_.vm.ofport); !s.ok()) return RollBack(now_ns, "guarding the port: " + s.message());
      held_ = true;  // from now on a rollback binds the port Local again
      // What the hypervisor already knows (a followed VM may be paused at
      // its switchover already), before anyone reads this phase.
      return TakeHypervisorEvents(now_ns);
    case MsgType::kRefused:
      if (rec_.phase == Phase::kReserve) return Fail(now_ns, rec_.peer + " refused: " + m.reason);
      return RollBack(now_ns, rec_.peer + " refused: " + m.reason);
    case MsgType::kAck:
      if (m.acked == MsgType::kSwitchoverArmed) armed_acked_ = true;
      if (m.acked == MsgType::kCommit) commit_acked_ = true;
      return;
    case MsgType::kResumed:
      return OnResumed(m, now_ns);
    case MsgType::kAbort:
      return RollBack(now_ns, rec_.peer + " aborted: " + m.reason);
    default:
      return;  // not a message a source acts on
  }
}

void SourceMigration::OnPeerLost(uint64_t now_ns) {
  if (finished()) return;
  Note(now_ns, "connection to " + rec_.peer + " lost");
  // Until the VM is handed over, the peer is needed: roll back at once, so
  // held packets are delivered here well inside the hold limits. After the
  // handover the VM may already run there: wait for a reconnect (timeout).
  if (Before(rec_.phase, Phase::kCleanup) && !handed_over_) RollBack(now_ns, "connection to " + rec_.peer + " lost");
}

void SourceMigration::TakeHypervisorEvents(uint64_t now_ns) {
  for (const HvEvent& e : hv_->Poll()) {
    if (finished()) return;
    OnHypervisor(e, now_ns);
  }
}

void SourceMigration::Poll(uint64_t now_ns) {
  TakeHypervisorEvents(now_ns);
  if (finished()) return;
  const bool resend = now_ns - last_sent_ns_ >= settings_.retry_ms * kMs;
  switch (rec_.phase) {
    case Phase::kReserve:
      if (now_ns > deadline_ns_) return RollBack(now_ns, rec_.peer + " did not answer prepare in time");
      if (resend) Send(MsgType::kPrepare, now_ns);
      return;
    case Phase::kPrecopy:
      if (now_ns > deadline_ns_) return RollBack(now_ns, "pre-copy did not reach the switchover in time");
      return;
    case Phase::kStop:
    case Phase::kResume:
      rec_.figures = sw_.Figures(rec_.vm.ofport);
      if (now_ns > deadline_ns_) return RollBack(now_ns, rec_.peer + " did not confirm the resume in time");
      if (!armed_acked_ && resend) Send(MsgType::kSwitchoverArmed, now_ns);
      return;
    case Phase::kCleanup: {
      if (!commit_acked_ && resend) Send(MsgType::kCommit, now_ns);
      const MoveFigures f = sw_.Figures(rec_.vm.ofport);
      rec_.figures = f;
      if (f.forwarded != forwarded_) {
        forwarded_ = f.forwarded;
        forwarded_at_ns_ = now_ns;
      }
      if (now_ns - forwarded_at_ns_ >= settings_.quiet_ms * kMs && f.held_now == 0) {
        Note(now_ns, "forwarding pointer quiet for " + std::to_string(settings_.quiet_ms) + " ms");
        if (Status s = sw_.RemovePort(rec_.vm.ofport); !s.ok()) rec_.error = "removing the port: " + s.message();
        Finish(now_ns, Phase::kDone);
      }
      return;
    }
    default:
      return;
  }
}

void SourceMigration::OnHypervisor(const HvEvent& e, uint64_t now_ns) {
  switch (e.kind) {
    case HvEventKind::kProgress:
      if (e.iteration != rec_.progress.iteration) Note(now_ns, "pre-copy pass " + std::to_string(e.iteration));
      rec_.progress = e;
      if (rec_.phase == Phase::kPrecopy) Send(MsgType::kPrecopyProgress, now_ns);
      return;
    case HvEventKind::kPaused:
      if (rec_.phase == Phase::kPrecopy) OnPaused(now_ns);
      return;
    case HvEventKind::kCompleted:
      if (rec_.phase == Phase::kPrecopy) OnPaused(now_ns);  // a backend that cannot pause first
      if (finished()) return;
      handed_over_ = true;
      if (rec_.phase == Phase::kStop) Enter(Phase::kResume, now_ns, "VM handed over; waiting for it to run at " + rec_.peer);
      else Note(now_ns, "VM handed over");
      return;
    case HvEventKind::kFailed:
      if (Before(rec_.phase, Phase::kCleanup)) return RollBack(now_ns, hv_->kind() + ": " + e.reason);
      Note(now_ns, hv_->kind() + " reported after the resume: " + e.reason);
      return;
    case HvEventKind::kSourceResumed:
      Note(now_ns, "VM runs here again");
      // Whoever drives the migration gave up on it (an orchestrator that
      // cancelled, or QEMU after a failure): deliver what was held here.
      if (Before(rec_.phase, Phase::kCleanup) && !handed_over_) RollBack(now_ns, "the VM runs here again");
      return;
    case HvEventKind::kResumed:
      return;  // a destination's event
  }
}

void SourceMigration::OnPaused(uint64_t now_ns) {
  rec_.paused_ns = now_ns;
  if (Status s = sw_.Hold(rec_.vm.ofport, tunnel_ofport_); !s.ok()) return RollBack(now_ns, "holding the port: " + s.message());
  rec_.hold_ns = now_ns;
  Enter(Phase::kStop, now_ns, "VM paused; its port holds packets");
  armed_acked_ = false;
  Send(MsgType::kSwitchoverArmed, now_ns);
  if (Status s = hv_->Continue(); !s.ok()) return RollBack(now_ns, hv_->kind() + ": " + s.message());
  deadline_ns_ = now_ns + settings_.switchover_timeout_ms * kMs;
}

void SourceMigration::OnResumed(const PeerMessage& m, uint64_t now_ns) {
  if (rec_.phase == Phase::kCleanup) {  // the peer did not get our Commit yet
    Send(MsgType::kCommit, now_ns);
    return;
  }
  if (rec_.phase == Phase::kPrecopy) {
    // The peer's Resumed overtook this host's news of the stop (a QMP event
    // read late on a busy host): the VM runs there, so it stopped here. Hold
    // now and go on; waiting for a resend would leave the port on its stopped
    // device for another retry interval.
    Note(now_ns, "the VM runs at " + rec_.peer + " before its stop was seen here");
    OnPaused(now_ns);
    if (finished()) return;
  }
  if (rec_.phase != Phase::kStop && rec_.phase != Phase::kResume) return;
  rec_.resumed_ns = rec_.moved_ns = now_ns;
  handed_over_ = true;
  Note(now_ns, "VM runs at " + rec_.peer);
  if (Status s = sw_.BindRemote(rec_.vm.ofport, tunnel_ofport_); !s.ok()) {
    rec_.error = "binding the forwarding pointer: " + s.message();
  }
  held_ = false;
  Enter(Phase::kCleanup, now_ns, "held packets and newer ones go through tunnel port " + std::to_string(tunnel_ofport_));
  commit_acked_ = false;
  Send(MsgType::kCommit, now_ns);
  const MoveFigures f = sw_.Figures(rec_.vm.ofport);
  forwarded_ = f.forwarded;
  forwarded_at_ns_ = now_ns;
}

void SourceMigration::RollBack(uint64_t now_ns, const std::string& why) {
  if (finished() || !Before(rec_.phase, Phase::kCleanup)) return;
  rec_.error = why;
  Note(now_ns, "rollback: " + why);
  const bool started = !Before(rec_.phase, Phase::kPrecopy);
  if (started && !handed_over_) {
    if (Status s = hv_->Cancel(); !s.ok()) Note(now_ns, hv_->kind() + " cancel: " + s.message());
  }
  if (held_) {
    if (Status s = sw_.BindLocalAgain(rec_.vm.ofport); !s.ok()) Note(now_ns, "port back to local: " + s.message());
    else Note(now_ns, "port back to local; held packets delivered here");
    held_ = false;
  }
  if (!Before(rec_.phase, Phase::kReserve)) Send(MsgType::kAbort, now_ns);
  if (handed_over_) {
    rec_.error += "; the VM had been handed over and may be paused at both ends";
    return Finish(now_ns, Phase::kFailed);
  }
  Finish(now_ns, Phase::kRolledBack);
}

void SourceMigration::Fail(uint64_t now_ns, const std::string& why) {
  rec_.error = why;
  Finish(now_ns, Phase::kFailed);
}

void SourceMigration::Finish(uint64_t now_ns, Phase end) {
  if (end != Phase::kDone) rec_.figures = sw_.Figures(rec_.vm.ofport);
  rec_.ended_ns = now_ns;
  Enter(end, now_ns, end == Phase::kDone ? "port removed" : rec_.error);
}

}  // namespace hashi::mig
