// DestinationMigration: transitions, rollback and the announcement rounds.
#include "migration/destination_migration.h"

#include <algorithm>

#include "common/log.h"

namespace hashi::mig {

namespace {

constexpr uint64_t kMs = 1000000;

}  // namespace

DestinationMigration::DestinationMigration(const PeerMessage& prepare, std::string peer,
                                           std::unique_ptr<Hypervisor> hv, SwitchSide& sw, PeerSend send,
                                           const MigrationSettings& settings)
    : source_ip_(prepare.source_ip), hv_(std::move(hv)), sw_(sw), send_(std::move(send)), settings_(settings) {
  rec_.id = prepare.migration_id;
  rec_.role = Role::kDestination;
  rec_.vm = prepare.vm;
  rec_.follow = prepare.follow;
  rec_.peer = std::move(peer);
  rec_.phase = Phase::kReserve;
}

void DestinationMigration::Reply(MsgType t, uint64_t now_ns, MsgType acked) {
  PeerMessage m;
  m.type = t;
  m.migration_id = rec_.id;
  m.acked = acked;
  switch (t) {
    case MsgType::kReserved: m.incoming_uri = incoming_uri_; break;
    case MsgType::kRefused: m.reason = rec_.error; break;
    case MsgType::kResumed: m.held_at_destination = sw_.Figures(rec_.vm.ofport).held; break;
    default: break;
  }
  if (t == MsgType::kResumed) last_sent_ns_ = now_ns;
  (void)send_(m);
}

void DestinationMigration::Start(uint64_t now_ns) {
  rec_.started_ns = now_ns;
  Enter(Phase::kReserve, now_ns, "prepare from " + rec_.peer);
  if (Status s = sw_.Reserve(rec_.vm, source_ip_); !s.ok()) {
    rec_.error = s.message();
    Reply(MsgType::kRefused, now_ns);
    return Finish(now_ns, Phase::kFailed);
  }
  reserved_ = true;
  auto uri = hv_->PrepareIncoming(rec_.vm);
  if (!uri.ok()) {
    rec_.error = hv_->kind() + ": " + uri.error();
    sw_.Unreserve(rec_.vm.ofport);
    reserved_ = false;
    Reply(MsgType::kRefused, now_ns);
    return Finish(now_ns, Phase::kFailed);
  }
  incoming_uri_ = *uri;
  Reply(MsgType::kReserved, now_ns);
  Enter(Phase::kPrecopy, now_ns, "port reserved; receiving at " + incoming_uri_);
  deadline_ns_ = now_ns + settings_.precopy_timeout_ms * kMs;
}

void DestinationMigration::OnMessage(const PeerMessage& m, uint64_t now_ns) {
  const bool before_resume = rec_.phase == Phase::kPrecopy || rec_.phase == Phase::kStop;
  switch (m.type) {
    case MsgType::kPrepare:  // a retry: answer again
      if (before_resume) Reply(MsgType::kReserved, now_ns);
      else if (rec_.phase == Phase::kFailed) Reply(MsgType::kRefused, now_ns);
      return;
    case MsgType::kPrecopyProgress:
      if (m.iteration != rec_.progress.iteration) Note(now_ns, "pre-copy pass " + std::to_string(m.iteration));
      rec_.progress.iteration = m.iteration;
      rec_.progress.sent_bytes = m.sent_bytes;
      rec_.progress.remaining_bytes = m.remaining_bytes;
      rec_.progress.dirty_rate_bps = m.dirty_rate_bps;
      return;
    case MsgType::kSwitchoverArmed:
      if (rec_.phase == Phase::kPrecopy) {
        rec_.paused_ns = now_ns;
        Enter(Phase::kStop, now_ns, "VM paused at " + rec_.peer);
        deadline_ns_ = now_ns + settings_.switchover_timeout_ms * kMs;
      }
      if (!finished() || rec_.phase == Phase::kDone) Reply(MsgType::kAck, now_ns, MsgType::kSwitchoverArmed);
      return;
    case MsgType::kCommit:
      Reply(MsgType::kAck, now_ns, MsgType::kCommit);
      if (rec_.phase == Phase::kResume) {
        committed_ = true;
        Enter(Phase::kCleanup, now_ns, "committed by " + rec_.peer);
      }
      return;
    case MsgType::kAbort:
      if (rec_.phase == Phase::kResume || rec_.phase == Phase::kCleanup ||
          (rec_.phase == Phase::kDone && committed_)) {
        rec_.error = "abort refused: the VM already runs here";
        Reply(MsgType::kRefused, now_ns);
        return;
      }
      if (!finished()) RollBack(now_ns, rec_.peer + " aborted: " + m.reason);
      Reply(MsgType::kAck, now_ns, MsgType::kAbort);
      return;
    default:
      return;
  }
}

void DestinationMigration::OnPeerLost(uint64_t now_ns) {
  if (finished()) return;
  Note(now_ns, "connection to " + rec_.peer + " lost");
  if (rec_.phase == Phase::kReserve || rec_.phase == Phase::kPrecopy) {
    RollBack(now_ns, "connection to " + rec_.peer + " lost");
  }
}

void DestinationMigration::Poll(uint64_t now_ns) {
  for (const HvEvent& e : hv_->Poll()) {
    if (e.kind == HvEventKind::kResumed) {
      if (rec_.phase == Phase::kPrecopy || rec_.phase == Phase::kStop) OnVmResumed(now_ns);
      else if (finished()) Note(now_ns, "the VM resumed here after this migration ended (" + rec_.error + ")");
    } else if (e.kind == HvEventKind::kFailed && (rec_.phase == Phase::kPrecopy || rec_.phase == Phase::kStop)) {
      RollBack(now_ns, hv_->kind() + ": " + e.reason);
      PeerMessage abort;
      abort.type = MsgType::kAbort;
      abort.migration_id = rec_.id;
      abort.reason = rec_.error;
      (void)send_(abort);
    }
  }
  if (finished()) return;
  if (rec_.phase == Phase::kPrecopy || rec_.phase == Phase::kStop) {
    if (now_ns > deadline_ns_) RollBack(now_ns, "the VM did not arrive in time");
    return;
  }
  // Resume and Cleanup: announce, resend Resumed until committed.
  rec_.figures = sw_.Figures(rec_.vm.ofport);
  if (rec_.announce_rounds < settings_.announce.rounds && now_ns >= next_announce_ns_) {
    sw_.Announce(rec_.vm);
    ++rec_.announce_rounds;
    Note(now_ns, "announce round " + std::to_string(rec_.announce_rounds));
    announce_gap_ms_ = announce_gap_ms_ == 0 ? settings_.announce.initial_ms
                                             : std::min(announce_gap_ms_ + settings_.announce.step_ms,
                                                        settings_.announce.max_ms);
    next_announce_ns_ = now_ns + announce_gap_ms_ * kMs;
  }
  const bool announced = rec_.announce_rounds >= settings_.announce.rounds;
  if (rec_.phase == Phase::kResume) {
    if (now_ns - last_sent_ns_ >= settings_.retry_ms * kMs) Reply(MsgType::kResumed, now_ns);
    if (now_ns > deadline_ns_ && announced) {
      Note(now_ns, rec_.peer + " never committed; the VM runs here");
      Finish(now_ns, Phase::kDone);
    }
    return;
  }
  if (announced) Finish(now_ns, Phase::kDone);
}

void DestinationMigration::OnVmResumed(uint64_t now_ns) {
  rec_.resumed_ns = rec_.moved_ns = now_ns;
  if (Status s = sw_.BindLocal(rec_.vm.ofport); !s.ok()) rec_.error = "binding the port: " + s.message();
  Enter(Phase::kResume, now_ns, "VM runs here; port local");
  Reply(MsgType::kResumed, now_ns);
  next_announce_ns_ = now_ns;
  announce_gap_ms_ = 0;
  deadline_ns_ = now_ns + settings_.switchover_timeout_ms * kMs;
}

void DestinationMigration::RollBack(uint64_t now_ns, const std::string& why) {
  rec_.error = why;
  Note(now_ns, "rollback: " + why);
  hv_->CancelIncoming();
  if (reserved_) {
    sw_.Unreserve(rec_.vm.ofport);
    reserved_ = false;
  }
  Finish(now_ns, Phase::kRolledBack);
}

void DestinationMigration::Finish(uint64_t now_ns, Phase end) {
  if (reserved_) rec_.figures = sw_.Figures(rec_.vm.ofport);
  rec_.ended_ns = now_ns;
  Enter(end, now_ns, end == Phase::kDone ? "the VM runs here" : rec_.error);
}

}  // namespace hashi::mig
