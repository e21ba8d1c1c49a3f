// MgmtServer: the management socket hashictl talks to (ovs-appctl's role).
// A unix stream socket; each request is one line of JSON,
// {"cmd": "add-flow", "args": [...]}, and each reply one line,
// {"ok": true, "text": "...", "data": ...} or {"ok": false, "error": "..."}.
// Commands are registered by name; a handler that fails returns a Status
// whose message becomes the error. Malformed requests get an error reply and
// the connection stays open. Control thread only; never blocks.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/status.h"

namespace hashi::ctl {

struct MgmtReply {
  std::string text;       // what hashictl prints
  nlohmann::json data;    // the same, structured (hashictl --json)
};

class MgmtServer {
 public:
  using Handler = std::function<Result<MgmtReply>(const std::vector<std::string>& args)>;

  // Listens on path (a stale socket file there is replaced).
  Status Listen(const std::string& path);
  void Register(const std::string& name, const std::string& usage, Handler handler);
  // Accepts, reads and answers whatever is ready, waiting at most timeout_ms.
  void Poll(int timeout_ms);
  const std::string& path() const { return path_; }
  ~MgmtServer();

 private:
  struct Client {
    Fd fd;
    std::string in;
  };
  struct Command {
    std::string usage;
    Handler handler;
  };
  std::string Answer(const std::string& line);

  std::string path_;
  Fd listen_fd_;
  std::vector<Client> clients_;
  std::map<std::string, Command> commands_;
};

}  // namespace hashi::ctl
