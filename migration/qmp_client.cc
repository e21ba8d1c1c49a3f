// QmpClient: socket, line framing, negotiation, commands and events.
#include "migration/qmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace hashi::mig {

namespace {

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

Result<std::unique_ptr<QmpClient>> QmpClient::Connect(const std::string& path, int timeout_ms) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return Status::Error("QMP socket path too long: " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last_error;
  while (true) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return Status::Error(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::unique_ptr<QmpClient> c(new QmpClient(std::move(fd), path));
      // The greeting, then capabilities: QMP accepts commands only after that.
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now()).count());
      HASHI_RETURN_IF_ERROR(c->ReadLines(left > 1000 ? left : 1000));
      if (c->answers_.empty() || !c->answers_.front().contains("QMP")) {
        return Status::Error("QMP " + path + ": no greeting");
      }
      c->answers_.pop_front();
      auto caps = c->Call("qmp_capabilities");
      if (!caps.ok()) return Status::Error("QMP " + path + ": " + caps.error());
      return c;
    }
    last_error = std::strerror(errno);
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Error("cannot connect to QMP at " + path + ": " + last_error);
}

Status QmpClient::ReadLines(int wait_ms) {
  if (!fd_.valid()) return Status::Error("QMP " + path_ + ": connection closed");
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, wait_ms) <= 0) return Status::Ok();
  char buf[8192];
  while (true) {
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      fd_.Reset();
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    fd_.Reset();
    break;
  }
  for (size_t nl = in_.find('\n'); nl != std::string::npos; nl = in_.find('\n')) {
    const std::string line = in_.substr(0, nl);
    in_.erase(0, nl + 1);
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // not QMP: ignore the line
    if (j.contains("event")) {
      events_.push_back(QmpEvent{j.value("event", ""), j.contains("data") ? j["data"] : nlohmann::json(), SteadyNs()});
    } else {
      answers_.push_back(std::move(j));
    }
  }
  return fd_.valid() ? Status::Ok() : Status::Error("QMP " + path_ + ": QEMU closed the connection");
}

Result<nlohmann::json> QmpClient::Call(const std::string& cmd, const nlohmann::json& args, int timeout_ms) {
  if (!fd_.valid()) return Status::Error("QMP " + path_ + ": connection closed");
  const uint64_t id = next_id_++;
  nlohmann::json req = {{"execute", cmd}, {"id", id}};
  if (!args.is_null()) req["arguments"] = args;
  const std::string text = req.dump() + "\n";
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::send(fd_.get(), text.data() + off, text.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Error("QMP " + path_ + ": send: " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    for (auto it = answers_.begin(); it != answers_.end(); ++it) {
      if (!it->contains("id") || (*it)["id"] != id) continue;
      nlohmann::json a = std::move(*it);
      answers_.erase(it);
      if (a.contains("error")) {
        return Status::Error(cmd + ": " + a["error"].value("desc", std::string("QEMU refused")));
      }
      return a.contains("return") ? a["return"] : nlohmann::json::object();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Error("QMP " + path_ + ": no answer to " + cmd + " within " + std::to_string(timeout_ms) + " ms");
    HASHI_RETURN_IF_ERROR(ReadLines(static_cast<int>(left.count())));
  }
}

std::deque<QmpEvent> QmpClient::TakeEvents() {
  (void)ReadLines(0);
  std::deque<QmpEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace hashi::mig
