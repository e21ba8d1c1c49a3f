// Endpoint parsing and the socket calls behind listeners and connectors.
#include "control/openflow/endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace hashi::of {
namespace {

Status Errno(const std::string& call) { return Status::Error(call + ": " + std::strerror(errno)); }

bool ParsePortNumber(const std::string& s, uint16_t* port) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long v = std::stoul(s);
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool ValidIpv4(const std::string& s) {
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

void SetCommonOptions(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

Result<Endpoint> ParseEndpoint(const std::string& text) {
  Endpoint e;
  e.text = text;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    return Status::Error("bad endpoint '" + text + "': expected tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH, "
                         "ptcp:[PORT][:IP], pssl:[PORT][:IP] or punix:PATH");
  }
  std::string kind = text.substr(0, colon);
  const std::string rest = text.substr(colon + 1);
  if (kind.size() > 1 && kind[0] == 'p') {
    e.passive = true;
    kind = kind.substr(1);
  }
  if (kind == "unix") {
    e.kind = Endpoint::Kind::kUnix;
    if (rest.empty() || rest.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Status::Error("bad endpoint '" + text + "': unix socket path empty or too long");
    }
    e.path = rest;
    return e;
  }
  if (kind != "tcp" && kind != "ssl") {
    return Status::Error("bad endpoint '" + text + "': unknown kind '" + kind + "'");
  }
  e.tls = kind == "ssl";
  const size_t c2 = rest.find(':');
  std::string first = rest.substr(0, c2), second = c2 == std::string::npos ? "" : rest.substr(c2 + 1);
  if (e.passive) {  // p*:[PORT][:IP]
    if (!first.empty() && !ParsePortNumber(first, &e.port)) {
      return Status::Error("bad endpoint '" + text + "': bad port '" + first + "'");
    }
    if (!second.empty() && !ValidIpv4(second)) {
      return Status::Error("bad endpoint '" + text + "': bad IPv4 address '" + second + "'");
    }
    e.host = second;
  } else {  // tcp:IP[:PORT]
    if (!ValidIpv4(first)) return Status::Error("bad endpoint '" + text + "': bad IPv4 address '" + first + "'");
    if (!second.empty() && !ParsePortNumber(second, &e.port)) {
      return Status::Error("bad endpoint '" + text + "': bad port '" + second + "'");
    }
    e.host = first;
  }
  return e;
}

Result<Fd> Listen(const Endpoint& e) {
  if (e.kind == Endpoint::Kind::kUnix) {
    Fd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    if (!fd.valid()) return Errno("socket(AF_UNIX)");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, e.path.c_str(), sizeof(sa.sun_path) - 1);
    ::unlink(e.path.c_str());  // a stale socket file from an earlier run
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return Errno("bind(" + e.path + ")");
    if (listen(fd.get(), 16) != 0) return Errno("listen(" + e.path + ")");
    SetCommonOptions(fd.get());
    return fd;
  }
  Fd fd(socket(AF_INET, SOCK_STREAM, 0));
  if (!fd.valid()) return Errno("socket(AF_INET)");
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(e.port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!e.host.empty()) inet_pton(AF_INET, e.host.c_str(), &sa.sin_addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return Errno("bind(" + e.text + ")");
  }
  if (listen(fd.get(), 16) != 0) return Errno("listen(" + e.text + ")");
  SetCommonOptions(fd.get());
  return fd;
}

Result<Fd> StartConnect(const Endpoint& e) {
  Fd fd;
  int rc;
  if (e.kind == Endpoint::Kind::kUnix) {
    fd = Fd(socket(AF_UNIX, SOCK_STREAM, 0));
    if (!fd.valid()) return Errno("socket(AF_UNIX)");
    SetCommonOptions(fd.get());
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, e.path.c_str(), sizeof(sa.sun_path) - 1);
    rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  } else {
    fd = Fd(socket(AF_INET, SOCK_STREAM, 0));
    if (!fd.valid()) return Errno("socket(AF_INET)");
    SetCommonOptions(fd.get());
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(e.port);
    inet_pton(AF_INET, e.host.c_str(), &sa.sin_addr);
    rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  if (rc != 0 && errno != EINPROGRESS) return Errno("connect(" + e.text + ")");
  return fd;
}

Status ConnectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Errno("getsockopt(SO_ERROR)");
  if (err != 0) return Status::Error(std::string("connect: ") + std::strerror(err));
  return Status::Ok();
}

Fd Accept(int listen_fd, std::string* peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  Fd fd(accept(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len));
  if (!fd.valid()) return fd;
  SetCommonOptions(fd.get());
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    *peer = std::string(buf) + ":" + std::to_string(ntohs(sin->sin_port));
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  } else {
    *peer = "unix";
  }
  return fd;
}

}  // namespace hashi::of
