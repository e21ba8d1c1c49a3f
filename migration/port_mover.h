// PortMover: this switch's side of a migration (SwitchSide). It changes a
// VM port's binding with one PortMap publish each (PortManager::
// UpdateBinding), owns the PortMove (hold queue, dataplane/port_move.h) of
// every port that is moving, opens the Reserved port of an incoming VM from
// a device template (or adopts the port already configured for it), announces a VM through the flow tables as if the VM
// had sent the frames, and detaches a Local binding's move once nothing has
// been held for settle_ms (the port is back on the plain fast path): first
// it stops sending every packet through the hold ring, then, once the rings
// are empty, it drops the move (port_move.h).
// PORT_STATUS follows from the port list (OfSwitch::PollLinks): add when a
// port is reserved, modify when its binding changes, delete when it goes.
// Control thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/port_manager.h"
#include "dataplane/datapath.h"
#include "dataplane/port_move.h"
#include "migration/switch_side.h"

namespace hashi::mig {

struct PortMoverOptions {
  // Device of an incoming VM; {vm} and {ofport} are replaced.
  std::string vm_devargs = "net_vhost_{vm},iface=/run/hashi/{vm}.sock,client=1";
  dp::HoldLimits hold;
  uint32_t settle_ms = 500;
};

class PortMover : public SwitchSide {
 public:
  // Sends a frame through the flow tables as if received on in_port.
  using Inject = std::function<bool(const uint8_t* frame, size_t len, uint32_t in_port)>;

  PortMover(dp::Datapath& datapath, ctl::PortManager& ports, Inject inject, PortMoverOptions options);
  ~PortMover() override;

  Status CheckSource(const VmIdentity& vm, uint32_t tunnel_ofport) override;
  Status HoldOnRefusal(uint32_t ofport) override;
  Status Hold(uint32_t ofport, uint32_t toward_tunnel) override;
  Status BindRemote(uint32_t ofport, uint32_t tunnel_ofport) override;
  Status BindLocalAgain(uint32_t ofport) override;
  Status RemovePort(uint32_t ofport) override;
  Status Reserve(const VmIdentity& vm, uint32_t source_ip) override;
  Status BindLocal(uint32_t ofport) override;
  void Unreserve(uint32_t ofport) override;
  void Announce(const VmIdentity& vm) override;
  MoveFigures Figures(uint32_t ofport) override;

  // Sends control's own held packets and detaches settled moves.
  void Poll(uint64_t now_ns);
  // Detaches every move now (what is still held is freed): shutdown.
  void DetachAll();
  // Ports with a move attached now.
  size_t moving() const { return moves_.size(); }

  static std::string ExpandTemplate(const std::string& text, const VmIdentity& vm);

 private:
  struct Moving {
    std::unique_ptr<dp::PortMove> move;
    uint64_t idle_since_ns = 0;  // nothing held since then (0: held something at the last look)
    bool draining = false;       // hold_all cleared: waiting for the rings to empty
    bool guard = false;          // a source in pre-copy relies on it (HoldOnRefusal): never settled
  };
  // The port's move, made on first use.
  Result<dp::PortMove*> MoveOf(uint32_t ofport);
  // Binds ofport as kind with its move attached; edit sets what else kind needs.
  Status BindMoving(uint32_t ofport, dp::BindingKind kind, const std::function<void(dp::PortBinding&)>& edit = {});
  // Detaches a settled Local binding's move in two steps (see above).
  void Settle(uint32_t ofport, Moving& m, uint64_t now_ns);
  Result<std::string> NameOf(uint32_t ofport) const;
  // The port's device counters (if it has a device now).
  void AddPortCounters(uint32_t ofport, MoveFigures& f) const;
  // Reserve on a port already configured for the VM (its name and number).
  Status Adopt(const VmIdentity& vm, const ctl::PortInfo& p);

  dp::Datapath& datapath_;
  ctl::PortManager& ports_;
  Inject inject_;
  PortMoverOptions options_;
  std::map<uint32_t, Moving> moves_;
  std::map<uint32_t, MoveFigures> finished_;  // figures of moves already freed
  std::set<uint32_t> adopted_;                // Reserved ports that were configured ones (not made here)
};

}  // namespace hashi::mig
