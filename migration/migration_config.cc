// Parsing the migration options.
#include "migration/migration_config.h"

#include <cstdlib>
#include <sstream>

#include "tunnel/tunnel_config.h"

namespace hashi::mig {

namespace {

bool ToNumber(const std::string& s, unsigned long max, unsigned long* out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
  if (v > max) return false;
  *out = v;
  return true;
}

// "NAME,k=v,k=v": the name, then each key=value in order.
Status SplitSpec(const std::string& text, std::string* name, std::vector<std::pair<std::string, std::string>>* kv) {
  std::stringstream ss(text);
  std::string part;
  bool first = true;
  while (std::getline(ss, part, ',')) {
    if (first) {
      *name = part;
      first = false;
      continue;
    }
    const size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) return Status::Error("'" + part + "' is not KEY=VALUE");
    kv->emplace_back(part.substr(0, eq), part.substr(eq + 1));
  }
  if (name->empty()) return Status::Error("no name");
  return Status::Ok();
}

}  // namespace

Result<VmIdentity> ParseVmSpec(const std::string& text) {
  VmIdentity vm;
  std::vector<std::pair<std::string, std::string>> kv;
  const std::string where = "bad VM '" + text + "': ";
  if (Status s = SplitSpec(text, &vm.name, &kv); !s.ok()) return Status::Error(where + s.message());
  for (const auto& [k, v] : kv) {
    unsigned long n;
    if (k == "ofport") {
      if (!ToNumber(v, 4095, &n) || n == 0) return Status::Error(where + "ofport must be 1..4095");
      vm.ofport = static_cast<uint32_t>(n);
    } else if (k == "mac") {
      auto mac = tun::ParseMac(v);
      if (!mac.ok()) return Status::Error(where + mac.error());
      vm.mac = *mac;
    } else if (k == "ip") {
      auto ip = tun::ParseIpv4(v);
      if (!ip.ok()) return Status::Error(where + ip.error());
      vm.ipv4.push_back(*ip);
    } else if (k == "memory") {
      if (!ToNumber(v, 1ul << 24, &n)) return Status::Error(where + "memory is in MB");
      vm.memory_bytes = static_cast<uint64_t>(n) << 20;
    } else {
      return Status::Error(where + "unknown key '" + k + "' (ofport, mac, ip, memory)");
    }
  }
  if (vm.ofport == 0 || vm.mac == 0) return Status::Error(where + "needs ofport= and mac=");
  return vm;
}

Result<PeerSpec> ParsePeerSpec(const std::string& text) {
  PeerSpec p;
  std::vector<std::pair<std::string, std::string>> kv;
  const std::string where = "bad peer '" + text + "': ";
  if (Status s = SplitSpec(text, &p.name, &kv); !s.ok()) return Status::Error(where + s.message());
  for (const auto& [k, v] : kv) {
    unsigned long n;
    if (k == "endpoint") {
      p.endpoint = v;
    } else if (k == "tunnel") {
      if (!ToNumber(v, 4095, &n) || n == 0) return Status::Error(where + "tunnel must be an OpenFlow port 1..4095");
      p.tunnel_ofport = static_cast<uint32_t>(n);
    } else {
      return Status::Error(where + "unknown key '" + k + "' (endpoint, tunnel)");
    }
  }
  if (p.endpoint.empty() || p.tunnel_ofport == 0) return Status::Error(where + "needs endpoint= and tunnel=");
  return p;
}

bool IsMigrationOption(const std::string& key) {
  static const char* kKeys[] = {"vm", "peer", "migration-listen", "hypervisor", "qmp-path", "qemu-switchover", "migration-incoming",
                                "vm-devargs", "hold-packets", "hold-ms", "forward-quiet-ms", "settle-ms",
                                "announce-rounds", "announce-initial-ms", "announce-step-ms",
                                "switchover-timeout-ms", "downtime-limit-ms"};
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

Status ApplyMigrationOption(const std::string& key, const std::string& value, MigrationOptions& o) {
  auto number = [&](unsigned long max, uint32_t* out, unsigned long min = 1) -> Status {
    unsigned long n;
    if (!ToNumber(value, max, &n) || n < min) {
      return Status::Error("bad --" + key + " '" + value + "' (" + std::to_string(min) + ".." + std::to_string(max) + ")");
    }
    *out = static_cast<uint32_t>(n);
    return Status::Ok();
  };
  if (key == "vm") {
    auto vm = ParseVmSpec(value);
    if (!vm.ok()) return vm.status();
    for (const VmIdentity& v : o.vms) {
      if (v.name == vm->name || v.ofport == vm->ofport) return Status::Error("VM '" + vm->name + "' clashes with '" + v.name + "'");
    }
    o.vms.push_back(*vm);
  } else if (key == "peer") {
    auto p = ParsePeerSpec(value);
    if (!p.ok()) return p.status();
    o.peers.push_back(*p);
  } else if (key == "migration-listen") {
    o.listen = value;
  } else if (key == "hypervisor") {
    if (value != "qemu" && value != "xen") return Status::Error("bad --hypervisor '" + value + "' (qemu, xen)");
    o.hypervisor = value;
  } else if (key == "qmp-path") {
    o.qmp_path = value;
  } else if (key == "qemu-switchover") {
    if (value != "stop" && value != "pause") return Status::Error("bad --qemu-switchover '" + value + "' (stop, pause)");
    o.qemu_pause_before_switchover = value == "pause";
  } else if (key == "migration-incoming") {
    o.incoming = value;
  } else if (key == "vm-devargs") {
    o.vm_devargs = value;
  } else if (key == "hold-packets") {
    return number(1u << 20, &o.hold_packets);
  } else if (key == "hold-ms") {
    return number(600000, &o.hold_ms);
  } else if (key == "forward-quiet-ms") {
    return number(86400000, &o.settings.quiet_ms, 0);
  } else if (key == "settle-ms") {
    return number(600000, &o.settings.settle_ms, 0);
  } else if (key == "announce-rounds") {
    return number(100, &o.settings.announce.rounds, 0);
  } else if (key == "announce-initial-ms") {
    return number(100000, &o.settings.announce.initial_ms);
  } else if (key == "announce-step-ms") {
    return number(100000, &o.settings.announce.step_ms, 0);
  } else if (key == "switchover-timeout-ms") {
    return number(3600000, &o.settings.switchover_timeout_ms);
  } else if (key == "downtime-limit-ms") {
    return number(600000, &o.settings.limits.downtime_limit_ms);
  } else {
    return Status::Error("unknown migration option '" + key + "'");
  }
  return Status::Ok();
}

const char* MigrationUsage() {
  return "VM live migration (migration/migration_config.h):\n"
         "  --vm NAME,ofport=N,mac=MAC[,ip=IP]...[,memory=MB]   a VM on this host (its port must exist)\n"
         "  --peer NAME,endpoint=EP,tunnel=OFPORT   a host VMs move to; EP tcp:IP[:PORT] (6655), ssl:, unix:\n"
         "  --migration-listen EP        accept VMs from peers (ptcp:[PORT][:IP], pssl:, punix:PATH)\n"
         "  --hypervisor qemu|xen        backend (default qemu)\n"
         "  --qmp-path TEMPLATE          QEMU's QMP socket ({vm}; default /run/hashi/{vm}.qmp)\n"
         "  --qemu-switchover stop|pause hold at QEMU's STOP (default), or also pause-before-switchover\n"
         "  --migration-incoming URI     where incoming VMs are received ({vm}, {port})\n"
         "  --vm-devargs TEMPLATE        device of an incoming VM ({vm}, {ofport})\n"
         "  --hold-packets N --hold-ms MS   hold queue bounds (default 4096, 2000)\n"
         "  --forward-quiet-ms MS        forwarding pointer removed after this long unused (5000)\n"
         "  --announce-rounds N --announce-initial-ms MS --announce-step-ms MS   (5, 50, 100)\n"
         "  --switchover-timeout-ms MS --downtime-limit-ms MS --settle-ms MS\n";
}

}  // namespace hashi::mig
