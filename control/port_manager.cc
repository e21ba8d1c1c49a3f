// PortManager: opening devices, queue assignment and the first PortMap.
#include "control/port_manager.h"

#include <algorithm>
#include <chrono>

#include <cstdlib>
#include <set>

#include <rte_ethdev.h>

#include "common/log.h"

namespace hashi::ctl {
namespace {

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Result<PortSpec> ParsePortSpec(const std::string& text) {
  const size_t a = text.find(':');
  const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos) {
    return Status::Error("bad port '" + text + "': expected NAME:OFPORT:DEVARGS");
  }
  PortSpec s;
  s.name = text.substr(0, a);
  const std::string num = text.substr(a + 1, b - a - 1);
  s.devargs = text.substr(b + 1);
  char* end = nullptr;
  const unsigned long v = std::strtoul(num.c_str(), &end, 10);
  if (s.name.empty() || num.empty() || *end != '\0' || v == 0 || v >= dp::kMaxOfPort) {
    return Status::Error("bad port '" + text + "': OFPORT must be 1.." +
                         std::to_string(dp::kMaxOfPort - 1));
  }
  if (s.devargs.empty()) return Status::Error("bad port '" + text + "': no device");
  s.ofport = static_cast<uint32_t>(v);
  return s;
}

Status PortManager::Open(const std::vector<PortSpec>& specs) {
  std::set<uint32_t> ofports;
  std::set<std::string> names;
  for (const PortSpec& s : specs) {
    if (!ofports.insert(s.ofport).second) {
      return Status::Error("OpenFlow port " + std::to_string(s.ofport) + " declared twice");
    }
    if (!names.insert(s.name).second) return Status::Error("port name '" + s.name + "' declared twice");
  }
  auto map = std::make_unique<dp::PortMap>();
  for (const PortSpec& s : specs) HASHI_RETURN_IF_ERROR(OpenOne(s, *map));
  datapath_.PublishPorts(std::move(map));
  return Status::Ok();
}

Status PortManager::CheckFree(const std::string& name, uint32_t ofport) const {
  for (const Open_& p : ports_) {
    if (ofport != 0 && p.spec.ofport == ofport) return Status::Error("OpenFlow port " + std::to_string(ofport) + " is in use");
    if (p.spec.name == name) return Status::Error("port name '" + name + "' is in use");
  }
  for (const TunnelPort_& t : tunnel_ports_) {
    if (ofport != 0 && t.spec.ofport == ofport) return Status::Error("OpenFlow port " + std::to_string(ofport) + " is in use");
    if (t.spec.name == name) return Status::Error("port name '" + name + "' is in use");
  }
  return Status::Ok();
}

Status PortManager::OpenOne(const PortSpec& s, dp::PortMap& map, bool uplink) {
  const unsigned workers = datapath_.num_workers();
  dpdk::EthPortConfig cfg;
  cfg.devargs = s.devargs;
  cfg.rx_queues = static_cast<uint16_t>(workers);
  cfg.tx_queues = static_cast<uint16_t>(workers + 1);
  cfg.min_tx_queues = static_cast<uint16_t>(workers);
  cfg.pool_for_socket = [this](int socket) { return PoolFor(socket); };
  auto port = dpdk::EthPort::Open(cfg);
  if (!port.ok()) return Status::Error("port " + s.name + ": " + port.error());
  if (port->id() >= dp::kMaxEthPorts) return Status::Error("port " + s.name + ": DPDK port id too large");
  datapath_.SetControlTxQueue(port->id(), port->tx_queues() > workers);
  for (uint16_t q = 0; q < port->rx_queues(); ++q) {
    map.AddRxQueue(next_worker_, dp::RxQueueRef{port->id(), q});
    next_worker_ = (next_worker_ + 1) % workers;
  }
  if (!uplink) {
    dp::PortBinding b;
    b.ofport = s.ofport;
    b.kind = dp::BindingKind::kLocal;
    b.eth_port = port->id();
    b.name = s.name;
    HASHI_RETURN_IF_ERROR(map.Bind(b));
  }
  HASHI_LOG_INFO("ports", "%s %s: OpenFlow %u, DPDK port %u (%s), %u rx queues", uplink ? "uplink" : "port",
                 s.name.c_str(), s.ofport, port->id(), s.devargs.c_str(), port->rx_queues());
  ports_.push_back(Open_{s, std::move(port).value(), true, true, SteadyNs(), uplink});
  return Status::Ok();
}

Status PortManager::AddPort(const PortSpec& spec, bool reserved) {
  HASHI_RETURN_IF_ERROR(CheckFree(spec.name, spec.ofport));
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  HASHI_RETURN_IF_ERROR(OpenOne(spec, *map));
  if (reserved) {
    dp::PortBinding b = *map->Find(spec.ofport);
    b.kind = dp::BindingKind::kReserved;
    HASHI_RETURN_IF_ERROR(map->Bind(b));
  }
  datapath_.PublishPorts(std::move(map));
  return Status::Ok();
}

Status PortManager::UpdateBinding(uint32_t ofport, const std::function<Status(dp::PortBinding&)>& change) {
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  const dp::PortBinding* b = map->Find(ofport);
  if (b == nullptr) return Status::Error("no logical port " + std::to_string(ofport));
  dp::PortBinding nb = *b;
  HASHI_RETURN_IF_ERROR(change(nb));
  HASHI_RETURN_IF_ERROR(map->Bind(nb));
  datapath_.PublishPorts(std::move(map));
  return Status::Ok();
}

Status PortManager::DeletePort(const std::string& name) {
  auto it = std::find_if(ports_.begin(), ports_.end(), [&](const Open_& p) { return p.spec.name == name; });
  if (it == ports_.end()) return Status::Error("no port named '" + name + "'");
  if (it->uplink) return Status::Error("'" + name + "' is an uplink, not an OpenFlow port");
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  HASHI_RETURN_IF_ERROR(map->Unbind(it->spec.ofport));
  map->RemoveRxQueues(it->port.id());
  datapath_.PublishPorts(std::move(map));
  datapath_.rcu().Synchronize();  // no worker polls it or holds packets for it now
  HASHI_LOG_INFO("ports", "port %s (OpenFlow %u) removed", name.c_str(), it->spec.ofport);
  ports_.erase(it);
  return Status::Ok();
}

Result<rte_mempool*> PortManager::PoolFor(int socket) {
  auto it = pools_.find(socket);
  if (it == pools_.end()) {
    auto pool = dpdk::Mempool::Create("hashi_mbufs_s" + std::to_string(socket), mbufs_per_socket_, socket);
    if (!pool.ok()) return pool.status();
    HASHI_LOG_INFO("ports", "mbuf pool for socket %d: %u mbufs", socket, mbufs_per_socket_);
    it = pools_.emplace(socket, std::move(pool).value()).first;
  }
  return it->second.get();
}

unsigned PortManager::MbufsInUse() const {
  unsigned n = 0;
  for (const auto& [socket, pool] : pools_) n += pool.InUse();
  return n;
}

std::vector<PortInfo> PortManager::List() const {
  std::vector<PortInfo> out;
  const dp::PortMap* map = datapath_.ports();
  for (const Open_& p : ports_) {
    if (p.uplink) continue;
    const dp::PortBinding* b = map->Find(p.spec.ofport);
    const dp::BindingKind kind = b != nullptr ? b->kind : dp::BindingKind::kLocal;
    // A VM's port is up as long as something carries its packets: its
    // device, its hold queue, or the tunnel after it moved away.
    const bool up = kind == dp::BindingKind::kLocal ? p.port.LinkUp() : kind != dp::BindingKind::kReserved;
    out.push_back(PortInfo{p.spec, p.port.id(), p.port.id(), false, up, kind, p.port.MacAddress(),
                           p.port.LinkSpeedMbps(), p.forward, p.receive, p.opened_ns});
  }
  for (const TunnelPort_& t : tunnel_ports_) {
    out.push_back(PortInfo{t.spec, kNoEthPort, t.counter_index, true, true, dp::BindingKind::kTunnel, 0, 0,
                           t.forward, t.receive, t.opened_ns});
  }
  return out;
}

Result<PortManager::UplinkDevice> PortManager::OpenUplink(const std::string& name, const std::string& devargs) {
  HASHI_RETURN_IF_ERROR(CheckFree(name, 0));
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  PortSpec spec{name, 0, devargs};
  HASHI_RETURN_IF_ERROR(OpenOne(spec, *map, true));
  datapath_.PublishPorts(std::move(map));
  const dpdk::EthPort& port = ports_.back().port;
  uint16_t mtu = 1500;
  if (rte_eth_dev_get_mtu(port.id(), &mtu) != 0) mtu = 1500;
  return UplinkDevice{port.id(), port.MacAddress(), mtu};
}

Status PortManager::AddTunnelPort(const std::string& name, uint32_t ofport, uint16_t counter_index) {
  HASHI_RETURN_IF_ERROR(CheckFree(name, ofport));
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  dp::PortBinding b;
  b.ofport = ofport;
  b.kind = dp::BindingKind::kTunnel;
  b.name = name;
  HASHI_RETURN_IF_ERROR(map->Bind(b));
  datapath_.PublishPorts(std::move(map));
  tunnel_ports_.push_back(TunnelPort_{PortSpec{name, ofport, ""}, counter_index, true, true, SteadyNs()});
  return Status::Ok();
}

Status PortManager::DeleteTunnelPort(const std::string& name) {
  auto it = std::find_if(tunnel_ports_.begin(), tunnel_ports_.end(),
                         [&](const TunnelPort_& t) { return t.spec.name == name; });
  if (it == tunnel_ports_.end()) return Status::Error("no tunnel port named '" + name + "'");
  auto map = std::make_unique<dp::PortMap>(*datapath_.ports());
  HASHI_RETURN_IF_ERROR(map->Unbind(it->spec.ofport));
  datapath_.PublishPorts(std::move(map));
  datapath_.rcu().Synchronize();
  tunnel_ports_.erase(it);
  return Status::Ok();
}

const PortSpec* PortManager::FindByEthPort(uint16_t eth_port) const {
  for (const Open_& p : ports_) {
    if (p.port.id() == eth_port) return &p.spec;
  }
  return nullptr;
}

Result<PortInfo> PortManager::Find(uint32_t ofport) const {
  for (const PortInfo& p : List()) {
    if (p.spec.ofport == ofport) return p;
  }
  return Status::Error("no port with OpenFlow number " + std::to_string(ofport));
}

Status PortManager::SetForwarding(uint32_t ofport, bool forward, bool receive) {
  bool* fwd_flag = nullptr;
  bool* recv_flag = nullptr;
  for (Open_& p : ports_) {
    if (p.spec.ofport == ofport && !p.uplink) fwd_flag = &p.forward, recv_flag = &p.receive;
  }
  for (TunnelPort_& t : tunnel_ports_) {
    if (t.spec.ofport == ofport) fwd_flag = &t.forward, recv_flag = &t.receive;
  }
  if (fwd_flag == nullptr) return Status::Error("no port with OpenFlow number " + std::to_string(ofport));
  const dp::PortMap* current = datapath_.ports();
  auto map = std::make_unique<dp::PortMap>(*current);
  const dp::PortBinding* b = map->Find(ofport);
  if (b == nullptr) return Status::Error("port " + std::to_string(ofport) + " has no binding");
  dp::PortBinding nb = *b;
  nb.admin_up = forward;
  nb.receive = receive;
  HASHI_RETURN_IF_ERROR(map->Bind(nb));
  if (nb.kind == dp::BindingKind::kLocal) map->SetRxOfport(nb.eth_port, receive ? ofport : 0);
  datapath_.PublishPorts(std::move(map));
  *fwd_flag = forward;
  *recv_flag = receive;
  return Status::Ok();
}

Result<rte_mempool*> PortManager::ControlPool() {
  if (!pools_.empty()) return pools_.begin()->second.get();
  return PoolFor(0);
}

}  // namespace hashi::ctl
