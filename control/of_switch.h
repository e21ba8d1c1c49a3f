// OfSwitch: hashi as an OpenFlow 1.3 switch (the role ofproto plays in Open
// vSwitch). It owns the passive listeners and active controller connections,
// runs them from the control thread's poll loop, and answers each message
// with one handler per message type (of_handlers.cc, of_stats.cc) on top of
// FlowDb, PortManager and Datapath. It also sends what a switch reports by
// itself: PACKET_IN (drained from the workers' rings, buffered, rate-limited
// per connection), FLOW_REMOVED, PORT_STATUS; expires timed-out flows; and
// applies the fail mode while no controller is connected.
//
// Flow changes are batched: handlers stage them in FlowDb, and Run() commits
// once the input is drained (or every commit_interval under a steady stream),
// so a file of 100k flow-mods costs a few snapshot rebuilds, not 100k. A
// BARRIER_REQUEST commits first, so its reply means every worker already
// uses the rules sent before it. Control thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/fd.h"
#include "control/flow_db.h"
#include "control/openflow/connection.h"
#include "control/openflow/endpoint.h"
#include "control/openflow/tls.h"
#include "control/packet_buffer.h"
#include "control/port_manager.h"
#include "dataplane/datapath.h"

namespace hashi::ctl {

enum class FailMode { kStandalone, kSecure };

struct OfSwitchOptions {
  uint64_t datapath_id = 0;  // 0: derived from the first port's MAC
  std::vector<std::string> listen;       // ptcp:/punix:/pssl: endpoints
  std::vector<std::string> controllers;  // tcp:/unix:/ssl: endpoints
  FailMode fail_mode = FailMode::kStandalone;
  uint32_t packet_buffers = 256;         // 0 disables buffering (OFP_NO_BUFFER)
  uint64_t commit_interval_ns = 100'000'000;
  of::ConnectionOptions connection;
  uint64_t max_backoff_ns = 8'000'000'000ull;  // reconnect backoff cap
  of::TlsFiles tls;  // for ssl:/pssl: endpoints (mutual authentication)
};

class OfSwitch : public of::MessageSink {
 public:
  OfSwitch(dp::Datapath& datapath, FlowDb& flows, PortManager& ports, OfSwitchOptions opts);
  ~OfSwitch() override;

  // Opens the listeners and starts connecting to the controllers.
  Status Start();
  // One control-loop step: waits up to timeout_ms for socket events, then
  // handles them and the periodic work (packet-in, expiry, link state,
  // keepalives, reconnects, commits).
  void Run(int timeout_ms);
  // Closes every connection and frees buffered packets (before ports close).
  void Stop();

  void OnMessage(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) override;

  // Replaces the controller list (empty: none); connections to controllers
  // no longer listed are closed.
  Status SetControllers(const std::vector<std::string>& targets);
  void SetFailMode(FailMode mode);
  FailMode fail_mode() const { return opts_.fail_mode; }
  // Commits staged flow changes now (management commands) and sends the
  // FLOW_REMOVED messages that result.
  void CommitNow() { MaybeCommit(SteadyNowNs(), true); }
  const std::vector<std::string>& listeners() const { return opts_.listen; }
  // How much control time snapshot commits took (benchmarks, stats).
  struct CommitStats {
    uint64_t commits = 0, total_ns = 0, max_ns = 0, last_ns = 0;
  };
  const CommitStats& commit_stats() const { return commit_stats_; }

  // Status for show/telemetry.
  struct ConnectionInfo {
    std::string name;
    bool controller;
    bool connected;
    uint32_t role;
    std::string last_error;
  };
  std::vector<ConnectionInfo> Connections() const;
  uint64_t datapath_id() const { return datapath_id_; }
  // Sends a frame hashi makes (a migrated VM's announcement) through the
  // flow tables as if received on in_port; false when it cannot.
  bool InjectFrame(const uint8_t* data, size_t len, uint32_t in_port);

 private:
  struct Listener {
    of::Endpoint endpoint;
    Fd fd;
  };
  struct Controller {
    of::Endpoint endpoint;
    of::Connection* conn = nullptr;  // owned by conns_
    uint64_t next_attempt_ns = 0;
    uint64_t backoff_ns = 0;
    std::string last_error;
    bool ever_connected = false;
  };
  struct Conn {
    std::unique_ptr<of::Connection> c;
    int controller = -1;  // index in controllers_, or -1 for a passive peer
  };

  Result<of::Endpoint> ParseTarget(const std::string& text, bool passive);
  void AcceptAll(Listener& l, uint64_t now);
  void ConnectControllers(uint64_t now);
  void Reap(uint64_t now);
  void MaybeCommit(uint64_t now, bool force);
  uint64_t NextCommitNs() const;
  void UpdateFailMode(uint64_t now);

  // Async messages.
  void DrainPacketIn(uint64_t now);
  void SendFlowRemoved();
  void PollLinks(uint64_t now);
  void SendPortStatus(uint8_t reason, const PortInfo& p);
  bool WantsAsync(const of::Connection& c, const uint32_t (&mask)[2], uint8_t reason) const;

  // Handlers (of_handlers.cc, of_stats.cc).
  void HandleFeatures(of::Connection& c, const of::Header& h);
  void HandleGetConfig(of::Connection& c, const of::Header& h);
  void HandleSetConfig(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleFlowMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandlePacketOut(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleBarrier(of::Connection& c, const of::Header& h);
  void HandleRoleRequest(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleGetAsync(of::Connection& c, const of::Header& h);
  void HandleSetAsync(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandlePortMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleTableMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  // Stages one decoded flow-mod in FlowDb, or says why it cannot.
  std::optional<of::OfError> ApplyFlowMod(of::FlowMod& fm);
  void HandleExperimenter(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleBundleCtrl(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleBundleAdd(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleGroupMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleMeterMod(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void HandleMultipart(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len);
  void ReplyFlowStats(std::vector<uint8_t>& out, uint32_t xid, const of::FlowStatsRequest& r, bool aggregate);
  void ReplyTableStats(std::vector<uint8_t>& out, uint32_t xid);
  void ReplyPortStats(std::vector<uint8_t>& out, uint32_t xid, uint32_t port_no);
  void ReplyPortDesc(std::vector<uint8_t>& out, uint32_t xid);
  void ReplyTableFeatures(std::vector<uint8_t>& out, uint32_t xid);
  void ReplyGroups(std::vector<uint8_t>& out, uint32_t xid, uint16_t type, uint32_t group_id);
  void ReplyMeters(std::vector<uint8_t>& out, uint32_t xid, uint16_t type, uint32_t meter_id);
  of::PortDesc DescribePort(const PortInfo& p) const;
  // Runs a packet through actions from control (packet-out, buffered
  // flow-mod); false when the frame does not parse (it is freed and counted).
  bool InjectPacket(rte_mbuf* m, uint32_t in_port, const std::vector<dp::Action>& actions);
  rte_mbuf* MakePacket(const uint8_t* data, size_t len);

  dp::Datapath& datapath_;
  FlowDb& flows_;
  PortManager& ports_;
  OfSwitchOptions opts_;
  uint64_t datapath_id_ = 0;
  std::vector<Listener> listeners_;
  std::vector<Controller> controllers_;
  std::vector<Conn> conns_;
  PacketBuffer buffer_;
  std::shared_ptr<of::TlsContext> tls_;
  uint64_t generation_id_ = 0;
  bool generation_id_set_ = false;
  uint64_t dirty_since_ns_ = 0;
  uint64_t last_commit_ns_ = 0;      // how long the last rebuild and publish took
  uint64_t last_commit_end_ns_ = 0;
  bool input_quiet_ = true;          // the last poll round read nothing
  CommitStats commit_stats_;
  uint64_t last_expiry_ns_ = 0;
  uint64_t last_link_poll_ns_ = 0;
  uint64_t controllers_lost_ns_ = 0;
  std::vector<PortInfo> known_ports_;  // as last reported, for PORT_STATUS add/delete/modify
  std::unordered_map<uint32_t, uint32_t> port_config_;  // ofport -> OFPPC_* bits set by port-mod
  uint64_t start_ns_ = 0;
};

}  // namespace hashi::ctl
