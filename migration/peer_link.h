// PeerLink: the connections between this hashi and other hashi processes
// for migrations (peer_protocol.h). It listens on one endpoint (ptcp:,
// pssl: or punix:) for peers that send VMs here, and connects out (tcp:,
// ssl:, unix:) to send VMs away, as the OpenFlow channel spells endpoints;
// the default port is 6655. Messages are framed by their header; a
// connection that sends something that is not a peer message, or a
// different protocol version, is told why (Refused) and closed. Messages
// queued on a connection still being made leave once it is up; a connect
// that fails, a peer that closes, and a transmit backlog the peer does not
// read all end in OnPeerClosed. Never blocks. Control thread only.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/status.h"
#include "control/openflow/stream.h"
#include "control/openflow/tls.h"
#include "migration/peer_protocol.h"

namespace hashi::mig {

inline constexpr uint16_t kDefaultPeerPort = 6655;

class PeerLink {
 public:
  using ConnId = uint64_t;

  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnPeerMessage(ConnId conn, const PeerMessage& m) = 0;
    virtual void OnPeerClosed(ConnId conn, const std::string& reason) = 0;
  };

  // tls: used for ssl: and pssl: endpoints (may be null: those are refused).
  explicit PeerLink(std::shared_ptr<of::TlsContext> tls = nullptr) : tls_(std::move(tls)) {}

  Status Listen(const std::string& endpoint);
  // A connection to endpoint: the open one if there is one, else a new one
  // (being made; Send queues on it meanwhile).
  Result<ConnId> ConnectTo(const std::string& endpoint);
  // Queues m on connection conn; false when it is gone.
  bool Send(ConnId conn, const PeerMessage& m);
  // Accepts, connects, reads and writes what is ready now; calls the sink.
  void Poll(uint64_t now_ns, Sink& sink);
  // Closes every connection (and the listener).
  void Shutdown();
  size_t open_connections() const { return conns_.size(); }
  const std::string& listen_endpoint() const { return listen_text_; }

 private:
  struct Conn {
    ConnId id;
    std::string endpoint;  // what we connected to; "" for accepted connections
    of::Stream stream;
    std::vector<uint8_t> in;
  };
  // Reads and dispatches; false when the connection is over.
  bool ReadInput(Conn& c, Sink& sink);

  std::shared_ptr<of::TlsContext> tls_;
  Fd listener_;
  bool listener_tls_ = false;
  std::string listen_text_;
  std::list<Conn> conns_;
  ConnId next_id_ = 1;
};

// Parses an endpoint as PeerLink takes it (default port 6655).
Result<std::string> NormalizePeerEndpoint(const std::string& text);

}  // namespace hashi::mig
