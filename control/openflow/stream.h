// Stream: a non-blocking stream socket, plain or TLS, with an output buffer:
// the transport under an OpenFlow connection (connection.h) and a migration
// peer link (migration/peer_link.h). It finishes a non-blocking connect and
// the TLS handshake, reads what is there, and sends queued bytes as the
// socket takes them. It never blocks; the owner polls PollEvents() and calls
// Advance(), Receive() and Flush(). Control thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/fd.h"
#include "control/openflow/tls.h"

namespace hashi::of {

class Stream {
 public:
  // connecting: fd is a non-blocking connect still in progress. With tls,
  // the stream runs TLS: client side when connecting, server side otherwise.
  Stream(Fd fd, bool connecting, const TlsContext* tls, std::string log_name);

  int fd() const { return fd_.get(); }
  bool closed() const { return closed_; }
  bool connecting() const { return connecting_; }
  bool tls() const { return ssl_ != nullptr; }
  const std::string& close_reason() const { return close_reason_; }
  // poll() events to wait for.
  short PollEvents() const;
  // After poll(): completes the connect, then the TLS handshake. True once
  // the stream carries data (the first time, just_connected() says so).
  bool Advance(short revents);
  bool just_connected() { bool j = just_connected_; just_connected_ = false; return j; }
  // >0 bytes read, 0 for "nothing now", -1 when the stream is over
  // (close_reason() says why).
  ssize_t Receive(uint8_t* buf, size_t len);
  // Queues bytes; false (and the stream closed) when the backlog would pass
  // max_backlog: the peer does not read.
  bool Queue(const uint8_t* bytes, size_t len, size_t max_backlog);
  // Sends what the socket takes now.
  void Flush();
  size_t backlog() const { return out_.size() - out_off_; }
  // Closes after a best-effort flush.
  void Close(const std::string& reason);

 private:
  ssize_t Transmit(const uint8_t* buf, size_t len);
  bool Handshake();

  Fd fd_;
  std::string log_name_;
  bool connecting_;
  bool just_connected_ = false;
  bool closed_ = false;
  std::string close_reason_;
  std::vector<uint8_t> out_;
  size_t out_off_ = 0;
  SslPtr ssl_;
  bool tls_ready_ = true;
  bool tls_wants_write_ = false;
};

}  // namespace hashi::of
