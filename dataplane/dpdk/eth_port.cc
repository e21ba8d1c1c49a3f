// EthPort probing, configuration, start and teardown.
#include "dataplane/dpdk/eth_port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>

namespace hashi::dpdk {
namespace {

Status CallError(const std::string& call, uint16_t port, int ret) {
  return Status::Error(call + "(port " + std::to_string(port) + "): " + std::to_string(ret) +
                       " (" + rte_strerror(-ret) + ")");
}

Result<uint16_t> FindOrProbe(const std::string& devargs) {
  const std::string name = DeviceNameOf(devargs);
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port_id) == 0) return port_id;
  int ret = rte_dev_probe(devargs.c_str());
  if (ret < 0) {
    return Status::Error("rte_dev_probe(" + devargs + "): " + std::to_string(ret) + " (" +
                         rte_strerror(-ret) + "); is the driver name right?");
  }
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port_id) != 0) {
    return Status::Error("device '" + name + "' probed but no ethdev port appeared");
  }
  return port_id;
}

}  // namespace

std::string DeviceNameOf(const std::string& devargs) {
  return devargs.substr(0, devargs.find(','));
}

Result<EthPort> EthPort::Open(const EthPortConfig& config) {
  auto id = FindOrProbe(config.devargs);
  if (!id.ok()) return id.status();
  const uint16_t port = *id;

  rte_eth_dev_info info;
  int ret = rte_eth_dev_info_get(port, &info);
  if (ret != 0) return CallError("rte_eth_dev_info_get", port, ret);
  if (config.min_tx_queues > info.max_tx_queues) {
    return Status::Error("port " + config.devargs + " offers " +
                         std::to_string(info.max_tx_queues) + " tx queues; hashi needs one per " +
                         "worker (" + std::to_string(config.min_tx_queues) + ")");
  }
  const uint16_t txq = std::min<uint16_t>(config.tx_queues, info.max_tx_queues);
  uint16_t rxq = std::max<uint16_t>(1, std::min<uint16_t>(config.rx_queues, info.max_rx_queues));
  // af_packet spreads received packets over all its queue sockets (PACKET_FANOUT).
  if (std::string(info.driver_name) == "net_af_packet") rxq = info.max_rx_queues;

  rte_eth_conf conf{};
  if (rxq > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  ret = rte_eth_dev_configure(port, rxq, txq, &conf);
  if (ret != 0) return CallError("rte_eth_dev_configure", port, ret);

  uint16_t rx_desc = config.rx_desc, tx_desc = config.tx_desc;
  ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
  if (ret != 0) return CallError("rte_eth_dev_adjust_nb_rx_tx_desc", port, ret);

  const int socket = rte_eth_dev_socket_id(port) < 0 ? 0 : rte_eth_dev_socket_id(port);
  if (!config.pool_for_socket) return Status::Error("port " + config.devargs + ": no mbuf pool");
  auto pool = config.pool_for_socket(socket);
  if (!pool.ok()) return pool.status();
  for (uint16_t q = 0; q < rxq; ++q) {
    ret = rte_eth_rx_queue_setup(port, q, rx_desc, socket, nullptr, *pool);
    if (ret != 0) return CallError("rte_eth_rx_queue_setup", port, ret);
  }
  for (uint16_t q = 0; q < txq; ++q) {
    ret = rte_eth_tx_queue_setup(port, q, tx_desc, socket, nullptr);
    if (ret != 0) return CallError("rte_eth_tx_queue_setup", port, ret);
  }
  ret = rte_eth_dev_start(port);
  if (ret != 0) return CallError("rte_eth_dev_start", port, ret);
  if (config.promiscuous) rte_eth_promiscuous_enable(port);  // some vdevs refuse; harmless

  EthPort p;
  p.port_id_ = port;
  p.rx_queues_ = rxq;
  p.tx_queues_ = txq;
  p.socket_ = socket;
  p.open_ = true;
  p.device_name_ = DeviceNameOf(config.devargs);
  return p;
}

EthPort::EthPort(EthPort&& o) noexcept
    : port_id_(o.port_id_), rx_queues_(o.rx_queues_), tx_queues_(o.tx_queues_),
      socket_(o.socket_), open_(o.open_), device_name_(std::move(o.device_name_)) {
  o.open_ = false;
}

EthPort::~EthPort() {
  if (!open_) return;
  rte_eth_dev_info info{};
  const bool have_info = rte_eth_dev_info_get(port_id_, &info) == 0 && info.device != nullptr;
  rte_eth_dev_stop(port_id_);
  rte_eth_dev_close(port_id_);
  // Detach the device too, so the same devargs can be opened again later
  // (a port deleted and re-added at run time).
  if (have_info) rte_dev_remove(info.device);
}

bool EthPort::LinkUp() const {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port_id_, &link) != 0) return false;
  return link.link_status == RTE_ETH_LINK_UP;
}

uint32_t EthPort::LinkSpeedMbps() const {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port_id_, &link) != 0) return 0;
  return link.link_speed;
}

uint64_t EthPort::MacAddress() const {
  rte_ether_addr a{};
  rte_eth_macaddr_get(port_id_, &a);
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | a.addr_bytes[i];
  return v;
}

}  // namespace hashi::dpdk
