// OpenFlow connection endpoints as Open vSwitch spells them: active
// "tcp:IP[:PORT]", "ssl:IP[:PORT]", "unix:PATH" and passive
// "ptcp:[PORT][:IP]", "pssl:[PORT][:IP]", "punix:PATH". Parsing, listening
// and non-blocking connecting; TLS sessions are layered on top by the
// connection (ssl/pssl need certificate, key and CA files).
#pragma once

#include <cstdint>
#include <string>

#include "common/fd.h"
#include "common/status.h"

namespace hashi::of {

inline constexpr uint16_t kDefaultOpenFlowPort = 6653;

struct Endpoint {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  bool passive = false;
  bool tls = false;
  std::string host;  // IPv4 address (tcp); bind address for ptcp ("" = any)
  uint16_t port = kDefaultOpenFlowPort;
  std::string path;  // unix socket path
  std::string text;  // as given, for logs
};

Result<Endpoint> ParseEndpoint(const std::string& text);

// A listening, non-blocking socket for a passive endpoint.
Result<Fd> Listen(const Endpoint& e);
// Starts a non-blocking connect; completion shows as writability, and
// ConnectResult() then tells whether it succeeded.
Result<Fd> StartConnect(const Endpoint& e);
Status ConnectResult(int fd);
// Accepts one pending connection (non-blocking); an invalid Fd when none.
Fd Accept(int listen_fd, std::string* peer);

}  // namespace hashi::of
