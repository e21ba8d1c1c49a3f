// Scripted stand-ins for the migration state-machine tests: a hypervisor
// whose events the test queues and whose calls it records, and a switch
// side that records each binding change (and can be told to fail). The
// real switch side and backends are tested against DPDK and QEMU elsewhere.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "migration/hypervisor.h"
#include "migration/switch_side.h"

namespace hashi::mig::test {

struct FakeHypervisor : Hypervisor {
  // What the test can make fail.
  Status check = Status::Ok();
  Status start = Status::Ok();
  Status cont = Status::Ok();
  Result<std::string> incoming = std::string("tcp:10.2.0.1:4444");
  // What happened.
  std::vector<std::string> calls;
  std::deque<HvEvent> events;

  std::string kind() const override { return "fake"; }
  Status CheckSource() override { calls.push_back("check"); return check; }
  Result<std::string> PrepareIncoming(const VmIdentity&) override { calls.push_back("prepare-incoming"); return incoming; }
  Status Start(const std::string& uri, const MigrationLimits&) override { calls.push_back("start " + uri); return start; }
  Status Continue() override { calls.push_back("continue"); return cont; }
  Status Cancel() override { calls.push_back("cancel"); return Status::Ok(); }
  void CancelIncoming() override { calls.push_back("cancel-incoming"); }
  std::vector<HvEvent> Poll() override {
    std::vector<HvEvent> out(events.begin(), events.end());
    events.clear();
    return out;
  }
  void Push(HvEventKind k, uint32_t iteration = 0) {
    HvEvent e{k};
    e.iteration = iteration;
    e.reason = k == HvEventKind::kFailed ? "scripted failure" : "";
    events.push_back(e);
  }
};

struct FakeSwitch : SwitchSide {
  // Binding of each VM port: "local", "hold", "remote:<tunnel>", "reserved", or absent.
  std::map<uint32_t, std::string> binding;
  std::vector<std::string> calls;
  Status check = Status::Ok();
  Status reserve = Status::Ok();
  MoveFigures figures;
  unsigned announced = 0;

  Status CheckSource(const VmIdentity& vm, uint32_t tunnel) override {
    calls.push_back("check " + std::to_string(tunnel));
    if (!check.ok()) return check;
    return binding[vm.ofport] == "local" ? Status::Ok() : Status::Error("port not local");
  }
  Status HoldOnRefusal(uint32_t p) override { return Set(p, "local+ring"); }
  Status Hold(uint32_t p, uint32_t) override { return Set(p, "hold"); }
  Status BindRemote(uint32_t p, uint32_t tunnel) override { return Set(p, "remote:" + std::to_string(tunnel)); }
  Status BindLocalAgain(uint32_t p) override { return Set(p, "local"); }
  Status RemovePort(uint32_t p) override {
    calls.push_back("remove");
    binding.erase(p);
    return Status::Ok();
  }
  Status Reserve(const VmIdentity& vm, uint32_t) override {
    calls.push_back("reserve");
    if (!reserve.ok()) return reserve;
    binding[vm.ofport] = "reserved";
    return Status::Ok();
  }
  Status BindLocal(uint32_t p) override { return Set(p, "local"); }
  void Unreserve(uint32_t p) override {
    calls.push_back("unreserve");
    binding.erase(p);
  }
  void Announce(const VmIdentity&) override { ++announced; }
  MoveFigures Figures(uint32_t) override { return figures; }

  Status Set(uint32_t p, const std::string& b) {
    calls.push_back(b);
    binding[p] = b;
    return Status::Ok();
  }
};

}  // namespace hashi::mig::test
