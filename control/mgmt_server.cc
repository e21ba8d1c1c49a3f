// MgmtServer: the unix socket, line framing and JSON dispatch.
#include "control/mgmt_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/openflow/endpoint.h"

namespace hashi::ctl {

MgmtServer::~MgmtServer() {
  if (listen_fd_.valid()) ::unlink(path_.c_str());
}

Status MgmtServer::Listen(const std::string& path) {
  auto e = of::ParseEndpoint("punix:" + path);
  if (!e.ok()) return e.status();
  // A socket someone still answers on belongs to another hashi: keep it.
  auto probe = of::ParseEndpoint("unix:" + path);
  if (probe.ok()) {
    Fd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    if (fd.valid() && connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
      return Status::Error("management socket " + path + " is in use by another hashi (give --mgmt PATH)");
    }
  }
  auto fd = of::Listen(*e);
  if (!fd.ok()) return Status::Error("management socket " + path + ": " + fd.error());
  chmod(path.c_str(), 0600);
  listen_fd_ = std::move(fd).value();
  path_ = path;
  Register("help", "help: list the commands", [this](const std::vector<std::string>&) -> Result<MgmtReply> {
    MgmtReply r;
    r.data = nlohmann::json::array();
    for (const auto& [name, c] : commands_) {
      r.text += c.usage + "\n";
      r.data.push_back(c.usage);
    }
    return r;
  });
  return Status::Ok();
}

void MgmtServer::Register(const std::string& name, const std::string& usage, Handler handler) {
  commands_[name] = Command{usage, std::move(handler)};
}

std::string MgmtServer::Answer(const std::string& line) {
  nlohmann::json reply;
  try {
    const nlohmann::json req = nlohmann::json::parse(line);
    if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string()) {
      throw std::runtime_error("request needs a \"cmd\" string");
    }
    std::vector<std::string> args;
    if (req.contains("args")) {
      if (!req["args"].is_array()) throw std::runtime_error("\"args\" must be an array of strings");
      for (const auto& a : req["args"]) {
        if (!a.is_string()) throw std::runtime_error("\"args\" must be an array of strings");
        args.push_back(a.get<std::string>());
      }
    }
    const std::string cmd = req["cmd"].get<std::string>();
    auto it = commands_.find(cmd);
    if (it == commands_.end()) throw std::runtime_error("unknown command '" + cmd + "' (try help)");
    Result<MgmtReply> r = it->second.handler(args);
    if (r.ok()) {
      reply = {{"ok", true}, {"text", r->text}, {"data", r->data}};
    } else {
      reply = {{"ok", false}, {"error", r.error()}, {"usage", it->second.usage}};
    }
  } catch (const std::exception& e) {  // malformed JSON or request: answer, keep going
    reply = {{"ok", false}, {"error", e.what()}};
  }
  return reply.dump() + "\n";
}

void MgmtServer::Poll(int timeout_ms) {
  if (!listen_fd_.valid()) return;
  std::vector<pollfd> pfds;
  pfds.push_back(pollfd{listen_fd_.get(), POLLIN, 0});
  for (const Client& c : clients_) pfds.push_back(pollfd{c.fd.get(), POLLIN, 0});
  if (poll(pfds.data(), pfds.size(), timeout_ms) <= 0) return;
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (!(pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    Client& c = clients_[i];
    char buf[4096];
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      c.fd.Reset();
      continue;
    }
    c.in.append(buf, static_cast<size_t>(n));
    if (c.in.size() > (1u << 20)) {  // no newline in 1 MiB: not a client of ours
      c.fd.Reset();
      continue;
    }
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos) {
      const std::string out = Answer(c.in.substr(0, nl));
      c.in.erase(0, nl + 1);
      // Replies are small except dumps; write them out, waiting if needed.
      size_t off = 0;
      while (off < out.size()) {
        const ssize_t w = ::send(c.fd.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (w > 0) {
          off += static_cast<size_t>(w);
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
          pollfd p{c.fd.get(), POLLOUT, 0};
          if (poll(&p, 1, 1000) <= 0) break;
        } else {
          break;
        }
      }
    }
  }
  std::erase_if(clients_, [](const Client& c) { return !c.fd.valid(); });
  if (pfds[0].revents & POLLIN) {
    for (;;) {
      std::string peer;
      Fd fd = of::Accept(listen_fd_.get(), &peer);
      if (!fd.valid()) break;
      if (clients_.size() < 16) clients_.push_back(Client{std::move(fd), {}});
    }
  }
}

}  // namespace hashi::ctl
