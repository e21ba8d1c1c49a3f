// MigrationManager: VMs, peers, routing of messages, records.
#include "migration/migration_manager.h"

#include <random>

#include "common/log.h"
#include "tunnel/tunnel_config.h"
#include "migration/qemu_backend.h"
#include "migration/xen_backend.h"

namespace hashi::mig {

namespace {

constexpr size_t kHistory = 64;

std::string Expand(std::string text, const VmIdentity& vm, uint64_t id) {
  text = PortMover::ExpandTemplate(text, vm);
  const std::string port = std::to_string(49152 + id % 16000);
  for (size_t at = text.find("{port}"); at != std::string::npos; at = text.find("{port}")) text.replace(at, 6, port);
  return text;
}

uint64_t NewMigrationId() {
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t id;
  do id = rng() & 0x7fffffffffffffffull; while (id == 0);
  return id;
}

}  // namespace

MigrationManager::MigrationManager(dp::Datapath& datapath, ctl::PortManager& ports, PortMover::Inject inject,
                                   MigrationOptions options, std::shared_ptr<of::TlsContext> tls)
    : datapath_(datapath), ports_(ports), options_(std::move(options)),
      mover_(datapath, ports, std::move(inject),
             PortMoverOptions{options_.vm_devargs, dp::HoldLimits{options_.hold_packets, options_.hold_ms},
                              options_.settings.settle_ms}),
      link_(std::move(tls)) {
  factory_ = [this](const VmIdentity& vm, bool incoming, uint64_t id, bool follow) {
    return DefaultHypervisor(vm, incoming, id, follow);
  };
}

MigrationManager::~MigrationManager() { Shutdown(); }

Status MigrationManager::Start() {
  for (const VmIdentity& vm : options_.vms) HASHI_RETURN_IF_ERROR(AddVm(vm));
  for (const PeerSpec& p : options_.peers) {
    auto e = NormalizePeerEndpoint(p.endpoint);
    if (!e.ok()) return Status::Error("peer " + p.name + ": " + e.error());
  }
  if (!options_.listen.empty()) HASHI_RETURN_IF_ERROR(link_.Listen(options_.listen));
  return Status::Ok();
}

Result<std::unique_ptr<Hypervisor>> MigrationManager::DefaultHypervisor(const VmIdentity& vm, bool incoming,
                                                                        uint64_t id, bool follow) {
  if (options_.hypervisor == "xen") {
    if (follow) return Status::Error("following an outside orchestrator is supported for QEMU only");
    return MakeXenBackend(vm, incoming, Expand(options_.incoming, vm, id));
  }
  QemuOptions q;
  q.qmp_path = Expand(options_.qmp_path, vm, id);
  q.pause_before_switchover = options_.qemu_pause_before_switchover;
  q.follow = follow;
  q.incoming_uri = incoming ? Expand(options_.incoming, vm, id) : "";
  if (incoming && !follow && q.incoming_uri.empty()) {
    return Status::Error("this host has no --migration-incoming URI to receive VMs on");
  }
  return std::unique_ptr<Hypervisor>(new QemuBackend(q));
}

Status MigrationManager::AddVm(const VmIdentity& vm) {
  auto p = ports_.Find(vm.ofport);
  if (!p.ok()) return Status::Error("VM " + vm.name + ": no port " + std::to_string(vm.ofport) + " on this switch");
  for (const auto& [name, v] : vms_) {
    if (name != vm.name && v.ofport == vm.ofport) return Status::Error("VM " + vm.name + ": port " + std::to_string(vm.ofport) + " belongs to " + name);
  }
  vms_[vm.name] = vm;
  return Status::Ok();
}

Status MigrationManager::DeleteVm(const std::string& name) {
  for (const auto& [id, a] : active_) {
    if (a.record().vm.name == name) return Status::Error("VM " + name + " is migrating (" + std::to_string(id) + ")");
  }
  return vms_.erase(name) ? Status::Ok() : Status::Error("no VM named " + name);
}

std::vector<VmIdentity> MigrationManager::Vms() const {
  std::vector<VmIdentity> out;
  for (const auto& [name, vm] : vms_) out.push_back(vm);
  return out;
}

Result<uint64_t> MigrationManager::Migrate(const std::string& vm_name, const std::string& peer_name,
                                           const MigrationLimits& limits, bool follow) {
  auto vm = vms_.find(vm_name);
  if (vm == vms_.end()) return Status::Error("no VM named " + vm_name + " on this host (hashictl add-vm, --vm)");
  const PeerSpec* peer = nullptr;
  for (const PeerSpec& p : options_.peers) {
    if (p.name == peer_name) peer = &p;
  }
  if (peer == nullptr) return Status::Error("no peer named " + peer_name + " (--peer)");
  for (const auto& [id, a] : active_) {
    if (a.record().vm.name == vm_name) return Status::Error("VM " + vm_name + " is already migrating (" + std::to_string(id) + ")");
  }
  const uint64_t id = NewMigrationId();
  auto hv = factory_(vm->second, false, id, follow);
  if (!hv.ok()) return hv.status();
  const tun::TunnelEntry* t = datapath_.tunnels()->FindByOfport(peer->tunnel_ofport);
  const uint32_t local_ip = t != nullptr ? t->local_ip : 0;
  MigrationSettings settings = options_.settings;
  settings.limits = limits;
  settings.follow = follow;
  Active a;
  a.peer_endpoint = *NormalizePeerEndpoint(peer->endpoint);
  a.side = std::make_unique<SourceMigration>(
      id, vm->second, peer->name, peer->tunnel_ofport, local_ip, std::move(hv).value(), mover_,
      [this, id](const PeerMessage& m) { return SendFor(id, m); }, settings);
  Active& slot = active_[id] = std::move(a);
  auto conn = link_.ConnectTo(slot.peer_endpoint);
  if (conn.ok()) slot.conn = *conn;
  slot.side->Start(now_ns_);
  if (!conn.ok()) slot.side->OnPeerLost(now_ns_);
  return id;
}

bool MigrationManager::SendFor(uint64_t id, const PeerMessage& m) {
  auto it = active_.find(id);
  if (it == active_.end()) return false;
  Active& a = it->second;
  if (link_.Send(a.conn, m)) return true;
  if (!a.source()) return false;  // a destination answers on the connection it was reached by
  auto conn = link_.ConnectTo(a.peer_endpoint);
  if (!conn.ok()) return false;
  a.conn = *conn;
  return link_.Send(a.conn, m);
}

void MigrationManager::OnPeerMessage(PeerLink::ConnId conn, const PeerMessage& m) {
  auto it = active_.find(m.migration_id);
  if (it != active_.end()) {
    Active& a = it->second;
    if (!a.source()) a.conn = conn;  // a destination answers where the source is now
    a.side->OnMessage(m, now_ns_);
    return;
  }
  PeerMessage reply;
  reply.migration_id = m.migration_id;
  if (m.type == MsgType::kPrepare) {
    std::string refuse;
    if (vms_.count(m.vm.name) != 0) refuse = "VM " + m.vm.name + " already runs on this host";
    auto hv = refuse.empty() ? factory_(m.vm, true, m.migration_id, m.follow) : Status::Error(refuse);
    if (!hv.ok()) {
      reply.type = MsgType::kRefused;
      reply.reason = hv.error();
      link_.Send(conn, reply);
      return;
    }
    std::string from = tun::FormatIpv4(m.source_ip);
    for (const PeerSpec& p : options_.peers) {  // a configured peer behind that address goes by its name
      const tun::TunnelEntry* t = datapath_.tunnels()->FindByOfport(p.tunnel_ofport);
      if (t != nullptr && t->remote_ip == m.source_ip) from = p.name;
    }
    Active a;
    a.conn = conn;
    const uint64_t id = m.migration_id;
    a.side = std::make_unique<DestinationMigration>(
        m, from, std::move(hv).value(), mover_, [this, id](const PeerMessage& r) { return SendFor(id, r); },
        options_.settings);
    active_[id] = std::move(a);
    active_[id].side->Start(now_ns_);
    return;
  }
  // A migration this host no longer runs: answer what can be answered.
  if (m.type == MsgType::kAbort || m.type == MsgType::kCommit) {
    reply.type = MsgType::kAck;
    reply.acked = m.type;
    link_.Send(conn, reply);
  }
}

void MigrationManager::OnPeerClosed(PeerLink::ConnId conn, const std::string& reason) {
  for (auto& [id, a] : active_) {
    if (a.conn != conn) continue;
    HASHI_LOG_INFO("migration", "%llu: peer connection lost: %s", static_cast<unsigned long long>(id), reason.c_str());
    a.side->OnPeerLost(now_ns_);
  }
}

void MigrationManager::Poll(uint64_t now_ns) {
  now_ns_ = now_ns;
  link_.Poll(now_ns, *this);
  std::vector<uint64_t> done;
  for (auto& [id, a] : active_) {
    a.side->Poll(now_ns);
    if (a.side->finished()) done.push_back(id);
  }
  for (uint64_t id : done) Retire(id);
  mover_.Poll(now_ns);
}

void MigrationManager::Retire(uint64_t id) {
  auto it = active_.find(id);
  const MigrationRecord& r = it->second.record();
  if (r.phase == Phase::kDone) {
    if (r.role == Role::kSource) vms_.erase(r.vm.name); else vms_[r.vm.name] = r.vm;
  }
  HASHI_LOG_INFO("migration", "%s", FormatReport(r).c_str());
  history_.push_front(r);
  if (history_.size() > kHistory) history_.pop_back();
  active_.erase(it);
}

std::vector<MigrationRecord> MigrationManager::Records() const {
  std::vector<MigrationRecord> out;
  for (const auto& [id, a] : active_) out.push_back(a.record());
  out.insert(out.end(), history_.begin(), history_.end());
  return out;
}

Result<MigrationRecord> MigrationManager::Record(uint64_t id) const {
  auto it = active_.find(id);
  if (it != active_.end()) return it->second.record();
  for (const MigrationRecord& r : history_) {
    if (r.id == id) return r;
  }
  return Status::Error("no migration " + std::to_string(id));
}

void MigrationManager::Shutdown() {
  link_.Shutdown();
  mover_.DetachAll();
}

}  // namespace hashi::mig
