// PortMover: binding changes, hold queues, reservation and announcement.
#include "migration/port_mover.h"

#include <rte_cycles.h>

#include <chrono>

#include "common/log.h"
#include "migration/announce_frames.h"
#include "tunnel/tunnel_config.h"

namespace hashi::mig {

namespace {

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch()).count());
}

void Replace(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

}  // namespace

PortMover::PortMover(dp::Datapath& datapath, ctl::PortManager& ports, Inject inject, PortMoverOptions options)
    : datapath_(datapath), ports_(ports), inject_(std::move(inject)), options_(std::move(options)) {}

PortMover::~PortMover() { DetachAll(); }

void PortMover::DetachAll() {
  if (moves_.empty()) return;
  // Bindings must not name a freed move: detach what is still attached.
  for (auto& [ofport, m] : moves_) {
    (void)ports_.UpdateBinding(ofport, [](dp::PortBinding& b) {
      if (b.kind == dp::BindingKind::kHold) b.kind = dp::BindingKind::kLocal;
      b.move = nullptr;
      return Status::Ok();
    });
  }
  datapath_.rcu().Synchronize();
  moves_.clear();
}

std::string PortMover::ExpandTemplate(const std::string& text, const VmIdentity& vm) {
  std::string s = text;
  Replace(s, "{vm}", vm.name);
  Replace(s, "{ofport}", std::to_string(vm.ofport));
  return s;
}

Result<std::string> PortMover::NameOf(uint32_t ofport) const {
  auto p = ports_.Find(ofport);
  if (!p.ok()) return p.status();
  return p->spec.name;
}

Result<dp::PortMove*> PortMover::MoveOf(uint32_t ofport) {
  Moving& m = moves_[ofport];
  if (!m.move) {
    auto move = dp::PortMove::Create(datapath_.num_workers() + 1, options_.hold);
    if (!move.ok()) {
      moves_.erase(ofport);
      return move.status();
    }
    m.move = std::move(move).value();
  }
  m.idle_since_ns = 0;
  m.draining = false;
  m.guard = false;
  return m.move.get();
}

Status PortMover::CheckSource(const VmIdentity& vm, uint32_t tunnel_ofport) {
  auto p = ports_.Find(vm.ofport);
  if (!p.ok()) return Status::Error("VM " + vm.name + ": " + p.error());
  if (p->tunnel || p->binding != dp::BindingKind::kLocal) {
    return Status::Error("VM " + vm.name + ": port " + std::to_string(vm.ofport) + " is not bound to a local device");
  }
  if (moves_.count(vm.ofport) != 0) return Status::Error("VM " + vm.name + ": its port is still settling a move");
  const tun::TunnelEntry* t = datapath_.tunnels()->FindByOfport(tunnel_ofport);
  if (t == nullptr) return Status::Error("no tunnel on OpenFlow port " + std::to_string(tunnel_ofport));
  if (!t->resolved) {
    return Status::Error("tunnel port " + std::to_string(tunnel_ofport) + ": next hop " + tun::FormatIpv4(t->next_hop) +
                         " not resolved (no ARP answer): the peer is unreachable");
  }
  return Status::Ok();
}

Status PortMover::HoldOnRefusal(uint32_t ofport) {
  HASHI_RETURN_IF_ERROR(BindLocalAgain(ofport));
  moves_[ofport].guard = true;  // the VM may stop any moment: keep the ring until the migration decides
  return Status::Ok();
}

Status PortMover::BindMoving(uint32_t ofport, dp::BindingKind kind, const std::function<void(dp::PortBinding&)>& edit) {
  auto move = MoveOf(ofport);
  if (!move.ok()) return move.status();
  return ports_.UpdateBinding(ofport, [&](dp::PortBinding& b) {
    b.kind = kind;
    b.move = *move;
    if (edit) edit(b);
    return Status::Ok();
  });
}

Status PortMover::Hold(uint32_t ofport, uint32_t toward_tunnel) {
  return BindMoving(ofport, dp::BindingKind::kHold, [&](dp::PortBinding& b) { b.remote_tunnel = toward_tunnel; });
}

Status PortMover::BindRemote(uint32_t ofport, uint32_t tunnel_ofport) {
  const tun::TunnelEntry* t = datapath_.tunnels()->FindByOfport(tunnel_ofport);
  // The move stays attached: it counts the pointer's packets until the port goes.
  return BindMoving(ofport, dp::BindingKind::kRemote, [&](dp::PortBinding& b) {
    b.remote_tunnel = tunnel_ofport;
    b.remote_key = t != nullptr ? t->key : 0;
  });
}

Status PortMover::BindLocalAgain(uint32_t ofport) {
  // Held packets first, and the device may push back.
  return BindMoving(ofport, dp::BindingKind::kLocal, [](dp::PortBinding& b) { b.hold_all = true; });
}

Status PortMover::RemovePort(uint32_t ofport) {
  auto name = NameOf(ofport);
  if (!name.ok()) return name.status();
  finished_[ofport] = Figures(ofport);
  HASHI_RETURN_IF_ERROR(ports_.DeletePort(*name));  // waits for a grace period
  moves_.erase(ofport);
  return Status::Ok();
}

Status PortMover::Reserve(const VmIdentity& vm, uint32_t source_ip) {
  bool tunnel_back = false;
  for (const tun::TunnelEntry& e : datapath_.tunnels()->entries()) tunnel_back |= e.remote_ip == source_ip;
  if (!tunnel_back) return Status::Error("no tunnel to " + tun::FormatIpv4(source_ip) + ", where the VM comes from");
  if (auto p = ports_.Find(vm.ofport); p.ok()) return Adopt(vm, *p);
  ctl::PortSpec spec{vm.name, vm.ofport, ExpandTemplate(options_.vm_devargs, vm)};
  if (Status s = ports_.AddPort(spec, true); !s.ok()) return Status::Error("reserving VM " + vm.name + ": " + s.message());
  finished_.erase(vm.ofport);
  HASHI_LOG_INFO("migration", "VM %s reserved on port %u (%s)", vm.name.c_str(), vm.ofport, spec.devargs.c_str());
  return Status::Ok();
}

Status PortMover::Adopt(const VmIdentity& vm, const ctl::PortInfo& p) {
  const std::string port = "port " + std::to_string(vm.ofport);
  if (p.tunnel || p.spec.name != vm.name) {
    return Status::Error(port + " is taken by " + p.spec.name + "; VM " + vm.name + " needs it free or as its own");
  }
  if (p.binding != dp::BindingKind::kLocal || moves_.count(vm.ofport) != 0) {
    return Status::Error("VM " + vm.name + ": " + port + " is busy (bound elsewhere or still settling a move)");
  }
  HASHI_RETURN_IF_ERROR(ports_.UpdateBinding(vm.ofport, [](dp::PortBinding& b) {
    b.kind = dp::BindingKind::kReserved;
    return Status::Ok();
  }));
  adopted_.insert(vm.ofport);
  finished_.erase(vm.ofport);
  HASHI_LOG_INFO("migration", "VM %s reserved on its configured port %u (%s)", vm.name.c_str(), vm.ofport,
                 p.spec.devargs.c_str());
  return Status::Ok();
}

Status PortMover::BindLocal(uint32_t ofport) {
  adopted_.erase(ofport);
  return BindLocalAgain(ofport);
}

void PortMover::Unreserve(uint32_t ofport) {
  if (adopted_.erase(ofport) != 0) {  // a configured port: back as it was, device and all
    (void)ports_.UpdateBinding(ofport, [](dp::PortBinding& b) {
      b.kind = dp::BindingKind::kLocal;
      return Status::Ok();
    });
    moves_.erase(ofport);
    return;
  }
  auto name = NameOf(ofport);
  if (!name.ok()) return;
  if (Status s = ports_.DeletePort(*name); !s.ok()) HASHI_LOG_WARN("migration", "%s", s.message().c_str());
  moves_.erase(ofport);
}

void PortMover::Announce(const VmIdentity& vm) {
  for (const auto& f : AnnounceFrames(vm.mac, vm.ipv4)) {
    if (!inject_(f.data(), f.size(), vm.ofport)) HASHI_LOG_WARN("migration", "announcing %s: no buffer", vm.name.c_str());
  }
}

void PortMover::AddPortCounters(uint32_t ofport, MoveFigures& f) const {
  auto p = ports_.Find(ofport);
  if (!p.ok() || p->tunnel) return;
  const dp::PortCounters c = datapath_.PortTotals(p->counter_index);
  f.port_tx = c.tx_packets;
  f.port_refused = c.tx_refused;
  f.port_dropped = c.tx_dropped;
}

MoveFigures PortMover::Figures(uint32_t ofport) {
  auto it = moves_.find(ofport);
  if (it == moves_.end()) {
    auto done = finished_.find(ofport);
    MoveFigures f = done != finished_.end() ? done->second : MoveFigures{};
    AddPortCounters(ofport, f);
    return f;
  }
  const dp::MoveCounters c = it->second.move->Totals();
  MoveFigures f;
  AddPortCounters(ofport, f);
  f.held = c.held;
  f.queued = c.queued;
  f.flushed = c.flushed;
  f.expired = c.expired;
  f.overflow = c.overflow;
  f.forwarded = c.forwarded;
  f.held_now = it->second.move->held_now();
  // The first packet that left after the hold: into the tunnel on a source,
  // to the device on a destination. TSC -> steady clock.
  const uint64_t first = c.first_tunnel_tsc != 0 ? c.first_tunnel_tsc : c.first_flush_tsc;
  if (first != 0) {
    const uint64_t tsc_now = rte_rdtsc();
    const uint64_t ago = first < tsc_now ? (tsc_now - first) * 1000000000.0 / rte_get_tsc_hz() : 0;
    f.first_flush_ns = SteadyNs() - ago;
  }
  return f;
}

void PortMover::Poll(uint64_t now_ns) {
  if (moves_.empty()) return;
  datapath_.DrainControlHeld();
  for (auto it = moves_.begin(); it != moves_.end();) {
    const uint32_t ofport = it->first;
    Moving& m = it->second;
    ++it;  // Settle may erase m
    const dp::PortBinding* b = datapath_.ports()->Find(ofport);
    if (b != nullptr && b->kind == dp::BindingKind::kLocal && !m.guard) Settle(ofport, m, now_ns);
  }
}

void PortMover::Settle(uint32_t ofport, Moving& m, uint64_t now_ns) {
  if (m.move->held_now() != 0) {
    m.idle_since_ns = 0;
    return;
  }
  if (!m.draining) {
    if (m.idle_since_ns == 0) m.idle_since_ns = now_ns;
    if (now_ns - m.idle_since_ns < uint64_t{options_.settle_ms} * 1000000) return;
    (void)ports_.UpdateBinding(ofport, [](dp::PortBinding& b) {
      b.hold_all = false;
      return Status::Ok();
    });
    datapath_.rcu().Synchronize();  // from now on a worker uses its ring only behind what it holds
    m.draining = true;
    return;  // look at the rings again next time
  }
  // Rings empty and nothing can enter them any more: drop the move.
  finished_[ofport] = Figures(ofport);
  (void)ports_.UpdateBinding(ofport, [](dp::PortBinding& b) {
    b.move = nullptr;
    b.hold_all = true;
    return Status::Ok();
  });
  datapath_.rcu().Synchronize();  // no worker reads the old map, or the move, any more
  HASHI_LOG_INFO("migration", "port %u settled: back on the fast path", ofport);
  moves_.erase(ofport);
}

}  // namespace hashi::mig
