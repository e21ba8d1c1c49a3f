// QemuBackend: QMP commands and the events that drive the coordinator.
#include "migration/qemu_backend.h"

#include <chrono>

#include "common/log.h"

namespace hashi::mig {

namespace {

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch()).count());
}

HvEvent Event(HvEventKind k, std::string reason = "") {
  HvEvent e{k};
  e.reason = std::move(reason);
  return e;
}

}  // namespace

Status QemuBackend::Connect() {
  if (qmp_ && !qmp_->closed()) return Status::Ok();
  auto c = QmpClient::Connect(options_.qmp_path, options_.connect_timeout_ms);
  if (!c.ok()) return c.status();
  qmp_ = std::move(c).value();
  return Status::Ok();
}

Status QemuBackend::CheckSource() {
  HASHI_RETURN_IF_ERROR(Connect());
  auto st = qmp_->Call("query-status");
  if (!st.ok()) return st.status();
  const std::string status = st->value("status", "");
  if (options_.follow) {  // someone else's migration may be under way, even paused at its switchover
    if (status == "running" || status == "paused" || status == "finish-migrate") return Status::Ok();
    return Status::Error("the VM is " + status + ": nothing to follow");
  }
  if (status != "running") return Status::Error("the VM is " + status + ", not running");
  auto mig = qmp_->Call("query-migrate");
  if (mig.ok() && mig->value("status", "") == "active") return Status::Error("a migration of this VM is already running");
  return Status::Ok();
}

Result<std::string> QemuBackend::PrepareIncoming(const VmIdentity& vm) {
  if (options_.incoming_uri.empty() && !options_.follow) return Status::Error("no incoming URI configured for " + vm.name);
  HASHI_RETURN_IF_ERROR(Connect());
  auto st = qmp_->Call("query-status");
  if (!st.ok()) return st.status();
  const std::string status = st->value("status", "");
  if (options_.follow) {
    migrating_ = true;
    if (status == "running") {  // it resumed before hashi was told: bind it now
      pending_.push_back(Event(HvEventKind::kResumed));
    } else if (status != "inmigrate") {
      return Status::Error("QEMU at " + options_.qmp_path + " is " + status + ", not receiving a migration");
    }
    return options_.incoming_uri.empty() ? std::string("(the orchestrator's)") : options_.incoming_uri;
  }
  if (status != "inmigrate") {
    return Status::Error("QEMU at " + options_.qmp_path + " is " + status +
                         ", not waiting for an incoming migration (-incoming defer)");
  }
  auto caps = qmp_->Call("migrate-set-capabilities",
                         {{"capabilities", {{{"capability", "events"}, {"state", true}}}}});
  if (!caps.ok()) return caps.status();
  auto in = qmp_->Call("migrate-incoming", {{"uri", options_.incoming_uri}});
  if (!in.ok()) return in.status();
  migrating_ = true;
  return options_.incoming_uri;
}

Status QemuBackend::Start(const std::string& uri, const MigrationLimits& limits) {
  HASHI_RETURN_IF_ERROR(Connect());
  source_ = true;
  if (options_.follow) {
    migrating_ = true;
    last_progress_ns_ = SteadyNs();
    FollowState(pending_);
    return Status::Ok();
  }
  auto caps = qmp_->Call("migrate-set-capabilities",
                         {{"capabilities",
                           {{{"capability", "events"}, {"state", true}},
                            {{"capability", "pause-before-switchover"}, {"state", options_.pause_before_switchover}}}}});
  if (!caps.ok()) return caps.status();
  // Both are set every time: QEMU keeps parameters from an earlier migration.
  constexpr uint64_t kQemuDefaultBandwidth = 128ull << 20;  // bytes/s, QEMU 7.2's MAX_THROTTLE
  nlohmann::json params = {{"downtime-limit", limits.downtime_limit_ms},
                           {"max-bandwidth", limits.max_bandwidth_bps != 0 ? limits.max_bandwidth_bps / 8
                                                                            : kQemuDefaultBandwidth}};
  if (auto p = qmp_->Call("migrate-set-parameters", params); !p.ok()) return p.status();
  if (auto m = qmp_->Call("migrate", {{"uri", uri}}); !m.ok()) return m.status();
  migrating_ = true;
  last_progress_ns_ = SteadyNs();
  return Status::Ok();
}

Status QemuBackend::Continue() {
  if (options_.follow) return Status::Ok();  // the orchestrator continues
  if (!options_.pause_before_switchover) return Status::Ok();  // QEMU did not stop to wait
  if (!in_pre_switchover_) {  // STOP came first: go on the moment QEMU waits
    continue_pending_ = true;
    return Status::Ok();
  }
  continue_pending_ = false;
  in_pre_switchover_ = false;
  auto r = qmp_->Call("migrate-continue", {{"state", "pre-switchover"}});
  return r.ok() ? Status::Ok() : r.status();
}

Status QemuBackend::Cancel() {
  if (options_.follow) return Status::Ok();  // not hashi's migration to cancel
  cancelled_ = true;
  continue_pending_ = false;
  if (!qmp_ || qmp_->closed()) return Status::Error("no QMP connection");
  auto r = qmp_->Call("migrate_cancel");
  return r.ok() ? Status::Ok() : r.status();
}

void QemuBackend::CancelIncoming() {
  if (options_.follow || !qmp_ || qmp_->closed()) return;  // a followed QEMU is the orchestrator's
  (void)qmp_->Call("quit", nullptr, 1000);  // it was started only to receive this VM
  migrating_ = false;
}

HvEvent QemuBackend::Progress(std::string* error, std::string* status) {
  HvEvent e{HvEventKind::kProgress};
  e.iteration = pass_;
  auto q = qmp_->Call("query-migrate");
  if (!q.ok()) return e;
  if (error != nullptr) *error = q->value("error-desc", "");
  if (status != nullptr) *status = q->value("status", "");
  if (q->contains("ram")) {
    const auto& ram = (*q)["ram"];
    e.sent_bytes = ram.value("transferred", uint64_t{0});
    e.remaining_bytes = ram.value("remaining", uint64_t{0});
    e.dirty_rate_bps = ram.value("dirty-pages-rate", uint64_t{0}) * ram.value("page-size", uint64_t{4096}) * 8;
    const uint32_t syncs = ram.value("dirty-sync-count", uint32_t{0});
    if (syncs > e.iteration) e.iteration = pass_ = syncs;
  }
  return e;
}

void QemuBackend::FollowState(std::vector<HvEvent>& out) {
  std::string error, status;
  HvEvent p = Progress(&error, &status);
  if (!paused_reported_) {
    if (status != "none" && status != "") out.push_back(p);
    auto st = qmp_->Call("query-status");
    const std::string run = st.ok() ? st->value("status", "") : "";
    if (status == "pre-switchover" || status == "device" || status == "completed" ||
        ((status == "active" || status == "setup") && (run == "paused" || run == "finish-migrate"))) {
      paused_reported_ = true;
      out.push_back(Event(HvEventKind::kPaused));
    }
  }
  if (status == "completed") {
    migrating_ = false;
    out.push_back(Event(HvEventKind::kCompleted));
  } else if (status == "failed" || status == "cancelled") {
    migrating_ = false;
    out.push_back(Event(HvEventKind::kFailed, error.empty() ? "the orchestrator's migration " + status : error));
  }
}

std::vector<HvEvent> QemuBackend::Poll() {
  std::vector<HvEvent> out;
  out.swap(pending_);
  if (!qmp_) return out;
  for (const QmpEvent& e : qmp_->TakeEvents()) OnEvent(e, out);
  if (qmp_->closed()) {
    // A followed source QEMU that stopped for the switchover may be quit by
    // its orchestrator as soon as the VM is handed over: the destination's
    // Resumed (or the switchover timeout) decides, not this.
    if (options_.follow && source_ && paused_reported_) return out;
    if (migrating_ && !closed_reported_) {
      closed_reported_ = true;
      out.push_back(Event(HvEventKind::kFailed, "QEMU closed its QMP connection (did it exit?)"));
    }
    return out;
  }
  const bool due = SteadyNs() - last_progress_ns_ >= uint64_t{options_.progress_interval_ms} * 1000000;
  if (source_ && migrating_ && options_.follow && due) {
    last_progress_ns_ = SteadyNs();
    FollowState(out);
  } else if (source_ && migrating_ && !paused_reported_ && due) {
    last_progress_ns_ = SteadyNs();
    out.push_back(Progress());
  }
  return out;
}

void QemuBackend::OnEvent(const QmpEvent& e, std::vector<HvEvent>& out) {
  HASHI_LOG_DEBUG("migration", "QMP %s: %s %s", options_.qmp_path.c_str(), e.name.c_str(), e.data.dump().c_str());
  if (e.name == "STOP") {
    if (source_ && migrating_ && !paused_reported_ && !cancelled_) {
      paused_reported_ = true;
      out.push_back(Event(HvEventKind::kPaused));
    }
    return;
  }
  if (e.name == "RESUME") {
    if (!source_ && migrating_) {
      out.push_back(Event(HvEventKind::kResumed));
    } else if (source_ && paused_reported_) {
      out.push_back(Event(HvEventKind::kSourceResumed));
    }
    return;
  }
  if (e.name == "MIGRATION_PASS") {
    pass_ = e.data.value("pass", pass_);
    if (source_ && !paused_reported_) out.push_back(Progress());
    return;
  }
  if (e.name != "MIGRATION") return;
  const std::string status = e.data.value("status", "");
  if (status == "pre-switchover") {
    in_pre_switchover_ = true;
    if (!paused_reported_) {
      paused_reported_ = true;
      out.push_back(Event(HvEventKind::kPaused));
    }
    if (continue_pending_) {
      if (Status s = Continue(); !s.ok()) out.push_back(Event(HvEventKind::kFailed, s.message()));
    }
  } else if (status == "completed") {
    migrating_ = false;
    if (source_) out.push_back(Event(HvEventKind::kCompleted));
  } else if (status == "failed") {
    migrating_ = false;
    std::string why;
    if (source_) (void)Progress(&why);
    out.push_back(Event(HvEventKind::kFailed, why.empty() ? "QEMU reports the migration failed" : why));
  } else if (status == "cancelled") {
    migrating_ = false;
  }
}

}  // namespace hashi::mig
