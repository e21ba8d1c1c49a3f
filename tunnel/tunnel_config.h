// Tunnel and underlay configuration as the operator writes it (cold path):
// GRE tunnel ports, uplinks with their IPv4 address, static routes and static
// neighbours, with the parsers the daemon's options and hashictl share.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace hashi::tun {

// IPv4 addresses are host-order 32-bit values; MACs are 48 bits packed
// big-endian in a uint64_t (as dp::FlowKey keeps them).
Result<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t ip);
Result<uint64_t> ParseMac(const std::string& text);
std::string FormatMac(uint64_t mac);

struct Ipv4Prefix {
  uint32_t addr = 0;  // as written (an uplink keeps its host bits)
  uint8_t len = 0;
  uint32_t Mask() const { return len == 0 ? 0 : ~0u << (32 - len); }
  bool Contains(uint32_t ip) const { return ((ip ^ addr) & Mask()) == 0; }
};
// "10.1.0.1/24", "10.1.0.0/16", or "default" (0.0.0.0/0).
Result<Ipv4Prefix> ParseIpv4Prefix(const std::string& text);
std::string FormatIpv4Prefix(const Ipv4Prefix& p);

enum class KeyMode : uint8_t { kNone, kFixed, kFlow };

// A GRE tunnel port ("gretap": Ethernet over GRE, protocol 0x6558).
struct TunnelSpec {
  std::string name;
  uint32_t ofport = 0;
  uint32_t remote_ip = 0;
  uint32_t local_ip = 0;       // 0: the address of the uplink the route uses
  KeyMode key_mode = KeyMode::kNone;
  uint32_t key = 0;            // kFixed only
  bool csum = false;           // send the GRE checksum (RFC 2784)
  bool ttl_inherit = false;    // outer TTL from the inner IPv4 packet
  uint8_t ttl = 64;
  bool tos_inherit = false;    // outer ToS from the inner IPv4 packet
  uint8_t tos = 0;
};

// Parses "NAME:OFPORT:OPTIONS" where OPTIONS is comma-separated
// remote_ip=IP (required), local_ip=IP, key=N|flow, csum=true|false,
// ttl=N|inherit, tos=N|inherit.
Result<TunnelSpec> ParseTunnelSpec(const std::string& text);
// Parses OPTIONS alone into spec (name and ofport untouched).
Status ParseTunnelOptions(const std::string& options, TunnelSpec* spec);
std::string FormatTunnelOptions(const TunnelSpec& spec);

// An uplink: a DPDK port that carries the underlay, with hashi's address on it.
struct UplinkSpec {
  std::string name;
  Ipv4Prefix address;
  std::string devargs;
};
// Parses "NAME:IP/LEN:DEVARGS", e.g. "wan:10.1.0.1/24:net_af_packet9,iface=wan0".
Result<UplinkSpec> ParseUplinkSpec(const std::string& text);

struct RouteSpec {
  Ipv4Prefix prefix;
  uint32_t gateway = 0;
};
// Parses "PREFIX:GATEWAY", e.g. "default:10.1.0.254" or "10.2.0.0/16:10.1.0.254".
Result<RouteSpec> ParseRouteSpec(const std::string& text);

struct NeighborSpec {
  uint32_t ip = 0;
  uint64_t mac = 0;
};
// Parses "IP:MAC" (or "IP=MAC"), e.g. "10.1.0.254:02:00:00:00:00:fe".
Result<NeighborSpec> ParseNeighborSpec(const std::string& text);

}  // namespace hashi::tun
