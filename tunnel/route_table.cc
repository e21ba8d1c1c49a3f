// Underlay route lookup (control thread).
#include "tunnel/route_table.h"

namespace hashi::tun {

void RouteTable::AddConnected(unsigned uplink, const Ipv4Prefix& address) {
  Route r;
  r.prefix = address;
  r.prefix.addr &= address.Mask();
  r.uplink = uplink;
  r.connected = true;
  routes_.push_back(r);
}

Status RouteTable::Add(const RouteSpec& spec) {
  const Route* via = nullptr;
  for (const Route& r : routes_) {
    if (r.connected && r.prefix.Contains(spec.gateway)) via = &r;
  }
  if (via == nullptr) {
    return Status::Error("gateway " + FormatIpv4(spec.gateway) + " is not on any uplink's subnet");
  }
  Route r;
  r.prefix = spec.prefix;
  r.gateway = spec.gateway;
  r.uplink = via->uplink;
  for (Route& old : routes_) {
    if (!old.connected && old.prefix.addr == r.prefix.addr && old.prefix.len == r.prefix.len) {
      old = r;
      return Status::Ok();
    }
  }
  routes_.push_back(r);
  return Status::Ok();
}

Status RouteTable::Remove(const Ipv4Prefix& prefix) {
  const uint32_t addr = prefix.addr & prefix.Mask();
  for (auto it = routes_.begin(); it != routes_.end(); ++it) {
    if (!it->connected && it->prefix.addr == addr && it->prefix.len == prefix.len) {
      routes_.erase(it);
      return Status::Ok();
    }
  }
  return Status::Error("no static route " + FormatIpv4Prefix(Ipv4Prefix{addr, prefix.len}));
}

std::optional<NextHop> RouteTable::Lookup(uint32_t dst) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.prefix.Contains(dst)) continue;
    // Longer prefixes win; at equal length a connected route beats a static one.
    if (best == nullptr || r.prefix.len > best->prefix.len ||
        (r.prefix.len == best->prefix.len && r.connected && !best->connected)) {
      best = &r;
    }
  }
  if (best == nullptr) return std::nullopt;
  return NextHop{best->connected ? dst : best->gateway, best->uplink};
}

}  // namespace hashi::tun
