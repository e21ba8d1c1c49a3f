// PortManager: the switch's ports as the operator declared them. It opens
// each DPDK device (EthPort) with an mbuf pool on the device's NUMA socket
// (one pool per socket, made when the first port there opens), gives every
// worker a tx queue on it (plus one for control), spreads the rx queues over
// the workers, and publishes the PortMap that binds each OpenFlow port
// number to its device. It also opens uplinks (devices that carry the
// underlay and are not OpenFlow ports) and binds tunnel ports (logical ports
// with no device of their own), for the tunnel manager. Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "dataplane/datapath.h"
#include "dataplane/dpdk/eth_port.h"
#include "dataplane/dpdk/mempool.h"

namespace hashi::ctl {

struct PortSpec {
  std::string name;
  uint32_t ofport = 0;
  std::string devargs;
};

// Parses "NAME:OFPORT:DEVARGS", e.g. "h1:1:net_af_packet0,iface=veth-h1".
Result<PortSpec> ParsePortSpec(const std::string& text);

inline constexpr uint16_t kNoEthPort = 0xffff;

struct PortInfo {
  PortSpec spec;
  uint16_t eth_port;     // kNoEthPort for a tunnel port
  uint16_t counter_index;  // slot in dp::DatapathTotals::ports
  bool tunnel;
  bool link_up;          // reported to controllers: false while Reserved
  dp::BindingKind binding;
  uint64_t mac;
  uint32_t link_speed_mbps;
  bool forward;  // outputs to the port are sent (false: administratively down)
  bool receive;  // received packets enter the pipeline
  uint64_t opened_ns;
};

class PortManager {
 public:
  PortManager(dp::Datapath& datapath, unsigned mbufs_per_socket)
      : datapath_(datapath), mbufs_per_socket_(mbufs_per_socket) {}
  // Opens every port, assigns rx queues to workers and publishes the PortMap.
  // Must run before the workers start.
  Status Open(const std::vector<PortSpec>& specs);
  // Adds one port while the switch runs (one PortMap publish). A reserved
  // port (a VM expected here by a migration) is opened but bound Reserved.
  Status AddPort(const PortSpec& spec, bool reserved = false);
  // Changes the binding of logical port ofport (migration: Hold, Remote,
  // Local again) with one PortMap publish; change may refuse.
  Status UpdateBinding(uint32_t ofport, const std::function<Status(dp::PortBinding&)>& change);
  // Removes a port by name: unpublishes it, waits for a grace period (no
  // worker polls or sends to it any more), then closes the device.
  Status DeletePort(const std::string& name);
  // The OpenFlow ports: devices and tunnels (uplinks are not listed).
  std::vector<PortInfo> List() const;

  struct UplinkDevice {
    uint16_t eth_port;
    uint64_t mac;
    uint16_t mtu;
  };
  // Opens an uplink device: polled by the workers, not an OpenFlow port.
  Result<UplinkDevice> OpenUplink(const std::string& name, const std::string& devargs);
  // Binds logical port ofport to the tunnel of the same number in the
  // TunnelTable (publish that first); its counters live in counter_index.
  Status AddTunnelPort(const std::string& name, uint32_t ofport, uint16_t counter_index);
  // Unbinds a tunnel port and waits for a grace period.
  Status DeleteTunnelPort(const std::string& name);
  const PortSpec* FindByEthPort(uint16_t eth_port) const;
  // The port with OpenFlow number ofport, if any.
  Result<PortInfo> Find(uint32_t ofport) const;
  // Stops or restarts forwarding to and receiving from a port (OpenFlow
  // port-mod: OFPPC_PORT_DOWN, OFPPC_NO_FWD, OFPPC_NO_RECV) by publishing a
  // new PortMap.
  Status SetForwarding(uint32_t ofport, bool forward, bool receive);
  // Closes every device (after the workers have stopped).
  void CloseAll() { ports_.clear(); }
  // Mbufs not returned to the pools (0 after CloseAll unless something leaked).
  unsigned MbufsInUse() const;
  // The pool for socket, made on first use (also used by tests and tools).
  Result<rte_mempool*> PoolFor(int socket);
  // A pool for packets control makes (packet-out): the first one made.
  Result<rte_mempool*> ControlPool();

 private:
  // Opens spec's device into map (bindings and rx queues, and a binding
  // unless it is an uplink), not yet published.
  Status OpenOne(const PortSpec& spec, dp::PortMap& map, bool uplink = false);
  Status CheckFree(const std::string& name, uint32_t ofport) const;

  dp::Datapath& datapath_;
  unsigned mbufs_per_socket_;
  unsigned next_worker_ = 0;
  std::map<int, dpdk::Mempool> pools_;  // declared before ports_: outlives them
  struct Open_ {
    PortSpec spec;
    dpdk::EthPort port;
    bool forward = true;
    bool receive = true;
    uint64_t opened_ns = 0;
    bool uplink = false;
  };
  std::list<Open_> ports_;  // a list: EthPort cannot be move-assigned
  struct TunnelPort_ {
    PortSpec spec;  // devargs empty
    uint16_t counter_index;
    bool forward = true;
    bool receive = true;
    uint64_t opened_ns = 0;
  };
  std::list<TunnelPort_> tunnel_ports_;
};

}  // namespace hashi::ctl
