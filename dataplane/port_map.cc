// PortMap construction (control side only).
#include "dataplane/port_map.h"

namespace hashi::dp {

Status PortMap::Bind(const PortBinding& b) {
  if (b.ofport == 0 || b.ofport >= kMaxOfPort) {
    return Status::Error("OpenFlow port number " + std::to_string(b.ofport) +
                         " out of range 1.." + std::to_string(kMaxOfPort - 1));
  }
  if (b.kind == BindingKind::kLocal && b.eth_port >= kMaxEthPorts) {
    return Status::Error("DPDK port id " + std::to_string(b.eth_port) + " out of range");
  }
  if (b.kind == BindingKind::kHold && b.move == nullptr) {
    return Status::Error("hold binding for port " + std::to_string(b.ofport) + " has no queue");
  }
  if (b.kind == BindingKind::kRemote && (b.remote_tunnel == 0 || b.remote_tunnel >= kMaxOfPort)) {
    return Status::Error("remote binding for port " + std::to_string(b.ofport) + " names no tunnel");
  }
  uint16_t s = slot_of_ofport_[b.ofport];
  if (s == kNoSlot) {
    s = static_cast<uint16_t>(bindings_.size());
    bindings_.push_back(b);
    slot_of_ofport_[b.ofport] = s;
  } else {
    bindings_[s] = b;
  }
  if (b.kind == BindingKind::kLocal) rx_ofport_[b.eth_port] = b.ofport;
  Reindex();
  return Status::Ok();
}

Status PortMap::Unbind(uint32_t ofport) {
  if (ofport >= kMaxOfPort || slot_of_ofport_[ofport] == kNoSlot) {
    return Status::Error("no logical port " + std::to_string(ofport));
  }
  const uint16_t s = slot_of_ofport_[ofport];
  for (auto& rx : rx_ofport_) {
    if (rx == ofport) rx = 0;
  }
  bindings_.erase(bindings_.begin() + s);
  slot_of_ofport_.fill(kNoSlot);
  for (uint16_t i = 0; i < bindings_.size(); ++i) slot_of_ofport_[bindings_[i].ofport] = i;
  Reindex();
  return Status::Ok();
}

void PortMap::Reindex() {
  flush_slots_.clear();
  for (uint16_t i = 0; i < bindings_.size(); ++i) {
    const PortBinding& b = bindings_[i];
    if (b.move != nullptr && (b.kind == BindingKind::kLocal || b.kind == BindingKind::kRemote)) {
      flush_slots_.push_back(i);
    }
  }
}

}  // namespace hashi::dp
