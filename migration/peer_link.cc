// PeerLink: listener, connectors, framing and dispatch.
#include "migration/peer_link.h"

#include <poll.h>

#include "common/log.h"
#include "control/openflow/endpoint.h"

namespace hashi::mig {

namespace {

constexpr size_t kMaxBacklog = 4u << 20;

Result<of::Endpoint> ParsePeer(const std::string& text) {
  auto e = of::ParseEndpoint(text);
  if (!e.ok()) return e.status();
  // ParseEndpoint fills in OpenFlow's port when none is given.
  if (e->kind == of::Endpoint::Kind::kTcp && e->port == of::kDefaultOpenFlowPort &&
      text.find(std::to_string(of::kDefaultOpenFlowPort)) == std::string::npos) {
    e->port = kDefaultPeerPort;
  }
  return e;
}

}  // namespace

Result<std::string> NormalizePeerEndpoint(const std::string& text) {
  auto e = ParsePeer(text);
  if (!e.ok()) return e.status();
  if (e->kind == of::Endpoint::Kind::kUnix) return std::string(e->passive ? "punix:" : "unix:") + e->path;
  const std::string kind = std::string(e->passive ? "p" : "") + (e->tls ? "ssl" : "tcp");
  return e->passive ? kind + ":" + std::to_string(e->port) + (e->host.empty() ? "" : ":" + e->host)
                    : kind + ":" + e->host + ":" + std::to_string(e->port);
}

Status PeerLink::Listen(const std::string& endpoint) {
  auto e = ParsePeer(endpoint);
  if (!e.ok()) return e.status();
  if (!e->passive) return Status::Error("migration listener '" + endpoint + "' must be ptcp:, pssl: or punix:");
  if (e->tls && tls_ == nullptr) return Status::Error("'" + endpoint + "' needs TLS certificate, key and CA files");
  auto fd = of::Listen(*e);
  if (!fd.ok()) return fd.status();
  listener_ = std::move(fd).value();
  listener_tls_ = e->tls;
  listen_text_ = endpoint;
  HASHI_LOG_INFO("migration", "listening for peers on %s", endpoint.c_str());
  return Status::Ok();
}

Result<PeerLink::ConnId> PeerLink::ConnectTo(const std::string& endpoint) {
  for (const Conn& c : conns_) {
    if (c.endpoint == endpoint && !c.stream.closed()) return c.id;
  }
  auto e = ParsePeer(endpoint);
  if (!e.ok()) return e.status();
  if (e->passive) return Status::Error("peer '" + endpoint + "' must be tcp:, ssl: or unix:");
  if (e->tls && tls_ == nullptr) return Status::Error("'" + endpoint + "' needs TLS certificate, key and CA files");
  auto fd = of::StartConnect(*e);
  if (!fd.ok()) return Status::Error("connecting to " + endpoint + ": " + fd.error());
  const ConnId id = next_id_++;
  conns_.push_back(Conn{id, endpoint, of::Stream(std::move(fd).value(), true, e->tls ? tls_.get() : nullptr, endpoint), {}});
  return id;
}

bool PeerLink::Send(ConnId conn, const PeerMessage& m) {
  for (Conn& c : conns_) {
    if (c.id != conn) continue;
    if (c.stream.closed()) return false;
    std::vector<uint8_t> b;
    EncodePeerMessage(m, b);
    if (!c.stream.Queue(b.data(), b.size(), kMaxBacklog)) return false;
    c.stream.Flush();
    return true;
  }
  return false;
}

void PeerLink::Poll(uint64_t now_ns, Sink& sink) {
  (void)now_ns;
  std::vector<pollfd> fds;
  if (listener_.valid()) fds.push_back(pollfd{listener_.get(), POLLIN, 0});
  for (const Conn& c : conns_) fds.push_back(pollfd{c.stream.fd(), c.stream.PollEvents(), 0});
  if (!fds.empty()) (void)::poll(fds.data(), fds.size(), 0);  // 0 ready: still reap closed streams
  size_t i = 0;
  if (listener_.valid()) {
    if (fds[i++].revents & POLLIN) {
      std::string who;
      Fd fd = of::Accept(listener_.get(), &who);
      if (fd.valid()) {
        HASHI_LOG_INFO("migration", "peer connected from %s", who.c_str());
        conns_.push_back(Conn{next_id_++, "", of::Stream(std::move(fd), false, listener_tls_ ? tls_.get() : nullptr, who), {}});
      }
    }
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    Conn& c = *it;
    const short revents = i < fds.size() && fds[i].fd == c.stream.fd() ? fds[i].revents : 0;
    ++i;
    bool alive = !c.stream.closed();
    if (alive && c.stream.Advance(revents)) {
      if (revents & (POLLIN | POLLERR | POLLHUP) || c.stream.tls()) alive = ReadInput(c, sink);
      if (alive) c.stream.Flush();
    }
    if (c.stream.closed() || !alive) {
      const std::string why = c.stream.closed() ? c.stream.close_reason() : "closed";
      HASHI_LOG_INFO("migration", "peer connection %llu (%s) closed: %s", static_cast<unsigned long long>(c.id),
                     c.endpoint.empty() ? "incoming" : c.endpoint.c_str(), why.c_str());
      const ConnId id = c.id;
      it = conns_.erase(it);
      sink.OnPeerClosed(id, why);
      continue;
    }
    ++it;
  }
}

bool PeerLink::ReadInput(Conn& c, Sink& sink) {
  uint8_t buf[16 * 1024];
  for (int round = 0; round < 16; ++round) {
    const ssize_t n = c.stream.Receive(buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) break;
    c.in.insert(c.in.end(), buf, buf + n);
    size_t off = 0;
    while (off < c.in.size()) {
      auto need = PeerMessageLength(c.in.data() + off, c.in.size() - off);
      if (!need.ok()) {
        c.stream.Close(need.error());
        return false;
      }
      if (*need == 0 || c.in.size() - off < *need) break;
      auto m = DecodePeerMessage(c.in.data() + off, *need);
      off += *need;
      if (!m.ok()) {
        PeerMessage refused;
        refused.type = MsgType::kRefused;
        refused.reason = m.error();
        std::vector<uint8_t> b;
        EncodePeerMessage(refused, b);
        c.stream.Queue(b.data(), b.size(), kMaxBacklog);
        c.stream.Close("bad peer message: " + m.error());
        return false;
      }
      sink.OnPeerMessage(c.id, *m);
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(off));
    if (!c.stream.tls() && static_cast<size_t>(n) < sizeof buf) break;
  }
  return true;
}

void PeerLink::Shutdown() {
  for (Conn& c : conns_) c.stream.Close("shutting down");
  conns_.clear();
  listener_.Reset();
}

}  // namespace hashi::mig
