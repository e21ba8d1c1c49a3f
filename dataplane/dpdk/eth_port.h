// EthPort: an owned, configured and started DPDK ethdev (physical NIC or vdev).
// Open() probes the device from its devargs when EAL has not already done so,
// configures one rx queue per worker that polls it (up to what the device
// offers; every queue for net_af_packet, whose kernel fanout feeds them all)
// and a tx queue per worker (plus control's where the device has one), and
// starts it. The destructor stops
// and closes the device. Workers use the raw port id through RxView/TxView.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

struct rte_mempool;

namespace hashi::dpdk {

struct EthPortConfig {
  std::string devargs;        // "net_null0,no-rx=1", "0000:03:00.0", ...
  uint16_t rx_queues = 1;     // wanted; clamped to the device's maximum
  uint16_t tx_queues = 1;     // wanted: one per worker plus one for control
  uint16_t min_tx_queues = 1; // required: one per worker
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  // The mbuf pool for rx queues, chosen once the device's NUMA socket is
  // known (one pool per socket that has ports).
  std::function<Result<rte_mempool*>(int socket)> pool_for_socket;
  bool promiscuous = true;
};

class EthPort {
 public:
  static Result<EthPort> Open(const EthPortConfig& config);
  EthPort(EthPort&& o) noexcept;
  EthPort& operator=(EthPort&&) = delete;
  EthPort(const EthPort&) = delete;
  ~EthPort();

  uint16_t id() const { return port_id_; }
  uint16_t rx_queues() const { return rx_queues_; }
  uint16_t tx_queues() const { return tx_queues_; }
  int socket() const { return socket_; }
  const std::string& device_name() const { return device_name_; }
  bool LinkUp() const;
  uint32_t LinkSpeedMbps() const;
  uint64_t MacAddress() const;  // 48 bits, network order packed big-endian

 private:
  EthPort() = default;
  uint16_t port_id_ = 0;
  uint16_t rx_queues_ = 0;
  uint16_t tx_queues_ = 0;
  int socket_ = 0;
  bool open_ = false;
  std::string device_name_;
};

// Device name of devargs: the text before the first comma.
std::string DeviceNameOf(const std::string& devargs);

}  // namespace hashi::dpdk
