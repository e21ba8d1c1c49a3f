// Connection: one OpenFlow session over a stream socket. It frames messages,
// negotiates the version (HELLO with a version bitmap: 1.3 only, anything
// else gets HELLO_FAILED/INCOMPATIBLE and a close), answers and sends ECHO
// keepalives (an inactivity probe, then a disconnect), rejects messages of
// another version with BAD_REQUEST/BAD_VERSION and hands every other message
// to a MessageSink. It also holds the session state the spec gives each
// connection: role, asynchronous configuration, miss_send_len, and a token
// bucket that limits its packet-ins. Control thread only; never blocks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/fd.h"
#include "control/openflow/messages.h"
#include "control/openflow/stream.h"
#include "control/openflow/tls.h"

namespace hashi::of {

class Connection;

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // One whole message (header included) of the negotiated version.
  virtual void OnMessage(Connection& c, const Header& h, const uint8_t* msg, size_t len) = 0;
};

struct ConnectionOptions {
  uint64_t probe_interval_ns = 5'000'000'000ull;  // idle time before an ECHO_REQUEST
  double packet_in_rate = 1000;                   // packet-ins per second
  double packet_in_burst = 200;
  size_t max_tx_backlog = 64u << 20;              // bytes queued before we give up on the peer
  size_t async_tx_backlog = 1u << 20;             // async messages stop above this backlog
};

class Connection {
 public:
  enum class State { kConnecting, kHello, kActive, kClosed };

  // With tls, the session runs over TLS: server side when accepted, client
  // side when connecting (connecting == true).
  Connection(Fd fd, std::string name, bool connecting, const ConnectionOptions& opts, uint64_t now_ns,
             const TlsContext* tls = nullptr);

  int fd() const { return stream_.fd(); }
  const std::string& name() const { return name_; }
  State state() const { return state_; }
  bool closed() const { return state_ == State::kClosed; }
  const std::string& close_reason() const { return close_reason_; }
  // poll() events this connection waits for.
  short PollEvents() const;
  // Reads, writes and dispatches after poll() reported revents.
  void OnEvents(short revents, uint64_t now_ns, MessageSink& sink);
  // Keepalive: probes an idle peer, closes a silent one.
  void Tick(uint64_t now_ns);
  // Queues bytes (one or more whole messages) to send.
  void Send(const std::vector<uint8_t>& bytes);
  void SendError(uint32_t xid, OfError e, const uint8_t* msg, size_t len);
  void Close(const std::string& reason);
  // Whether an asynchronous message may be queued now (backlog not too big).
  bool CanSendAsync() const { return stream_.backlog() < opts_.async_tx_backlog; }
  // Takes one packet-in token; false when the rate limit is reached.
  bool TakePacketInToken(uint64_t now_ns);
  size_t tx_backlog() const { return stream_.backlog(); }

  // Session state (OpenFlow 1.3 section 6.3).
  uint32_t role = kRoleEqual;
  AsyncConfig async;
  SwitchConfig config;
  uint64_t packet_ins_sent = 0;
  uint64_t packet_ins_limited = 0;
  uint64_t messages_in = 0;
  // Bundles this connection has open (ONF EXT-230 / OpenFlow 1.4 bundles).
  struct Bundle {
    uint16_t flags = 0;
    bool closed = false;
    std::vector<std::vector<uint8_t>> messages;
  };
  std::map<uint32_t, Bundle> bundles;

 private:
  void ReadInput(uint64_t now_ns, MessageSink& sink);
  void Dispatch(const uint8_t* msg, size_t len, MessageSink& sink);
  // The stream closed by itself (peer gone, TLS failure): take its reason.
  void StreamClosed();
  void QueueHello();

  Stream stream_;
  std::string name_;
  ConnectionOptions opts_;
  State state_;
  std::string close_reason_;
  std::vector<uint8_t> in_;
  uint64_t last_rx_ns_;
  bool probe_sent_ = false;
  uint32_t next_xid_ = 0x80000000u;
  double tokens_;
  uint64_t tokens_at_ns_;
};

}  // namespace hashi::of
