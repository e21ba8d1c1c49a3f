// hashictl: the command-line client of a running hashi, over its management
// socket (see control/mgmt_server.h). Follows the habits of ovs-vsctl and
// ovs-ofctl: "hashictl show", "hashictl add-flow 'in_port=1,actions=2'",
// "hashictl add-flows FILE", "hashictl trace in_port=1,tcp,tp_dst=80".
// Exit status: 0 done, 1 the switch refused the command, 2 bad usage or no
// switch to talk to.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr const char* kDefaultSocket = "/var/run/hashi/hashi.ctl";

int Usage(FILE* out) {
  std::fprintf(out,
               "usage: hashictl [--socket PATH] [--json] COMMAND [ARGS...]\n"
               "  show                         ports, bindings, links, controllers, tunnels,\n"
               "                               uplinks, routes, neighbours\n"
               "  add-port NAME:OFPORT:DEVARGS add a port at run time\n"
               "  del-port NAME                remove a port\n"
               "  add-flow FLOW                add a flow (ovs-ofctl syntax)\n"
               "  add-flows FILE               add the flows in FILE (one per line)\n"
               "  del-flows [MATCH]            delete flows (all, or those MATCH selects)\n"
               "  dump-flows [MATCH]           list flows with counters\n"
               "  dump-ports [PORT]            port counters\n"
               "  dump-tables                  table counters\n"
               "  dump-groups                  groups and their counters\n"
               "  set-controller TARGET...     e.g. tcp:192.0.2.1:6653\n"
               "  del-controller               remove every controller\n"
               "  set-fail-mode standalone|secure\n"
               "  trace PACKET                 which tables, rules and actions PACKET meets\n"
               "  stats [--clear]              per-worker loop and cycle figures (--clear: reset maxima)\n"
               "  add-tunnel NAME OFPORT OPTS  GRE tunnel port; OPTS: remote_ip=IP[,key=N|flow,local_ip=IP,\n"
               "                               csum=true,ttl=N|inherit,tos=N|inherit]\n"
               "  del-tunnel NAME              remove a tunnel port\n"
               "  dump-tunnels                 tunnels, their next hops and counters\n"
               "  add-route PREFIX GATEWAY     underlay route (PREFIX: A.B.C.D/LEN or default)\n"
               "  del-route PREFIX             remove an underlay route\n"
               "  add-neighbor IP MAC          static ARP entry on the underlay\n"
               "  del-neighbor IP              remove an ARP entry\n"
               "  add-vm NAME,ofport=N,mac=MAC[,ip=IP]...  a VM on this host\n"
               "  del-vm NAME | dump-vms       forget a VM | list VMs and peers\n"
               "  migrate VM --to PEER [--downtime-limit MS] [--max-bandwidth RATE]\n"
               "                               live-migrate VM, with a progress bar and a report\n"
               "                               (RATE in bit/s: 500M, 1G)\n"
               "  migration show [ID]          active and past migrations, or one with its timeline\n"
               "  migration follow VM --to PEER [--wait]\n"
               "                               someone else (libvirt, Nova, a QMP client) migrates VM: hold,\n"
               "                               forward and announce on its QEMU's events; returns once both\n"
               "                               switches follow it (and the port holds if the VM is paused\n"
               "                               already), or with --wait once the VM runs at PEER\n"
               "default socket: %s\n",
               kDefaultSocket);
  return out == stdout ? 0 : 2;
}

// "100M", "1G", "500k" (bits per second) to a plain number; "bad" if not one.
std::string ParseRate(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  double mult = 1;
  if (*end == 'k' || *end == 'K') mult = 1e3, ++end;
  else if (*end == 'm' || *end == 'M') mult = 1e6, ++end;
  else if (*end == 'g' || *end == 'G') mult = 1e9, ++end;
  if (text.empty() || *end != '\0' || v <= 0) return "bad";
  return std::to_string(static_cast<unsigned long long>(v * mult));
}

bool ReadFlows(const std::string& path, std::vector<std::string>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    out->push_back(line.substr(start));
  }
  return true;
}

// Sends one request and reads its reply; 0, or 2 (and a message) when
// hashi cannot be reached or answers nonsense.
int Request(const std::string& socket_path, const nlohmann::json& req, nlohmann::json* out) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, socket_path.c_str(), sizeof(sa.sun_path) - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    std::fprintf(stderr, "hashictl: cannot reach hashi at %s: %s (is it running? --socket PATH)\n",
                 socket_path.c_str(), std::strerror(errno));
    return 2;
  }
  const std::string line = req.dump() + "\n";
  for (size_t off = 0; off < line.size();) {
    const ssize_t n = write(fd, line.data() + off, line.size() - off);
    if (n <= 0) {
      std::fprintf(stderr, "hashictl: write: %s\n", std::strerror(errno));
      return 2;
    }
    off += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[65536];
  while (reply.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30000) <= 0) {
      std::fprintf(stderr, "hashictl: no reply from hashi within 30 s\n");
      return 2;
    }
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      std::fprintf(stderr, "hashictl: hashi closed the connection\n");
      return 2;
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  try {
    *out = nlohmann::json::parse(reply.substr(0, reply.find('\n')));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashictl: unreadable reply: %s\n", e.what());
    return 2;
  }
  return 0;
}

std::string Megabytes(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return b;
}


// One migration's record (migration-show ID) into *data; 0, or the exit status.
int ShowMigration(const std::string& socket_path, uint64_t id, nlohmann::json* data) {
  nlohmann::json req = {{"cmd", "migration-show"}, {"args", {std::to_string(id)}}};
  nlohmann::json r;
  if (int rc = Request(socket_path, req, &r); rc != 0) return rc;
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "hashictl: %s\n", r.value("error", std::string("migration lost")).c_str());
    return 1;
  }
  *data = r["data"];
  return 0;
}

// `migration follow` without --wait: returns once the switches follow the
// migration (past check and reserve; a VM already paused is held by then),
// so an orchestrator that calls it at pre-switchover may continue. Exit
// status 0 then, 1 if it failed.
int AwaitFollowing(const std::string& socket_path, uint64_t id) {
  for (int i = 0; i < 600; ++i) {
    nlohmann::json d;
    if (int rc = ShowMigration(socket_path, id, &d); rc != 0) return rc;
    const std::string phase = d.value("phase", "");
    if (d.value("finished", false) && !d.value("moved", false)) {
      std::printf("%s", d.value("report", std::string()).c_str());
      return 1;
    }
    if (phase != "check" && phase != "reserve") {
      std::printf("migration %llu followed: %s\n", static_cast<unsigned long long>(id), phase.c_str());
      return 0;
    }
    usleep(5 * 1000);
  }
  std::fprintf(stderr, "hashictl: migration %llu: the peer did not reserve in time\n", static_cast<unsigned long long>(id));
  return 1;
}

// Follows migration id until the VM runs at the destination or the
// migration ends: a progress line redrawn in place (phase, pass, MB sent and
// remaining, dirty rate, ETA), then the report. The source's forwarding
// pointer may stay on after that (`hashictl migration show`). Exit status 0
// when the VM moved, 1 when it did not.
int FollowMigration(const std::string& socket_path, uint64_t id) {
  const bool tty = isatty(STDOUT_FILENO);
  std::string last_phase;
  while (true) {
    nlohmann::json d;
    if (int rc = ShowMigration(socket_path, id, &d); rc != 0) return rc;
    const std::string phase = d.value("phase", "");
    const auto& p = d["progress"];
    const uint64_t sent = p.value("sent_bytes", uint64_t{0}), left = p.value("remaining_bytes", uint64_t{0});
    const double elapsed_s = d.value("elapsed_ms", 0.0) / 1000;
    const double rate = elapsed_s > 0 ? sent / elapsed_s : 0;
    const double total = static_cast<double>(sent + left);
    const int width = 30, filled = total > 0 ? static_cast<int>(width * sent / total) : 0;
    char line[256];
    std::snprintf(line, sizeof line, "[%-*s] %-8s pass %u  %s sent  %s left  dirty %.1f Mbit/s  ETA %s",
                  width, std::string(static_cast<size_t>(std::min(filled, width)), '#').c_str(), phase.c_str(),
                  p.value("iteration", 0u), Megabytes(sent).c_str(), Megabytes(left).c_str(),
                  p.value("dirty_rate_bps", uint64_t{0}) / 1e6,
                  rate > 0 && left > 0 ? (std::to_string(static_cast<int>(left / rate * 10) / 10.0).substr(0, 4) + " s").c_str() : "-");
    if (tty) {
      std::printf("\r%s\033[K", line);
    } else if (phase != last_phase) {
      std::printf("%s\n", line);
    }
    std::fflush(stdout);
    last_phase = phase;
    if (d.value("finished", false) || d.value("moved", false)) {
      std::printf("%s%s", tty ? "\n" : "", d.value("report", std::string()).c_str());
      return d.value("moved", false) ? 0 : 1;
    }
    usleep(100 * 1000);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = kDefaultSocket;
  bool as_json = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    const std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) {
      socket_path = argv[++i];
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "--help" || a == "-h") {
      return Usage(stdout);
    } else {
      std::fprintf(stderr, "hashictl: unknown option '%s'\n", a.c_str());
      return Usage(stderr);
    }
  }
  if (i >= argc) return Usage(stderr);
  nlohmann::json req;
  req["cmd"] = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  bool wait = false;
  if (req["cmd"] == "migration") {  // "migration show [ID]", "migration follow VM --to PEER [--wait]"
    if (args.empty() || (args[0] != "show" && args[0] != "follow")) return Usage(stderr);
    req["cmd"] = "migration-" + args[0];
    args.erase(args.begin());
    if (req["cmd"] == "migration-follow") {
      std::string vm, peer;
      for (size_t k = 0; k < args.size(); ++k) {
        if (args[k] == "--to" && k + 1 < args.size()) peer = args[++k];
        else if (args[k] == "--wait") wait = true;
        else if (vm.empty() && args[k][0] != '-') vm = args[k];
        else return Usage(stderr);
      }
      if (vm.empty() || peer.empty()) return Usage(stderr);
      args = {vm, peer};
    }
  }
  if (req["cmd"] == "migrate") {  // migrate VM --to PEER [--downtime-limit MS] [--max-bandwidth RATE]
    std::string vm, peer, downtime = "300", bandwidth;
    for (size_t k = 0; k < args.size(); ++k) {
      const bool has_value = k + 1 < args.size();
      if (args[k] == "--to" && has_value) peer = args[++k];
      else if (args[k] == "--downtime-limit" && has_value) downtime = args[++k];
      else if (args[k] == "--max-bandwidth" && has_value) bandwidth = ParseRate(args[++k]);
      else if (vm.empty() && args[k][0] != '-') vm = args[k];
      else return Usage(stderr);
    }
    if (vm.empty() || peer.empty() || (!bandwidth.empty() && bandwidth == "bad")) return Usage(stderr);
    args = {vm, peer, downtime};
    if (!bandwidth.empty()) args.push_back(bandwidth);
  }
  if (req["cmd"] == "add-flows") {
    if (args.size() != 1) return Usage(stderr);
    std::vector<std::string> flows;
    if (!ReadFlows(args[0], &flows)) {
      std::fprintf(stderr, "hashictl: cannot read '%s'\n", args[0].c_str());
      return 2;
    }
    args = flows;
  }
  req["args"] = args;

  nlohmann::json r;
  if (int rc = Request(socket_path, req, &r); rc != 0) return rc;
  if (req["cmd"] == "migrate" && r.value("ok", false) && !as_json) {
    return FollowMigration(socket_path, r["data"].value("id", uint64_t{0}));
  }
  if (req["cmd"] == "migration-follow" && r.value("ok", false)) {
    const uint64_t id = r["data"].value("id", uint64_t{0});
    return wait ? FollowMigration(socket_path, id) : AwaitFollowing(socket_path, id);
  }
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "hashictl: %s: %s\n", argv[i], r.value("error", std::string("failed")).c_str());
    if (r.contains("usage")) std::fprintf(stderr, "usage: hashictl %s\n", r["usage"].get<std::string>().c_str());
    return 1;
  }
  if (as_json) {
    std::printf("%s\n", r["data"].dump(2).c_str());
  } else {
    std::fputs(r.value("text", std::string()).c_str(), stdout);
  }
  return 0;
}
