// QmpClient: a client of QEMU's machine protocol (QMP) over its unix socket:
// the greeting and capability negotiation, commands with their answers
// matched by id, and asynchronous events kept in arrival order. Commands
// wait for their answer (QEMU answers in milliseconds; a bound turns a stuck
// QEMU into an error); events that arrive meanwhile are queued for
// TakeEvents(), which never blocks. Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <deque>
#include <memory>
#include <string>

#include "common/fd.h"
#include "common/status.h"

namespace hashi::mig {

struct QmpEvent {
  std::string name;     // "STOP", "RESUME", "MIGRATION", "MIGRATION_PASS", ...
  nlohmann::json data;  // the event's "data" member (may be null)
  uint64_t at_ns = 0;   // steady clock when hashi read it
};

class QmpClient {
 public:
  // Connects to the socket at path, retrying until timeout_ms (a QEMU that
  // waits for its vhost-user backend opens QMP late), and negotiates.
  static Result<std::unique_ptr<QmpClient>> Connect(const std::string& path, int timeout_ms);

  // Runs cmd with args; the "return" member, or QEMU's error description.
  Result<nlohmann::json> Call(const std::string& cmd, const nlohmann::json& args = nullptr, int timeout_ms = 5000);
  // Events read so far (reads what is waiting without blocking).
  std::deque<QmpEvent> TakeEvents();
  bool closed() const { return !fd_.valid(); }
  const std::string& path() const { return path_; }

 private:
  QmpClient(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  // Reads whatever is there (waiting up to wait_ms for the first bytes) and
  // parses whole lines; answers go to answers_, events to events_.
  Status ReadLines(int wait_ms);

  Fd fd_;
  std::string path_;
  std::string in_;
  std::deque<QmpEvent> events_;
  std::deque<nlohmann::json> answers_;
  uint64_t next_id_ = 1;
};

}  // namespace hashi::mig
