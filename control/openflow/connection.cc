// Connection: framing, HELLO negotiation, ECHO, and buffered non-blocking I/O.
#include "control/openflow/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cstdio>

#include "common/log.h"

namespace hashi::of {

Connection::Connection(Fd fd, std::string name, bool connecting, const ConnectionOptions& opts, uint64_t now_ns,
                       const TlsContext* tls)
    : stream_(std::move(fd), connecting, tls, name), name_(std::move(name)), opts_(opts),
      state_(connecting ? State::kConnecting : State::kHello), last_rx_ns_(now_ns),
      tokens_(opts.packet_in_burst), tokens_at_ns_(now_ns) {
  if (stream_.closed()) {
    StreamClosed();
    return;
  }
  if (!connecting) QueueHello();
}

void Connection::QueueHello() {
  std::vector<uint8_t> b;
  EncodeHello(b, next_xid_++);
  Send(b);
}

void Connection::StreamClosed() {
  state_ = State::kClosed;
  close_reason_ = stream_.close_reason();
}

short Connection::PollEvents() const { return state_ == State::kClosed ? 0 : stream_.PollEvents(); }

void Connection::Close(const std::string& reason) {
  if (state_ == State::kClosed) return;
  stream_.Close(reason);  // best effort flush first: an error or HELLO_FAILED explaining why
  StreamClosed();
}

void Connection::Send(const std::vector<uint8_t>& bytes) {
  if (state_ == State::kClosed) return;
  if (!stream_.Queue(bytes.data(), bytes.size(), opts_.max_tx_backlog)) StreamClosed();
}

void Connection::SendError(uint32_t xid, OfError e, const uint8_t* msg, size_t len) {
  std::vector<uint8_t> b;
  EncodeError(b, xid, e, msg, len);
  Send(b);
}

void Connection::OnEvents(short revents, uint64_t now_ns, MessageSink& sink) {
  if (state_ == State::kClosed) return;
  const bool ready = stream_.Advance(revents);
  if (stream_.closed()) return StreamClosed();
  if (stream_.just_connected()) {  // connect (and TLS handshake) done
    last_rx_ns_ = now_ns;
    if (state_ == State::kConnecting) {
      state_ = State::kHello;
      QueueHello();
    }
  }
  if (!ready) return;
  if (revents & (POLLIN | POLLERR | POLLHUP) || stream_.tls()) ReadInput(now_ns, sink);
  if (state_ != State::kClosed) stream_.Flush();
}

void Connection::ReadInput(uint64_t now_ns, MessageSink& sink) {
  uint8_t buf[64 * 1024];
  // Bounded work per call so one busy peer cannot starve the others.
  for (int round = 0; round < 16 && state_ != State::kClosed; ++round) {
    const ssize_t n = stream_.Receive(buf, sizeof(buf));
    if (n < 0) return StreamClosed();
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
    if (!stream_.tls() && static_cast<size_t>(n) < sizeof(buf)) break;  // TLS may hold decrypted bytes: read on
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
    stream_.Flush();
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
