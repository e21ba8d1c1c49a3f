// OfSwitch: listeners, controller connections with reconnect backoff, the
// poll loop, fail mode, and the asynchronous messages (PACKET_IN,
// FLOW_REMOVED, PORT_STATUS). Message handlers live in of_handlers.cc and
// of_stats.cc.
#include "control/of_switch.h"

#include <poll.h>
#include <rte_mbuf.h>

#include <algorithm>

#include "common/log.h"
#include "dataplane/packet_in_meta.h"

namespace hashi::ctl {

OfSwitch::OfSwitch(dp::Datapath& datapath, FlowDb& flows, PortManager& ports, OfSwitchOptions opts)
    : datapath_(datapath), flows_(flows), ports_(ports), opts_(std::move(opts)),
      buffer_(opts_.packet_buffers, 5'000'000'000ull) {}

OfSwitch::~OfSwitch() = default;

// Parses an endpoint that must be passive (listeners) or active
// (controllers), loading the TLS configuration the first time an ssl:/pssl:
// endpoint needs it.
Result<of::Endpoint> OfSwitch::ParseTarget(const std::string& text, bool passive) {
  auto e = of::ParseEndpoint(text);
  if (!e.ok()) return e.status();
  if (e->passive != passive) {
    return Status::Error(passive ? "a listener needs a passive endpoint (ptcp:, pssl:, punix:), got '" + text + "'"
                                 : "a controller needs an active endpoint (tcp:, ssl:, unix:), got '" + text + "'");
  }
  if (e->tls && !tls_) {
    auto ctx = of::TlsContext::Create(opts_.tls);
    if (!ctx.ok()) return Status::Error("'" + text + "': " + ctx.error());
    tls_ = std::move(ctx).value();
  }
  return e;
}

Status OfSwitch::Start() {
  start_ns_ = SteadyNowNs();
  datapath_id_ = opts_.datapath_id;
  if (datapath_id_ == 0) {
    const auto list = ports_.List();
    datapath_id_ = list.empty() ? 1 : list.front().mac;  // OVS also derives it from a MAC
  }
  for (const std::string& text : opts_.listen) {
    auto e = ParseTarget(text, true);
    if (!e.ok()) return e.status();
    auto fd = of::Listen(*e);
    if (!fd.ok()) return Status::Error("listen on '" + text + "': " + fd.error());
    HASHI_LOG_INFO("openflow", "listening on %s", text.c_str());
    listeners_.push_back(Listener{std::move(e).value(), std::move(fd).value()});
  }
  HASHI_RETURN_IF_ERROR(SetControllers(opts_.controllers));
  controllers_lost_ns_ = start_ns_;
  flows_.SetPortLiveness([this](uint32_t ofport) {
    auto p = ports_.Find(ofport);
    return p.ok() && p->link_up && p->forward;
  });
  known_ports_ = ports_.List();
  return Status::Ok();
}

Status OfSwitch::SetControllers(const std::vector<std::string>& targets) {
  std::vector<Controller> next;
  for (const std::string& text : targets) {
    auto e = ParseTarget(text, false);
    if (!e.ok()) return e.status();
    next.push_back(Controller{std::move(e).value()});
  }
  for (Conn& c : conns_) {
    if (c.controller >= 0) c.c->Close("controller removed by the operator");
  }
  Reap(SteadyNowNs());
  controllers_ = std::move(next);
  opts_.controllers = targets;
  controllers_lost_ns_ = SteadyNowNs();
  if (controllers_.empty()) flows_.SetFailOpen(false);
  return Status::Ok();
}

void OfSwitch::SetFailMode(FailMode mode) {
  opts_.fail_mode = mode;
  if (mode == FailMode::kSecure) flows_.SetFailOpen(false);
}

void OfSwitch::Stop() {
  for (Conn& c : conns_) c.c->Close("switch stopping");
  conns_.clear();
  for (Controller& k : controllers_) k.conn = nullptr;
  listeners_.clear();
  buffer_.Clear();
}

std::vector<OfSwitch::ConnectionInfo> OfSwitch::Connections() const {
  std::vector<ConnectionInfo> out;
  for (const Controller& k : controllers_) {
    const bool up = k.conn && k.conn->state() == of::Connection::State::kActive;
    out.push_back(ConnectionInfo{k.endpoint.text, true, up, k.conn ? k.conn->role : 0, k.last_error});
  }
  for (const Conn& c : conns_) {
    if (c.controller >= 0) continue;
    out.push_back(ConnectionInfo{c.c->name(), false, c.c->state() == of::Connection::State::kActive,
                                 c.c->role, ""});
  }
  return out;
}

void OfSwitch::AcceptAll(Listener& l, uint64_t now) {
  for (;;) {
    std::string peer;
    Fd fd = of::Accept(l.fd.get(), &peer);
    if (!fd.valid()) return;
    if (conns_.size() >= 64) {
      HASHI_LOG_WARN("openflow", "%s: refusing %s: 64 connections already", l.endpoint.text.c_str(), peer.c_str());
      continue;
    }
    const std::string name = l.endpoint.text + " <- " + peer;
    HASHI_LOG_INFO("openflow", "%s: connected", name.c_str());
    conns_.push_back(Conn{std::make_unique<of::Connection>(std::move(fd), name, false, opts_.connection, now,
                                                           l.endpoint.tls ? tls_.get() : nullptr),
                          -1});
  }
}

void OfSwitch::ConnectControllers(uint64_t now) {
  for (size_t i = 0; i < controllers_.size(); ++i) {
    Controller& k = controllers_[i];
    if (k.conn != nullptr || now < k.next_attempt_ns) continue;
    auto fd = of::StartConnect(k.endpoint);
    if (!fd.ok()) {
      k.last_error = fd.error();
      k.backoff_ns = std::min<uint64_t>(opts_.max_backoff_ns, k.backoff_ns ? k.backoff_ns * 2 : 1'000'000'000ull);
      k.next_attempt_ns = now + k.backoff_ns;
      continue;
    }
    auto c = std::make_unique<of::Connection>(std::move(fd).value(), k.endpoint.text, true, opts_.connection, now,
                                              k.endpoint.tls ? tls_.get() : nullptr);
    k.conn = c.get();
    conns_.push_back(Conn{std::move(c), static_cast<int>(i)});
  }
}

void OfSwitch::Reap(uint64_t now) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (!it->c->closed()) {
      ++it;
      continue;
    }
    HASHI_LOG_INFO("openflow", "%s: disconnected (%s)", it->c->name().c_str(), it->c->close_reason().c_str());
    if (it->controller >= 0) {
      Controller& k = controllers_[static_cast<size_t>(it->controller)];
      k.conn = nullptr;
      k.last_error = it->c->close_reason();
      // Back off exponentially, from 1 s up to the cap; reset after a session.
      const bool had_session = it->c->messages_in > 0;
      k.backoff_ns = had_session ? 1'000'000'000ull
                                 : std::min<uint64_t>(opts_.max_backoff_ns, k.backoff_ns ? k.backoff_ns * 2 : 1'000'000'000ull);
      k.next_attempt_ns = now + k.backoff_ns;
    }
    it = conns_.erase(it);
  }
}

void OfSwitch::UpdateFailMode(uint64_t now) {
  if (controllers_.empty() || opts_.fail_mode == FailMode::kSecure) return;
  bool connected = false;
  for (Controller& k : controllers_) {
    if (k.conn && k.conn->state() == of::Connection::State::kActive) {
      connected = true;
      k.ever_connected = true;
    }
  }
  if (connected) {
    controllers_lost_ns_ = 0;
    flows_.SetFailOpen(false);
    return;
  }
  if (controllers_lost_ns_ == 0) controllers_lost_ns_ = now;
  // OVS's rule: standalone takes over after three inactivity probe intervals.
  if (now - controllers_lost_ns_ >= 3 * opts_.connection.probe_interval_ns) flows_.SetFailOpen(true);
}

// Commit pacing: a forced commit (barrier, bundle, packet-out to TABLE,
// management) happens at once. Otherwise staged changes are committed when
// the input goes quiet, or every commit_interval under a steady stream, but
// never sooner than four times the last rebuild's duration after it ended:
// rebuilding then costs at most a fifth of the control thread, however many
// flow-mods stream in, and a lone flow-mod on a small table still takes
// effect within microseconds.
uint64_t OfSwitch::NextCommitNs() const { return last_commit_end_ns_ + 4 * last_commit_ns_; }

void OfSwitch::MaybeCommit(uint64_t now, bool force) {
  if (!flows_.dirty()) return;
  if (dirty_since_ns_ == 0) dirty_since_ns_ = now;
  if (!force) {
    if (now < NextCommitNs()) return;
    if (!input_quiet_ && now - dirty_since_ns_ < opts_.commit_interval_ns) return;
  }
  const uint64_t start = SteadyNowNs();
  flows_.Commit();
  last_commit_end_ns_ = SteadyNowNs();
  last_commit_ns_ = last_commit_end_ns_ - start;
  ++commit_stats_.commits;
  commit_stats_.total_ns += last_commit_ns_;
  commit_stats_.last_ns = last_commit_ns_;
  commit_stats_.max_ns = std::max(commit_stats_.max_ns, last_commit_ns_);
  dirty_since_ns_ = 0;
  SendFlowRemoved();
}

void OfSwitch::Run(int timeout_ms) {
  std::vector<pollfd> pfds;
  pfds.reserve(listeners_.size() + conns_.size());
  for (const Listener& l : listeners_) pfds.push_back(pollfd{l.fd.get(), POLLIN, 0});
  const size_t nconns = conns_.size();
  for (const Conn& c : conns_) pfds.push_back(pollfd{c.c->fd(), c.c->PollEvents(), 0});
  // Staged flow changes should not wait longer than commit pacing asks.
  int wait_ms = timeout_ms;
  if (flows_.dirty()) {
    const uint64_t t = SteadyNowNs(), next = NextCommitNs();
    wait_ms = next <= t ? 0 : std::min<int>(timeout_ms, static_cast<int>((next - t) / 1000000) + 1);
  }
  poll(pfds.data(), pfds.size(), wait_ms);
  uint64_t now = SteadyNowNs();
  bool input = false;
  for (size_t i = 0; i < nconns; ++i) {
    const short rev = pfds[listeners_.size() + i].revents;
    if (rev == 0) continue;
    input |= (rev & POLLIN) != 0;
    conns_[i].c->OnEvents(rev, now, *this);
  }
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (pfds[i].revents & POLLIN) AcceptAll(listeners_[i], now);
  }
  now = SteadyNowNs();
  for (Conn& c : conns_) c.c->Tick(now);
  Reap(now);
  ConnectControllers(now);
  DrainPacketIn(now);
  if (now - last_expiry_ns_ >= 250'000'000ull) {
    last_expiry_ns_ = now;
    flows_.ExpireFlows(now);
    buffer_.Expire(now);
  }
  if (now - last_link_poll_ns_ >= 500'000'000ull) {
    last_link_poll_ns_ = now;
    PollLinks(now);
  }
  UpdateFailMode(now);
  input_quiet_ = !input;
  MaybeCommit(now, false);
}

bool OfSwitch::WantsAsync(const of::Connection& c, const uint32_t (&mask)[2], uint8_t reason) const {
  if (c.state() != of::Connection::State::kActive || !c.CanSendAsync()) return false;
  return (mask[c.role == of::kRoleSlave ? 1 : 0] >> reason) & 1;
}

void OfSwitch::DrainPacketIn(uint64_t now) {
  rte_mbuf* pkts[64];
  std::vector<uint8_t> data, msg;
  unsigned budget = 512;  // bounded work per loop, whatever the miss rate
  unsigned n;
  while (budget > 0 && (n = datapath_.DrainPacketIn(pkts, std::min(64u, budget))) != 0) {
    budget -= n;
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      const dp::PacketInMeta meta = *dp::PacketInMetaOf(m);
      data.resize(rte_pktmbuf_pkt_len(m));
      const uint8_t* bytes = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, data.size(), data.data()));
      uint32_t buffer_id = of::kNoBuffer;
      bool buffered = false;
      const auto port_cfg = port_config_.find(meta.in_port);
      const bool muted = port_cfg != port_config_.end() && (port_cfg->second & of::kPortConfigNoPacketIn);
      for (Conn& conn : conns_) {
        of::Connection& c = *conn.c;
        if (muted || !WantsAsync(c, c.async.packet_in, meta.reason)) continue;
        if (!c.TakePacketInToken(now)) continue;
        uint16_t max_len = meta.max_len == dp::kMissSendLen ? c.config.miss_send_len : meta.max_len;
        of::PacketIn p;
        p.total_len = static_cast<uint16_t>(std::min<size_t>(data.size(), 0xffff));
        p.reason = meta.reason;
        p.table_id = meta.table_id;
        p.cookie = meta.cookie;
        p.match.Clear();
        p.mask.Clear();
        p.match.Set(dp::Field::kInPort, meta.in_port);
        p.mask.Set(dp::Field::kInPort, 0xffffffff);
        if (meta.metadata != 0) {
          p.match.Set(dp::Field::kMetadata, meta.metadata);
          p.mask.Set(dp::Field::kMetadata, ~0ull);
        }
        p.data = bytes;
        p.data_len = data.size();
        if (max_len != of::kControllerMaxLenNoBuffer && buffer_.capacity() > 0 && max_len < data.size()) {
          if (!buffered) {
            buffer_id = buffer_.Store(m, meta.in_port, now);
            buffered = true;
          }
          p.buffer_id = buffer_id;
          p.data_len = max_len;
        }
        msg.clear();
        of::EncodePacketIn(msg, p);
        c.Send(msg);
      }
      if (!buffered) rte_pktmbuf_free(m);
    }
  }
}

void OfSwitch::SendFlowRemoved() {
  std::vector<RemovedFlow> removed = flows_.TakeRemoved();
  std::vector<uint8_t> msg;
  for (const RemovedFlow& r : removed) {
    if (!(r.rule.flags & kFlagSendFlowRem)) continue;
    of::FlowRemoved f;
    f.cookie = r.rule.cookie;
    f.priority = r.rule.priority;
    // OpenFlow 1.3 has no METER_DELETE reason (1.4 added it): report DELETE.
    f.reason = r.reason == RemovedReason::kMeterDelete ? static_cast<uint8_t>(of::kRemovedDelete)
                                                         : static_cast<uint8_t>(r.reason);
    f.table_id = r.rule.table_id;
    f.duration_sec = static_cast<uint32_t>(r.age_ns / 1000000000ull);
    f.duration_nsec = static_cast<uint32_t>(r.age_ns % 1000000000ull);
    f.idle_timeout = r.rule.idle_timeout;
    f.hard_timeout = r.rule.hard_timeout;
    f.packet_count = r.packets;
    f.byte_count = r.bytes;
    f.match = r.rule.match;
    f.mask = r.rule.mask;
    msg.clear();
    of::EncodeFlowRemoved(msg, f);
    for (Conn& conn : conns_) {
      if (WantsAsync(*conn.c, conn.c->async.flow_removed, f.reason)) conn.c->Send(msg);
    }
  }
}

void OfSwitch::SendPortStatus(uint8_t reason, const PortInfo& p) {
  std::vector<uint8_t> msg;
  of::EncodePortStatus(msg, reason, DescribePort(p));
  for (Conn& conn : conns_) {
    if (WantsAsync(*conn.c, conn.c->async.port_status, reason)) conn.c->Send(msg);
  }
}

void OfSwitch::PollLinks(uint64_t) {
  const std::vector<PortInfo> now = ports_.List();
  auto find = [](const std::vector<PortInfo>& list, uint32_t ofport) {
    return std::find_if(list.begin(), list.end(), [&](const PortInfo& p) { return p.spec.ofport == ofport; });
  };
  for (const PortInfo& p : known_ports_) {
    if (find(now, p.spec.ofport) == now.end()) {
      HASHI_LOG_INFO("openflow", "port %s (%u) removed", p.spec.name.c_str(), p.spec.ofport);
      SendPortStatus(of::kPortDelete, p);
      flows_.MarkDirty();
    }
  }
  for (const PortInfo& p : now) {
    auto old = find(known_ports_, p.spec.ofport);
    if (old == known_ports_.end()) {
      SendPortStatus(of::kPortAdd, p);
      flows_.MarkDirty();
    } else if (old->link_up != p.link_up || old->binding != p.binding) {  // a link, or a VM moving
      HASHI_LOG_INFO("openflow", "port %s link %s", p.spec.name.c_str(), p.link_up ? "up" : "down");
      SendPortStatus(of::kPortModify, p);
      flows_.MarkDirty();  // fast-failover and select buckets watch links
    }
  }
  known_ports_ = now;
}

}  // namespace hashi::ctl
