// RouteTable: the underlay's IPv4 routes (control thread only). Each uplink's
// subnet is a connected route; static routes name a gateway, and the uplink
// they leave by is the one whose subnet holds the gateway. Lookup is a
// longest-prefix match over a short list: it runs when a tunnel's template is
// built, never per packet.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"
#include "tunnel/tunnel_config.h"

namespace hashi::tun {

struct Route {
  Ipv4Prefix prefix;
  uint32_t gateway = 0;   // 0: connected (the destination is the next hop)
  unsigned uplink = 0;    // index into the uplink list
  bool connected = false;
};

struct NextHop {
  uint32_t ip = 0;        // the neighbour to resolve
  unsigned uplink = 0;
};

class RouteTable {
 public:
  // Adds the connected route of uplink index `uplink` with address `address`.
  void AddConnected(unsigned uplink, const Ipv4Prefix& address);
  // Adds or replaces a static route; its gateway must be on a connected subnet.
  Status Add(const RouteSpec& spec);
  Status Remove(const Ipv4Prefix& prefix);
  // Longest-prefix match; nullopt when nothing routes dst.
  std::optional<NextHop> Lookup(uint32_t dst) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace hashi::tun
