// Parsing and formatting of tunnel, uplink, route and neighbour settings.
#include "tunnel/tunnel_config.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace hashi::tun {
namespace {

bool ToUnsigned(const std::string& s, unsigned long max, unsigned long* out) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  char* end = nullptr;
  const int base = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
  const unsigned long v = std::strtoul(s.c_str(), &end, base);
  if (*end != '\0' || v > max) return false;
  *out = v;
  return true;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

}  // namespace

Result<uint32_t> ParseIpv4(const std::string& text) {
  const auto parts = Split(text, '.');
  if (parts.size() != 4 || text.back() == '.') return Status::Error("bad IPv4 address '" + text + "'");
  uint32_t ip = 0;
  for (const auto& p : parts) {
    unsigned long v;
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
        !ToUnsigned(p, 255, &v)) {
      return Status::Error("bad IPv4 address '" + text + "'");
    }
    ip = ip << 8 | static_cast<uint32_t>(v);
  }
  return ip;
}

std::string FormatIpv4(uint32_t ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
  return buf;
}

Result<uint64_t> ParseMac(const std::string& text) {
  const auto parts = Split(text, ':');
  if (parts.size() != 6 || text.back() == ':') return Status::Error("bad MAC address '" + text + "'");
  uint64_t mac = 0;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 2 || p.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return Status::Error("bad MAC address '" + text + "'");
    }
    mac = mac << 8 | std::strtoul(p.c_str(), nullptr, 16);
  }
  return mac;
}

std::string FormatMac(uint64_t mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(mac >> 40 & 255),
                unsigned(mac >> 32 & 255), unsigned(mac >> 24 & 255), unsigned(mac >> 16 & 255),
                unsigned(mac >> 8 & 255), unsigned(mac & 255));
  return buf;
}

Result<Ipv4Prefix> ParseIpv4Prefix(const std::string& text) {
  if (text == "default") return Ipv4Prefix{0, 0};
  const size_t slash = text.find('/');
  auto ip = ParseIpv4(text.substr(0, slash));
  if (!ip.ok()) return ip.status();
  unsigned long len = 32;
  if (slash != std::string::npos && !ToUnsigned(text.substr(slash + 1), 32, &len)) {
    return Status::Error("bad prefix length in '" + text + "' (0..32)");
  }
  return Ipv4Prefix{*ip, static_cast<uint8_t>(len)};
}

std::string FormatIpv4Prefix(const Ipv4Prefix& p) { return FormatIpv4(p.addr) + "/" + std::to_string(p.len); }

Status ParseTunnelOptions(const std::string& options, TunnelSpec* s) {
  bool have_remote = false;
  for (const auto& kv : Split(options, ',')) {
    if (kv.empty()) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) return Status::Error("tunnel option '" + kv + "' needs a value (NAME=VALUE)");
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    unsigned long n;
    if (k == "remote_ip") {
      auto ip = ParseIpv4(v);
      if (!ip.ok()) return ip.status();
      if (*ip == 0 || *ip >> 28 == 14 || *ip == ~0u) return Status::Error("remote_ip must be a unicast address");
      s->remote_ip = *ip;
      have_remote = true;
    } else if (k == "local_ip") {
      auto ip = ParseIpv4(v);
      if (!ip.ok()) return ip.status();
      s->local_ip = *ip;
    } else if (k == "key") {
      if (v == "flow") {
        s->key_mode = KeyMode::kFlow;
      } else if (ToUnsigned(v, 0xffffffffu, &n)) {
        s->key_mode = KeyMode::kFixed;
        s->key = static_cast<uint32_t>(n);
      } else {
        return Status::Error("bad key '" + v + "' (0..4294967295 or flow)");
      }
    } else if (k == "csum") {
      if (v != "true" && v != "false") return Status::Error("bad csum '" + v + "' (true, false)");
      s->csum = v == "true";
    } else if (k == "ttl") {
      if (v == "inherit") {
        s->ttl_inherit = true;
      } else if (ToUnsigned(v, 255, &n) && n > 0) {
        s->ttl_inherit = false;
        s->ttl = static_cast<uint8_t>(n);
      } else {
        return Status::Error("bad ttl '" + v + "' (1..255 or inherit)");
      }
    } else if (k == "tos") {
      if (v == "inherit") {
        s->tos_inherit = true;
      } else if (ToUnsigned(v, 255, &n)) {
        s->tos_inherit = false;
        s->tos = static_cast<uint8_t>(n);
      } else {
        return Status::Error("bad tos '" + v + "' (0..255 or inherit)");
      }
    } else {
      return Status::Error("unknown tunnel option '" + k + "' (remote_ip, local_ip, key, csum, ttl, tos)");
    }
  }
  if (!have_remote && s->remote_ip == 0) return Status::Error("tunnel needs remote_ip=IP");
  return Status::Ok();
}

Result<TunnelSpec> ParseTunnelSpec(const std::string& text) {
  const size_t a = text.find(':');
  const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos) return Status::Error("bad tunnel '" + text + "': expected NAME:OFPORT:OPTIONS");
  TunnelSpec s;
  s.name = text.substr(0, a);
  unsigned long port;
  if (s.name.empty() || !ToUnsigned(text.substr(a + 1, b - a - 1), 4095, &port) || port == 0) {
    return Status::Error("bad tunnel '" + text + "': OFPORT must be 1..4095");
  }
  s.ofport = static_cast<uint32_t>(port);
  if (Status st = ParseTunnelOptions(text.substr(b + 1), &s); !st.ok()) {
    return Status::Error("tunnel " + s.name + ": " + st.message());
  }
  return s;
}

std::string FormatTunnelOptions(const TunnelSpec& s) {
  std::string out = "remote_ip=" + FormatIpv4(s.remote_ip);
  if (s.local_ip) out += ",local_ip=" + FormatIpv4(s.local_ip);
  if (s.key_mode == KeyMode::kFixed) out += ",key=" + std::to_string(s.key);
  if (s.key_mode == KeyMode::kFlow) out += ",key=flow";
  if (s.csum) out += ",csum=true";
  out += s.ttl_inherit ? ",ttl=inherit" : ",ttl=" + std::to_string(s.ttl);
  out += s.tos_inherit ? ",tos=inherit" : ",tos=" + std::to_string(s.tos);
  return out;
}

Result<UplinkSpec> ParseUplinkSpec(const std::string& text) {
  const size_t a = text.find(':');
  const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos) return Status::Error("bad uplink '" + text + "': expected NAME:IP/LEN:DEVARGS");
  UplinkSpec u;
  u.name = text.substr(0, a);
  u.devargs = text.substr(b + 1);
  const std::string addr = text.substr(a + 1, b - a - 1);
  if (addr.find('/') == std::string::npos) return Status::Error("uplink " + u.name + ": address needs /LEN");
  auto p = ParseIpv4Prefix(addr);
  if (!p.ok()) return Status::Error("uplink " + u.name + ": " + p.error());
  if (p->len == 0 || (p->len > 30 && p->len != 32)) {
    return Status::Error("uplink " + u.name + ": prefix length must be 1..30 or 32");
  }
  u.address = *p;
  if (u.name.empty() || u.devargs.empty()) return Status::Error("bad uplink '" + text + "': name and device needed");
  return u;
}

Result<RouteSpec> ParseRouteSpec(const std::string& text) {
  const size_t c = text.rfind(':');
  if (c == std::string::npos) return Status::Error("bad route '" + text + "': expected PREFIX:GATEWAY");
  auto p = ParseIpv4Prefix(text.substr(0, c));
  if (!p.ok()) return Status::Error("route: " + p.error());
  auto gw = ParseIpv4(text.substr(c + 1));
  if (!gw.ok()) return Status::Error("route: gateway: " + gw.error());
  RouteSpec r;
  r.prefix = *p;
  r.prefix.addr &= r.prefix.Mask();
  r.gateway = *gw;
  return r;
}

Result<NeighborSpec> ParseNeighborSpec(const std::string& text) {
  size_t c = text.find('=');
  if (c == std::string::npos) c = text.find(':');
  if (c == std::string::npos) return Status::Error("bad neighbor '" + text + "': expected IP:MAC");
  auto ip = ParseIpv4(text.substr(0, c));
  if (!ip.ok()) return Status::Error("neighbor: " + ip.error());
  auto mac = ParseMac(text.substr(c + 1));
  if (!mac.ok()) return Status::Error("neighbor: " + mac.error());
  if ((*mac >> 40) & 1) return Status::Error("neighbor: " + FormatMac(*mac) + " is a multicast MAC");
  return NeighborSpec{*ip, *mac};
}

}  // namespace hashi::tun
