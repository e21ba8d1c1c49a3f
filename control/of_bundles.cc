// OfSwitch's bundles (OpenFlow 1.4 semantics over the ONF extension for 1.3
// that ovs-ofctl --bundle uses): messages are validated when added, kept per
// connection, and applied at commit inside a FlowDb transaction, so either
// every flow-mod of the bundle is published in one snapshot or none is.
#include "common/log.h"
#include "control/of_switch.h"

namespace hashi::ctl {
namespace {

constexpr size_t kMaxBundles = 16;              // open bundles per connection
constexpr size_t kMaxBundleMessages = 1 << 20;  // messages per bundle

of::OfError BundleError(uint16_t code) { return of::OfError{of::kBundleFailedType, code}; }

}  // namespace

void OfSwitch::HandleExperimenter(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  uint32_t experimenter = 0, exp_type = 0;
  if (auto e = of::DecodeExperimenterHeader(msg, len, &experimenter, &exp_type)) return c.SendError(h.xid, *e, msg, len);
  if (experimenter != of::kOnfExperimenterId) {
    return c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadExperimenter}, msg, len);
  }
  if (exp_type == of::kOnfBundleControl) return HandleBundleCtrl(c, h, msg, len);
  if (exp_type == of::kOnfBundleAdd) return HandleBundleAdd(c, h, msg, len);
  c.SendError(h.xid, of::OfError{of::kBadRequest, of::bad_request::kBadExpType}, msg, len);
}

void OfSwitch::HandleBundleAdd(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::BundleAdd add;
  if (auto e = of::DecodeBundleAdd(msg, len, &add)) return c.SendError(h.xid, *e, msg, len);
  const of::Header inner = of::ParseHeader(add.inner);
  if (inner.type != of::kFlowMod) return c.SendError(h.xid, BundleError(of::bundle_failed::kMsgUnsup), msg, len);
  // Validate now, so a bad message is reported at once, not at commit.
  of::FlowMod fm;
  if (auto e = of::DecodeFlowMod(add.inner, add.inner_len, &fm)) return c.SendError(inner.xid, *e, add.inner, add.inner_len);
  auto it = c.bundles.find(add.bundle_id);
  if (it == c.bundles.end()) {  // adding opens the bundle implicitly (OpenFlow 1.4, 7.3.9.3)
    if (c.bundles.size() >= kMaxBundles) return c.SendError(h.xid, BundleError(of::bundle_failed::kOutOfBundles), msg, len);
    it = c.bundles.emplace(add.bundle_id, of::Connection::Bundle{add.flags, false, {}}).first;
  }
  if (it->second.closed) return c.SendError(h.xid, BundleError(of::bundle_failed::kBundleClosed), msg, len);
  if (it->second.flags != add.flags) return c.SendError(h.xid, BundleError(of::bundle_failed::kBadFlags), msg, len);
  if (it->second.messages.size() >= kMaxBundleMessages) {
    return c.SendError(h.xid, BundleError(of::bundle_failed::kMsgTooMany), msg, len);
  }
  it->second.messages.emplace_back(add.inner, add.inner + add.inner_len);
}

void OfSwitch::HandleBundleCtrl(of::Connection& c, const of::Header& h, const uint8_t* msg, size_t len) {
  of::BundleCtrl ctrl;
  if (auto e = of::DecodeBundleCtrl(msg, len, &ctrl)) return c.SendError(h.xid, *e, msg, len);
  auto it = c.bundles.find(ctrl.bundle_id);
  auto reply = [&](uint16_t type) {
    std::vector<uint8_t> out;
    of::EncodeBundleReply(out, h.xid, of::BundleCtrl{ctrl.bundle_id, type, ctrl.flags});
    c.Send(out);
  };
  switch (ctrl.type) {
    case of::kBundleOpenRequest:
      if (it != c.bundles.end()) return c.SendError(h.xid, BundleError(of::bundle_failed::kBundleExist), msg, len);
      if (c.bundles.size() >= kMaxBundles) return c.SendError(h.xid, BundleError(of::bundle_failed::kOutOfBundles), msg, len);
      c.bundles.emplace(ctrl.bundle_id, of::Connection::Bundle{ctrl.flags, false, {}});
      return reply(of::kBundleOpenReply);
    case of::kBundleCloseRequest:
      if (it == c.bundles.end()) return c.SendError(h.xid, BundleError(of::bundle_failed::kBadId), msg, len);
      if (it->second.closed) return c.SendError(h.xid, BundleError(of::bundle_failed::kBundleClosed), msg, len);
      it->second.closed = true;
      return reply(of::kBundleCloseReply);
    case of::kBundleDiscardRequest:
      if (it == c.bundles.end()) return c.SendError(h.xid, BundleError(of::bundle_failed::kBadId), msg, len);
      c.bundles.erase(it);
      return reply(of::kBundleDiscardReply);
    case of::kBundleCommitRequest:
      break;
  }
  if (it == c.bundles.end()) return c.SendError(h.xid, BundleError(of::bundle_failed::kBadId), msg, len);
  of::Connection::Bundle bundle = std::move(it->second);
  c.bundles.erase(it);  // committed or failed, the bundle is gone (1.4: 6.8.3)
  flows_.BeginTransaction();
  for (const std::vector<uint8_t>& m : bundle.messages) {
    of::FlowMod fm;
    std::optional<of::OfError> e = of::DecodeFlowMod(m.data(), m.size(), &fm);
    if (!e) e = ApplyFlowMod(fm);
    if (e) {
      flows_.RollbackTransaction();
      HASHI_LOG_INFO("openflow", "%s: bundle %u rolled back (%zu messages): error %u/%u", c.name().c_str(),
                     ctrl.bundle_id, bundle.messages.size(), e->type, e->code);
      c.SendError(of::ParseHeader(m.data()).xid, *e, m.data(), m.size());
      return c.SendError(h.xid, BundleError(of::bundle_failed::kMsgFailed), msg, len);
    }
  }
  flows_.EndTransaction();
  MaybeCommit(SteadyNowNs(), true);  // one snapshot holds the whole bundle
  reply(of::kBundleCommitReply);
}

}  // namespace hashi::ctl
