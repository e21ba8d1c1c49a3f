// hashictl's migration commands: add-vm, del-vm, dump-vms, migrate (starts
// one and answers with its id at once; hashictl then follows it with
// migration-show) and migration-show [ID] (records as text and JSON).
#include <cstdio>
#include <memory>

#include "apps/mgmt_commands.h"
#include "tunnel/tunnel_config.h"

namespace hashi::app {
namespace {

using ctl::MgmtReply;
using nlohmann::json;

double Ms(uint64_t from_ns, uint64_t to_ns) {
  return from_ns != 0 && to_ns >= from_ns ? static_cast<double>(to_ns - from_ns) / 1e6 : -1;
}

json RecordJson(const mig::MigrationRecord& r) {
  json j;
  j["id"] = r.id;
  j["role"] = mig::RoleName(r.role);
  j["vm"] = r.vm.name;
  j["ofport"] = r.vm.ofport;
  j["peer"] = r.peer;
  j["phase"] = mig::PhaseName(r.phase);
  j["finished"] = mig::Finished(r.phase);
  j["moved"] = r.moved_ns != 0;  // the VM runs at the destination
  j["error"] = r.error;
  j["progress"] = {{"iteration", r.progress.iteration}, {"sent_bytes", r.progress.sent_bytes},
                   {"remaining_bytes", r.progress.remaining_bytes}, {"dirty_rate_bps", r.progress.dirty_rate_bps}};
  j["packets"] = {{"held", r.figures.held}, {"queued", r.figures.queued}, {"flushed", r.figures.flushed}, {"expired", r.figures.expired},
                  {"overflow", r.figures.overflow}, {"forwarded", r.figures.forwarded},
                  {"held_now", r.figures.held_now}, {"port_tx", r.figures.port_tx},
                  {"port_refused", r.figures.port_refused}, {"port_dropped", r.figures.port_dropped}};
  j["follow"] = r.follow;
  j["elapsed_ms"] = Ms(r.started_ns, r.ended_ns != 0 ? r.ended_ns : r.timeline.empty() ? r.started_ns : r.timeline.back().at_ns);
  j["total_ms"] = Ms(r.started_ns, r.moved_ns != 0 ? r.moved_ns : r.ended_ns);
  j["downtime_ms"] = Ms(r.paused_ns, r.resumed_ns);
  j["blackout_ms"] = Ms(r.hold_ns, r.figures.first_flush_ns);
  j["announce_rounds"] = r.announce_rounds;
  // Absolute steady-clock times (CLOCK_MONOTONIC), to line up with other
  // tools on the same host (benchmarks).
  j["started_at_ns"] = r.started_ns;
  j["paused_at_ns"] = r.paused_ns;
  j["resumed_at_ns"] = r.resumed_ns;
  j["first_flush_at_ns"] = r.figures.first_flush_ns;
  j["timeline"] = json::array();
  for (const auto& t : r.timeline) {
    j["timeline"].push_back({{"ms", Ms(r.started_ns, t.at_ns)}, {"at_ns", t.at_ns}, {"what", t.what}});
  }
  j["report"] = mig::FormatReport(r);
  return j;
}

std::string VmText(const mig::VmIdentity& vm) {
  std::string ips;
  for (uint32_t ip : vm.ipv4) ips += (ips.empty() ? "" : ",") + tun::FormatIpv4(ip);
  return "  vm " + vm.name + ": port " + std::to_string(vm.ofport) + " mac " + tun::FormatMac(vm.mac) +
         (ips.empty() ? "" : " ip " + ips) + "\n";
}

}  // namespace

void RegisterMigrationCommands(ctl::MgmtServer& server, SwitchParts parts) {
  if (parts.migrations == nullptr) return;
  mig::MigrationManager* m = parts.migrations;
  server.Register("add-vm", "add-vm NAME,ofport=N,mac=MAC[,ip=IP]...", [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    auto vm = mig::ParseVmSpec(a[0]);
    if (!vm.ok()) return vm.status();
    HASHI_RETURN_IF_ERROR(m->AddVm(*vm));
    return MgmtReply{"VM " + vm->name + " on port " + std::to_string(vm->ofport) + "\n", {}};
  });
  server.Register("del-vm", "del-vm NAME", [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 1, 1));
    HASHI_RETURN_IF_ERROR(m->DeleteVm(a[0]));
    return MgmtReply{"VM " + a[0] + " forgotten\n", {}};
  });
  server.Register("dump-vms", "dump-vms", [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 0));
    MgmtReply r;
    r.data = json::array();
    for (const auto& vm : m->Vms()) {
      r.text += VmText(vm);
      r.data.push_back({{"name", vm.name}, {"ofport", vm.ofport}, {"mac", tun::FormatMac(vm.mac)}});
    }
    for (const auto& p : m->peers()) {
      r.text += "  peer " + p.name + ": " + p.endpoint + " through tunnel port " + std::to_string(p.tunnel_ofport) + "\n";
    }
    return r;
  });
  server.Register("migrate", "migrate VM PEER [DOWNTIME_LIMIT_MS] [MAX_BANDWIDTH_BPS]",
                  [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 2, 4));
    mig::MigrationLimits limits;
    char* end = nullptr;
    if (a.size() > 2) {
      const unsigned long v = std::strtoul(a[2].c_str(), &end, 10);
      if (a[2].empty() || *end != '\0' || v == 0 || v > 600000) return Status::Error("bad downtime limit '" + a[2] + "' (ms)");
      limits.downtime_limit_ms = static_cast<uint32_t>(v);
    }
    if (a.size() > 3) {
      const unsigned long long v = std::strtoull(a[3].c_str(), &end, 10);
      if (a[3].empty() || *end != '\0') return Status::Error("bad bandwidth '" + a[3] + "' (bits per second)");
      limits.max_bandwidth_bps = v;
    }
    auto id = m->Migrate(a[0], a[1], limits);
    if (!id.ok()) return id.status();
    auto rec = m->Record(*id);
    if (rec.ok() && rec->phase == mig::Phase::kFailed) return Status::Error(rec->error);
    return MgmtReply{"migration " + std::to_string(*id) + " started\n", {{"id", *id}}};
  });
  server.Register("migration-follow", "migration-follow VM PEER",
                  [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 2, 2));
    auto id = m->Migrate(a[0], a[1], mig::MigrationLimits{}, true);
    if (!id.ok()) return id.status();
    auto rec = m->Record(*id);
    if (rec.ok() && rec->phase == mig::Phase::kFailed) return Status::Error(rec->error);
    return MgmtReply{"migration " + std::to_string(*id) + " followed\n", {{"id", *id}}};
  });
  server.Register("migration-show", "migration-show [ID]", [m](const std::vector<std::string>& a) -> Result<MgmtReply> {
    HASHI_RETURN_IF_ERROR(NeedArgs(a, 0, 1));
    MgmtReply r;
    if (a.size() == 1) {
      char* end = nullptr;
      const uint64_t id = std::strtoull(a[0].c_str(), &end, 10);
      if (a[0].empty() || *end != '\0') return Status::Error("bad migration id '" + a[0] + "'");
      auto rec = m->Record(id);
      if (!rec.ok()) return rec.status();
      r.data = RecordJson(*rec);
      r.text = mig::FormatReport(*rec);
      for (const auto& t : rec->timeline) {
        char line[256];
        std::snprintf(line, sizeof line, "  %9.1f ms  %s\n", Ms(rec->started_ns, t.at_ns), t.what.c_str());
        r.text += line;
      }
      return r;
    }
    r.data = json::array();
    for (const auto& rec : m->Records()) {
      r.data.push_back(RecordJson(rec));
      r.text += std::to_string(rec.id) + "  " + mig::RoleName(rec.role) + "  " + rec.vm.name + "  " + rec.peer + "  " +
                mig::PhaseName(rec.phase) + (rec.error.empty() ? "" : "  (" + rec.error + ")") + "\n";
    }
    if (r.text.empty()) r.text = "no migrations\n";
    return r;
  });
}

}  // namespace hashi::app
