// Parsing the daemon's options and config file.
#include "apps/daemon_options.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hashi::app {
namespace {

bool ToUnsigned(const std::string& s, unsigned long max, unsigned long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (*end != '\0' || v > max) return false;
  *out = v;
  return true;
}

Status ApplyTableMiss(const std::string& table, const std::string& mode, DaemonOptions& o) {
  unsigned long t;
  if (!ToUnsigned(table, dp::kMaxTables - 1, &t)) return Status::Error("bad table '" + table + "'");
  auto m = ParseTableMiss(mode);
  if (!m.ok()) return m.status();
  o.table_miss.emplace_back(static_cast<uint8_t>(t), *m);
  return Status::Ok();
}

Status ApplyFailMode(const std::string& mode, DaemonOptions& o) {
  if (mode == "standalone") {
    o.openflow.fail_mode = ctl::FailMode::kStandalone;
  } else if (mode == "secure") {
    o.openflow.fail_mode = ctl::FailMode::kSecure;
  } else {
    return Status::Error("bad fail mode '" + mode + "' (standalone, secure)");
  }
  return Status::Ok();
}

// The workers' polling and retry options.
Status ApplyWorkerOption(const std::string& key, const std::string& value, DaemonOptions& o) {
  unsigned long v;
  if (key == "pmd-max-sleep-us") {
    if (!ToUnsigned(value, 10000, &v)) return Status::Error("bad pmd-max-sleep-us '" + value + "' (0..10000)");
    o.pmd_max_sleep_us = static_cast<uint32_t>(v);
  } else {
    if (!ToUnsigned(value, 10000, &v)) return Status::Error("bad tx-retry-ms '" + value + "' (0..10000)");
    o.tx_retry_ms = static_cast<uint32_t>(v);
  }
  return Status::Ok();
}

// The tunnel and underlay options, given as one "A:B:C" value.
Status ApplyTunnelOption(const std::string& key, const std::string& value, DaemonOptions& o) {
  if (key == "uplink") {
    auto u = tun::ParseUplinkSpec(value);
    if (!u.ok()) return u.status();
    o.uplinks.push_back(*u);
  } else if (key == "route") {
    auto r = tun::ParseRouteSpec(value);
    if (!r.ok()) return r.status();
    o.routes.push_back(*r);
  } else if (key == "neighbor") {
    auto n = tun::ParseNeighborSpec(value);
    if (!n.ok()) return n.status();
    o.neighbors.push_back(*n);
  } else if (key == "tunnel") {
    auto t = tun::ParseTunnelSpec(value);
    if (!t.ok()) return t.status();
    o.tunnels.push_back(*t);
  } else if (key == "neighbor-aging") {
    unsigned long v;
    if (!ToUnsigned(value, 86400, &v) || v == 0) return Status::Error("bad neighbor-aging '" + value + "'");
    o.neighbor_aging_sec = static_cast<uint32_t>(v);
  } else {
    return Status::Error("unknown option " + key);
  }
  return Status::Ok();
}

Status ReadConfig(const std::string& path, DaemonOptions& o) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot open config file '" + path + "'");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = line.substr(0, line.find('#'));
    std::istringstream ls(line);
    std::string key;
    if (!(ls >> key)) continue;
    const std::string where = path + ":" + std::to_string(n) + ": ";
    std::vector<std::string> words;
    for (std::string w; ls >> w;) words.push_back(w);
    if (key == "port" && words.size() == 3) {
      auto p = ctl::ParsePortSpec(words[0] + ":" + words[1] + ":" + words[2]);
      if (!p.ok()) return Status::Error(where + p.error());
      o.ports.push_back(*p);
    } else if ((key == "uplink" && words.size() == 3) || (key == "route" && words.size() == 2) ||
               (key == "neighbor" && words.size() == 2) || (key == "tunnel" && words.size() == 3) ||
               (key == "neighbor-aging" && words.size() == 1)) {
      std::string joined;
      for (const auto& w : words) joined += (joined.empty() ? "" : ":") + w;
      Status s = ApplyTunnelOption(key, joined, o);
      if (!s.ok()) return Status::Error(where + s.message());
    } else if (mig::IsMigrationOption(key) && words.size() == 1) {
      Status s = mig::ApplyMigrationOption(key, words[0], o.migration);
      if (!s.ok()) return Status::Error(where + s.message());
    } else if (key == "flows" && words.size() == 1) {
      o.flows_file = words[0];
    } else if (key == "table-miss" && words.size() == 2) {
      Status s = ApplyTableMiss(words[0], words[1], o);
      if (!s.ok()) return Status::Error(where + s.message());
    } else if (key == "mbufs" && words.size() == 1) {
      unsigned long v;
      if (!ToUnsigned(words[0], 1u << 24, &v) || v < 1024) return Status::Error(where + "bad mbufs");
      o.mbufs = static_cast<unsigned>(v);
    } else if (key == "listen" && words.size() == 1) {
      o.openflow.listen.push_back(words[0]);
    } else if (key == "controller" && words.size() == 1) {
      o.openflow.controllers.push_back(words[0]);
    } else if (key == "fail-mode" && words.size() == 1) {
      Status s = ApplyFailMode(words[0], o);
      if (!s.ok()) return Status::Error(where + s.message());
    } else if ((key == "pmd-max-sleep-us" || key == "tx-retry-ms") && words.size() == 1) {
      Status st = ApplyWorkerOption(key, words[0], o);
      if (!st.ok()) return Status::Error(where + st.message());
    } else if (key == "mac-aging" && words.size() == 1) {
      unsigned long v;
      if (!ToUnsigned(words[0], 86400, &v)) return Status::Error(where + "bad mac-aging");
      o.mac_aging_sec = static_cast<uint32_t>(v);
    } else {
      return Status::Error(where + "unknown or malformed line '" + line + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<dp::TableMiss> ParseTableMiss(const std::string& mode) {
  if (mode == "drop") return dp::TableMiss::kDrop;
  if (mode == "controller") return dp::TableMiss::kController;
  if (mode == "continue") return dp::TableMiss::kContinue;
  if (mode == "normal") return dp::TableMiss::kNormal;
  return Status::Error("bad table-miss mode '" + mode + "' (drop, controller, continue, normal)");
}

std::string DaemonUsage() {
  return std::string("usage: hashi [EAL options] -- [options]\n"
         "  --port NAME:OFPORT:DEVARGS  add a port, e.g. h1:1:net_af_packet0,iface=veth-h1\n"
         "  --config FILE               read ports/flows/table-miss from FILE\n"
         "  --flows FILE                load flows in ovs-ofctl add-flow syntax\n"
         "  --table-miss TABLE:MODE     drop|controller|continue|normal (default: table 0\n"
         "                              normal without --flows, drop with --flows)\n"
         "  --mbufs N                   mbufs per socket (default 16384)\n"
         "  --mac-aging SEC             NORMAL's MAC aging time (default 300)\n"
         "  --pmd-max-sleep-us US       an idle worker sleeps in growing steps up to US (default 200;\n"
         "                              0: busy polling)\n"
         "  --tx-retry-ms MS            packets a device refuses (a full guest ring) are kept and\n"
         "                              retried while it takes nothing for up to MS (default 500; 0: drop)\n"
         "  --stats-interval SEC        print counters every SEC seconds\n"
         "  --duration SEC              exit after SEC seconds (default: run until SIGINT/SIGTERM)\n"
         "  --log-level LEVEL           debug|info|warn|error\n"
         "  --mgmt PATH                 hashictl's socket (default /var/run/hashi/hashi.ctl; none)\n"
         "GRE tunnels (Ethernet over GRE, as OVS type=gre) and the underlay:\n"
         "  --uplink NAME:IP/LEN:DEVARGS  a device carrying the underlay, with hashi's address\n"
         "                              (answers ARP and ping), e.g. wan:10.1.0.1/24:net_af_packet9,iface=wan0\n"
         "  --route PREFIX:GATEWAY      underlay route, e.g. default:10.1.0.254\n"
         "  --neighbor IP:MAC           static ARP entry\n"
         "  --neighbor-aging SEC        ARP cache lifetime (default 300)\n"
         "  --tunnel NAME:OFPORT:OPTS   tunnel port; OPTS: remote_ip=IP (required), local_ip=IP,\n"
         "                              key=N|flow, csum=true, ttl=N|inherit, tos=N|inherit\n"
         "OpenFlow 1.3:\n"
         "  --listen ENDPOINT           accept connections: ptcp:[PORT][:IP], pssl:[PORT][:IP], punix:PATH\n"
         "  --controller ENDPOINT       connect to a controller: tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH\n"
         "  --private-key/--certificate/--ca-cert PEM  TLS for ssl:/pssl: (peers must present a\n"
         "                              certificate signed by the CA)\n"
         "  --fail-mode MODE            standalone (NORMAL when no controller; default) or secure\n"
         "  --datapath-id HEX           datapath id (default: the first port's MAC)\n"
         "  --probe-interval SEC        inactivity probe (default 5)\n"
         "  --packet-in-rate N          packet-ins per second per connection (default 1000)\n"
         "  --packet-buffers N          buffered packet-ins (default 256; 0: send whole packets)\n") +
         mig::MigrationUsage();
}

Result<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args) {
  DaemonOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&](const char* what) -> Result<std::string> {
      if (i + 1 >= args.size()) return Status::Error(a + " needs " + what);
      return args[++i];
    };
    unsigned long v;
    if (a == "--port") {
      auto s = need("NAME:OFPORT:DEVARGS");
      if (!s.ok()) return s.status();
      auto p = ctl::ParsePortSpec(*s);
      if (!p.ok()) return p.status();
      o.ports.push_back(*p);
    } else if (a == "--uplink" || a == "--route" || a == "--neighbor" || a == "--tunnel" ||
               a == "--neighbor-aging") {
      auto s = need("a value (see --help)");
      if (!s.ok()) return s.status();
      HASHI_RETURN_IF_ERROR(ApplyTunnelOption(a.substr(2), *s, o));
    } else if (a == "--config") {
      auto s = need("a file");
      if (!s.ok()) return s.status();
      HASHI_RETURN_IF_ERROR(ReadConfig(*s, o));
    } else if (a == "--flows") {
      auto s = need("a file");
      if (!s.ok()) return s.status();
      o.flows_file = *s;
    } else if (a == "--table-miss") {
      auto s = need("TABLE:MODE");
      if (!s.ok()) return s.status();
      const size_t c = s->find(':');
      if (c == std::string::npos) return Status::Error("--table-miss needs TABLE:MODE");
      HASHI_RETURN_IF_ERROR(ApplyTableMiss(s->substr(0, c), s->substr(c + 1), o));
    } else if (a == "--mbufs") {
      auto s = need("a number");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 1u << 24, &v) || v < 1024) return Status::Error("bad --mbufs '" + *s + "'");
      o.mbufs = static_cast<unsigned>(v);
    } else if (a == "--pmd-max-sleep-us" || a == "--tx-retry-ms") {
      auto s = need("a number");
      if (!s.ok()) return s.status();
      HASHI_RETURN_IF_ERROR(ApplyWorkerOption(a.substr(2), *s, o));
    } else if (a == "--mac-aging") {
      auto s = need("seconds");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 86400, &v)) return Status::Error("bad --mac-aging '" + *s + "'");
      o.mac_aging_sec = static_cast<uint32_t>(v);
    } else if (a == "--stats-interval") {
      auto s = need("seconds");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 86400, &v)) return Status::Error("bad --stats-interval '" + *s + "'");
      o.stats_interval_sec = static_cast<unsigned>(v);
    } else if (a == "--duration") {
      auto s = need("seconds");
      if (!s.ok()) return s.status();
      char* end = nullptr;
      o.duration_sec = std::strtod(s->c_str(), &end);
      if (*end != '\0' || o.duration_sec < 0) return Status::Error("bad --duration '" + *s + "'");
    } else if (a == "--listen" || a == "--controller") {
      auto s = need("an endpoint");
      if (!s.ok()) return s.status();
      (a == "--listen" ? o.openflow.listen : o.openflow.controllers).push_back(*s);
    } else if (a == "--mgmt") {
      auto s = need("a socket path (or none)");
      if (!s.ok()) return s.status();
      o.mgmt_socket = *s == "none" ? "" : *s;
    } else if (a == "--private-key" || a == "--certificate" || a == "--ca-cert") {
      auto s = need("a PEM file");
      if (!s.ok()) return s.status();
      (a == "--private-key" ? o.openflow.tls.private_key
                            : a == "--certificate" ? o.openflow.tls.certificate : o.openflow.tls.ca_cert) = *s;
    } else if (a == "--fail-mode") {
      auto s = need("standalone or secure");
      if (!s.ok()) return s.status();
      HASHI_RETURN_IF_ERROR(ApplyFailMode(*s, o));
    } else if (a == "--datapath-id") {
      auto s = need("a hex number");
      if (!s.ok()) return s.status();
      char* end = nullptr;
      o.openflow.datapath_id = std::strtoull(s->c_str(), &end, 16);
      if (s->empty() || *end != '\0' || o.openflow.datapath_id == 0) {
        return Status::Error("bad --datapath-id '" + *s + "' (non-zero hex)");
      }
    } else if (a == "--probe-interval") {
      auto s = need("seconds");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 3600, &v) || v == 0) return Status::Error("bad --probe-interval '" + *s + "'");
      o.openflow.connection.probe_interval_ns = v * 1000000000ull;
    } else if (a == "--packet-in-rate") {
      auto s = need("a rate");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 10000000, &v) || v == 0) return Status::Error("bad --packet-in-rate '" + *s + "'");
      o.openflow.connection.packet_in_rate = static_cast<double>(v);
      o.openflow.connection.packet_in_burst = std::max(1.0, static_cast<double>(v) / 5);
    } else if (a == "--packet-buffers") {
      auto s = need("a count");
      if (!s.ok()) return s.status();
      if (!ToUnsigned(*s, 65536, &v)) return Status::Error("bad --packet-buffers '" + *s + "'");
      o.openflow.packet_buffers = static_cast<uint32_t>(v);
    } else if (a.size() > 2 && mig::IsMigrationOption(a.substr(2))) {
      auto s = need("a value (see --help)");
      if (!s.ok()) return s.status();
      HASHI_RETURN_IF_ERROR(mig::ApplyMigrationOption(a.substr(2), *s, o.migration));
    } else if (a == "--log-level") {
      auto s = need("a level");
      if (!s.ok()) return s.status();
      if (*s != "debug" && *s != "info" && *s != "warn" && *s != "error") {
        return Status::Error("bad --log-level '" + *s + "'");
      }
      o.log_level = *s;
    } else {
      return Status::Error("unknown option '" + a + "'");
    }
  }
  if (o.ports.empty()) return Status::Error("no ports: add --port NAME:OFPORT:DEVARGS or a config file");
  return o;
}

}  // namespace hashi::app
