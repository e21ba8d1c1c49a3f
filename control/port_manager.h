// PortManager: the switch's ports as the operator declared them. It opens
// each DPDK device (EthPort) with an mbuf pool on the device's NUMA socket
// (one pool per socket, made when the first port there opens), gives every
// worker a tx queue on it (plus one for control), spreads the rx queues over
// the workers, and publishes the PortMap that binds each OpenFlow port
// number to its device. Control thread only.
#pragma once

#include <cstdint>
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

struct PortInfo {
  PortSpec spec;
  uint16_t eth_port;
  bool link_up;
  uint64_t mac;
};

class PortManager {
 public:
  PortManager(dp::Datapath& datapath, unsigned mbufs_per_socket)
      : datapath_(datapath), mbufs_per_socket_(mbufs_per_socket) {}
  // Opens every port, assigns rx queues to workers and publishes the PortMap.
  // Must run before the workers start.
  Status Open(const std::vector<PortSpec>& specs);
  std::vector<PortInfo> List() const;
  const PortSpec* FindByEthPort(uint16_t eth_port) const;
  // Closes every device (after the workers have stopped).
  void CloseAll() { ports_.clear(); }
  // Mbufs not returned to the pools (0 after CloseAll unless something leaked).
  unsigned MbufsInUse() const;
  // The pool for socket, made on first use (also used by tests and tools).
  Result<rte_mempool*> PoolFor(int socket);

 private:
  dp::Datapath& datapath_;
  unsigned mbufs_per_socket_;
  std::map<int, dpdk::Mempool> pools_;  // declared before ports_: outlives them
  std::vector<std::pair<PortSpec, dpdk::EthPort>> ports_;
};

}  // namespace hashi::ctl
