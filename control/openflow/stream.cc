// Stream: non-blocking connect completion, TLS handshake, reads and buffered writes.
#include "control/openflow/stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "control/openflow/endpoint.h"

namespace hashi::of {

Stream::Stream(Fd fd, bool connecting, const TlsContext* tls, std::string log_name)
    : fd_(std::move(fd)), log_name_(std::move(log_name)), connecting_(connecting) {
  if (tls == nullptr) return;
  ssl_.reset(SSL_new(tls->get()));
  if (ssl_ == nullptr || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
    closed_ = true;
    close_reason_ = "TLS setup: " + TlsError();
    fd_.Reset();
    return;
  }
  if (connecting) SSL_set_connect_state(ssl_.get()); else SSL_set_accept_state(ssl_.get());
  tls_ready_ = false;
}

short Stream::PollEvents() const {
  if (closed_) return 0;
  if (connecting_) return POLLOUT;
  const bool write = backlog() > 0 || tls_wants_write_;
  return static_cast<short>(POLLIN | (write ? POLLOUT : 0));
}

bool Stream::Advance(short revents) {
  if (closed_) return false;
  if (connecting_) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return false;
    if (Status s = ConnectResult(fd_.get()); !s.ok()) {
      Close(s.message());
      return false;
    }
    connecting_ = false;
    if (tls_ready_) just_connected_ = true;
  }
  if (!tls_ready_ && !Handshake()) return false;
  return true;
}

bool Stream::Handshake() {
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    tls_ready_ = true;
    tls_wants_write_ = false;
    just_connected_ = true;
    HASHI_LOG_INFO("stream", "%s: TLS established (%s)", log_name_.c_str(), SSL_get_version(ssl_.get()));
    return true;
  }
  const int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    tls_wants_write_ = err == SSL_ERROR_WANT_WRITE;
    return false;
  }
  const long verify = SSL_get_verify_result(ssl_.get());
  const std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : TlsError();
  closed_ = true;
  close_reason_ = "TLS handshake failed: " + why;
  fd_.Reset();
  return false;
}

ssize_t Stream::Receive(uint8_t* buf, size_t len) {
  if (closed_) return -1;
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

ssize_t Stream::Transmit(const uint8_t* buf, size_t len) {
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

bool Stream::Queue(const uint8_t* bytes, size_t len, size_t max_backlog) {
  if (closed_) return false;
  if (backlog() + len > max_backlog) {
    Close("peer does not read (transmit backlog over " + std::to_string(max_backlog) + " bytes)");
    return false;
  }
  out_.insert(out_.end(), bytes, bytes + len);
  return true;
}

void Stream::Flush() {
  if (!tls_ready_ || connecting_) return;
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

void Stream::Close(const std::string& reason) {
  if (closed_) return;
  Flush();  // best effort: whatever explains why
  closed_ = true;
  close_reason_ = reason;
  fd_.Reset();
}

}  // namespace hashi::of
