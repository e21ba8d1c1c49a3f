// Connection: framing, HELLO negotiation, ECHO, and buffered non-blocking I/O.
#include "control/openflow/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "control/openflow/endpoint.h"

namespace hashi::of {

Connection::Connection(Fd fd, std::string name, bool connecting, const ConnectionOptions& opts, uint64_t now_ns,
                       const TlsContext* tls)
    : fd_(std::move(fd)), name_(std::move(name)), opts_(opts),
      state_(connecting ? State::kConnecting : State::kHello), last_rx_ns_(now_ns),
      tokens_(opts.packet_in_burst), tokens_at_ns_(now_ns) {
  if (tls != nullptr) {
    ssl_.reset(SSL_new(tls->get()));
    if (ssl_ == nullptr || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
      state_ = State::kClosed;
      close_reason_ = "TLS setup: " + TlsError();
      fd_.Reset();
      return;
    }
    if (connecting) SSL_set_connect_state(ssl_.get()); else SSL_set_accept_state(ssl_.get());
    tls_ready_ = false;
  }
  if (!connecting) EncodeHello(out_, next_xid_++);
}

short Connection::PollEvents() const {
  if (state_ == State::kClosed) return 0;
  if (state_ == State::kConnecting) return POLLOUT;
  const bool write = out_.size() > out_off_ || tls_wants_write_;
  return static_cast<short>(POLLIN | (write ? POLLOUT : 0));
}

bool Connection::Handshake() {
  if (tls_ready_) return true;
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    tls_ready_ = true;
    tls_wants_write_ = false;
    HASHI_LOG_INFO("openflow", "%s: TLS established (%s)", name_.c_str(), SSL_get_version(ssl_.get()));
    return true;
  }
  const int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    tls_wants_write_ = err == SSL_ERROR_WANT_WRITE;
    return false;
  }
  const long verify = SSL_get_verify_result(ssl_.get());
  const std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : TlsError();
  state_ = State::kClosed;
  close_reason_ = "TLS handshake failed: " + why;
  fd_.Reset();
  return false;
}

ssize_t Connection::Receive(uint8_t* buf, size_t len) {
  if (!ssl_) {
    const ssize_t n = ::recv(fd_.get(), buf, len, 0);
    if (n > 0) return n;
    if (n == 0) {
      Close("connection closed by peer");
      return -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    Close(std::string("recv: ") + std::strerror(errno));
    return -1;
  }
  const int n = SSL_read(ssl_.get(), buf, static_cast<int>(len));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_.get(), n);
  if (err == SSL_ERROR_WANT_READ) return 0;
  if (err == SSL_ERROR_WANT_WRITE) {
    tls_wants_write_ = true;
    return 0;
  }
  Close(err == SSL_ERROR_ZERO_RETURN ? "connection closed by peer" : "TLS read: " + TlsError());
  return -1;
}

ssize_t Connection::Transmit(const uint8_t* buf, size_t len) {
  if (!ssl_) {
    const ssize_t n = ::send(fd_.get(), buf, len, MSG_NOSIGNAL);
    if (n >= 0) return n;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  }
  const int n = SSL_write(ssl_.get(), buf, static_cast<int>(len));
  if (n > 0) {
    tls_wants_write_ = false;
    return n;
  }
  const int err = SSL_get_error(ssl_.get(), n);
  if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
    tls_wants_write_ = err == SSL_ERROR_WANT_WRITE;
    return 0;
  }
  return -1;
}

void Connection::Close(const std::string& reason) {
  if (state_ == State::kClosed) return;
  Flush();  // best effort: an error or HELLO_FAILED explaining why
  state_ = State::kClosed;
  close_reason_ = reason;
  fd_.Reset();
}

void Connection::Send(const std::vector<uint8_t>& bytes) {
  if (state_ == State::kClosed) return;
  if (tx_backlog() + bytes.size() > opts_.max_tx_backlog) {
    Close("peer does not read (transmit backlog over " + std::to_string(opts_.max_tx_backlog) + " bytes)");
    return;
  }
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void Connection::SendError(uint32_t xid, OfError e, const uint8_t* msg, size_t len) {
  std::vector<uint8_t> b;
  EncodeError(b, xid, e, msg, len);
  Send(b);
}

void Connection::Flush() {
  if (!tls_ready_) return;
  while (out_off_ < out_.size() && fd_.valid()) {
    const ssize_t n = Transmit(out_.data() + out_off_, out_.size() - out_off_);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) break;
    out_off_ = out_.size();  // the peer is gone; reading will notice
    break;
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  } else if (out_off_ > (1u << 20) && out_off_ > out_.size() / 2) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_off_));
    out_off_ = 0;
  }
}

void Connection::OnEvents(short revents, uint64_t now_ns, MessageSink& sink) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kConnecting) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
    if (Status s = ConnectResult(fd_.get()); !s.ok()) {
      Close(s.message());
      return;
    }
    state_ = State::kHello;
    last_rx_ns_ = now_ns;
    EncodeHello(out_, next_xid_++);
  }
  if (!tls_ready_) {
    if (!Handshake()) return;
    last_rx_ns_ = now_ns;
  }
  if (revents & (POLLIN | POLLERR | POLLHUP) || ssl_) ReadInput(now_ns, sink);
  if (state_ != State::kClosed) Flush();
}

void Connection::ReadInput(uint64_t now_ns, MessageSink& sink) {
  uint8_t buf[64 * 1024];
  // Bounded work per call so one busy peer cannot starve the others.
  for (int round = 0; round < 16 && state_ != State::kClosed; ++round) {
    const ssize_t n = Receive(buf, sizeof(buf));
    if (n < 0) return;  // closed, reason recorded
    if (n == 0) break;  // nothing more for now
    last_rx_ns_ = now_ns;
    probe_sent_ = false;
    in_.insert(in_.end(), buf, buf + n);
    size_t off = 0;
    while (state_ != State::kClosed && in_.size() - off >= kHeaderLen) {
      const Header h = ParseHeader(in_.data() + off);
      if (h.length < kHeaderLen) {
        // Framing is lost: say why, then close (nothing after can be trusted).
        SendError(h.xid, OfError{kBadRequest, bad_request::kBadLen}, in_.data() + off, kHeaderLen);
        Close("message length " + std::to_string(h.length) + " shorter than a header");
        return;
      }
      if (in_.size() - off < h.length) break;
      Dispatch(in_.data() + off, h.length, sink);
      off += h.length;
    }
    if (state_ == State::kClosed) return;
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(off));
    if (!ssl_ && static_cast<size_t>(n) < sizeof(buf)) break;  // TLS may hold decrypted bytes: read on
  }
}

void Connection::Dispatch(const uint8_t* msg, size_t len, MessageSink& sink) {
  const Header h = ParseHeader(msg);
  ++messages_in;
  if (state_ == State::kHello) {
    if (h.type != kHello) {
      std::vector<uint8_t> b;
      const char text[] = "expected HELLO first";
      EncodeError(b, h.xid, OfError{kHelloFailed, hello_failed::kIncompatible},
                  reinterpret_cast<const uint8_t*>(text), sizeof(text) - 1, h.version);
      Send(b);
      Close("peer did not start with HELLO");
      return;
    }
    Hello hello;
    (void)DecodeHello(msg, len, &hello);
    if (!(hello.versions & (1u << kVersion13))) {
      std::vector<uint8_t> b;
      char text_buf[64];
      std::snprintf(text_buf, sizeof text_buf, "hashi speaks OpenFlow 1.3 only; peer offered 0x%x", hello.versions);
      const std::string text = text_buf;
      EncodeError(b, h.xid, OfError{kHelloFailed, hello_failed::kIncompatible},
                  reinterpret_cast<const uint8_t*>(text.data()), text.size(), h.version);
      Send(b);
      Close("no common OpenFlow version (peer bitmap " + std::to_string(hello.versions) + ")");
      return;
    }
    state_ = State::kActive;
    HASHI_LOG_INFO("openflow", "%s: negotiated OpenFlow 1.3", name_.c_str());
    return;
  }
  if (h.version != kVersion13) {
    SendError(h.xid, OfError{kBadRequest, bad_request::kBadVersion}, msg, len);
    return;
  }
  switch (h.type) {
    case kHello:
      return;  // a repeated HELLO is harmless
    case kEchoRequest: {
      std::vector<uint8_t> b;
      EncodeEcho(b, kEchoReply, h.xid, msg + kHeaderLen, len - kHeaderLen);
      Send(b);
      return;
    }
    case kEchoReply:
      return;  // any received message already counts as liveness
    default:
      sink.OnMessage(*this, h, msg, len);
  }
}

void Connection::Tick(uint64_t now_ns) {
  if (state_ == State::kClosed) return;
  const uint64_t idle = now_ns - last_rx_ns_;
  if (state_ == State::kConnecting || state_ == State::kHello) {
    if (idle > 2 * opts_.probe_interval_ns) Close("no HELLO within " + std::to_string(2 * opts_.probe_interval_ns / 1000000000) + " s");
    return;
  }
  if (!probe_sent_ && idle > opts_.probe_interval_ns) {
    std::vector<uint8_t> b;
    EncodeEcho(b, kEchoRequest, next_xid_++, nullptr, 0);
    Send(b);
    Flush();
    probe_sent_ = true;
  } else if (probe_sent_ && idle > 2 * opts_.probe_interval_ns) {
    Close("inactivity probe: no reply for " + std::to_string(2 * opts_.probe_interval_ns / 1000000000) + " s");
  }
}

bool Connection::TakePacketInToken(uint64_t now_ns) {
  tokens_ += static_cast<double>(now_ns - tokens_at_ns_) * 1e-9 * opts_.packet_in_rate;
  if (tokens_ > opts_.packet_in_burst) tokens_ = opts_.packet_in_burst;
  tokens_at_ns_ = now_ns;
  if (tokens_ < 1.0) {
    ++packet_ins_limited;
    return false;
  }
  tokens_ -= 1.0;
  ++packet_ins_sent;
  return true;
}

}  // namespace hashi::of
