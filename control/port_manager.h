// PortManager: the switch's ports as the operator declared them. It opens
// each DPDK device (EthPort), gives every worker a tx queue on it (plus one for
// control), spreads the rx queues over the workers, and publishes the
// PortMap that binds each OpenFlow port number to its device. Control thread
// only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "dataplane/datapath.h"
#include "dataplane/dpdk/eth_port.h"

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
  PortManager(dp::Datapath& datapath, struct rte_mempool* pool)
      : datapath_(datapath), pool_(pool) {}
  // Opens every port, assigns rx queues to workers and publishes the PortMap.
  // Must run before the workers start.
  Status Open(const std::vector<PortSpec>& specs);
  std::vector<PortInfo> List() const;
  const PortSpec* FindByEthPort(uint16_t eth_port) const;
  // Closes every device (after the workers have stopped).
  void CloseAll() { ports_.clear(); }

 private:
  dp::Datapath& datapath_;
  struct rte_mempool* pool_;
  std::vector<std::pair<PortSpec, dpdk::EthPort>> ports_;
};

}  // namespace hashi::ctl
