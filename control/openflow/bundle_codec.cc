// The ONF bundle extension for OpenFlow 1.3 (ONF EXT-230): bundle control
// and bundle add messages inside OFPT_EXPERIMENTER, with OpenFlow 1.4's
// ofp_bundle_ctrl_msg / ofp_bundle_add_msg bodies.
#include "control/openflow/messages.h"

namespace hashi::of {

std::optional<OfError> DecodeExperimenterHeader(const uint8_t* msg, size_t len, uint32_t* experimenter,
                                                uint32_t* exp_type) {
  if (len < 16) return OfError{kBadRequest, bad_request::kBadLen};
  Reader r(msg + kHeaderLen, len - kHeaderLen);
  *experimenter = r.U32();
  *exp_type = r.U32();
  return std::nullopt;
}

std::optional<OfError> DecodeBundleCtrl(const uint8_t* msg, size_t len, BundleCtrl* out) {
  if (len < 24) return OfError{kBundleFailedType, bundle_failed::kMsgBadLen};
  Reader r(msg + 16, len - 16);
  out->bundle_id = r.U32();
  out->type = r.U16();
  out->flags = r.U16();
  // Properties (only experimenter ones exist) are ignored.
  if (out->type > kBundleDiscardReply || out->type % 2 != 0) {
    return OfError{kBundleFailedType, bundle_failed::kBadType};  // replies are not requests
  }
  if (out->flags & ~(kBundleAtomic | kBundleOrdered)) return OfError{kBundleFailedType, bundle_failed::kBadFlags};
  return std::nullopt;
}

std::optional<OfError> DecodeBundleAdd(const uint8_t* msg, size_t len, BundleAdd* out) {
  if (len < 24 + kHeaderLen) return OfError{kBundleFailedType, bundle_failed::kMsgBadLen};
  Reader r(msg + 16, len - 16);
  out->bundle_id = r.U32();
  r.Skip(2);
  out->flags = r.U16();
  out->inner = r.here();
  const Header inner = ParseHeader(out->inner);
  if (inner.length < kHeaderLen || inner.length > r.remaining()) {
    return OfError{kBundleFailedType, bundle_failed::kMsgBadLen};
  }
  out->inner_len = inner.length;
  if (inner.version != kVersion13) return OfError{kBadRequest, bad_request::kBadVersion};
  return std::nullopt;
}

void EncodeBundleReply(std::vector<uint8_t>& out, uint32_t xid, const BundleCtrl& reply) {
  Writer w(out);
  const size_t at = w.Begin(kExperimenter, xid);
  w.U32(kOnfExperimenterId);
  w.U32(kOnfBundleControl);
  w.U32(reply.bundle_id);
  w.U16(reply.type);
  w.U16(reply.flags);
  w.End(at);
}

}  // namespace hashi::of
