// libFuzzer target for the OpenFlow codec (control/openflow/): any bytes go
// through the decoder their header names, and whatever decodes is encoded
// again and decoded once more, which must succeed. Built without DPDK by
// scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined); CI runs it
// for a bounded time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "control/openflow/messages.h"

using namespace hashi::of;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports the input
}

void FlowModRoundTrip(const FlowMod& fm) {
  std::vector<uint8_t> out;
  Writer w(out);
  const size_t at = w.Begin(kFlowMod, 1);
  w.U64(fm.cookie);
  w.U64(fm.cookie_mask);
  w.U8(fm.table_id);
  w.U8(fm.command);
  w.U16(fm.idle_timeout);
  w.U16(fm.hard_timeout);
  w.U16(fm.priority);
  w.U32(fm.buffer_id);
  w.U32(fm.out_port);
  w.U32(fm.out_group);
  w.U16(fm.flags);
  w.U16(0);
  EncodeMatch(w, fm.match, fm.mask);
  EncodeInstructions(w, fm.instructions.ins, fm.match);
  w.End(at);
  FlowMod again;
  Check(!DecodeFlowMod(out.data(), out.size(), &again));
  Check(again.match == fm.match && again.mask == fm.mask);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderLen) return 0;
  std::vector<uint8_t> msg(data, data + size);
  // The framer guarantees the header length is the message length.
  msg[2] = static_cast<uint8_t>(size >> 8);
  msg[3] = static_cast<uint8_t>(size);
  if (size > kMaxMessageLen) return 0;
  const uint8_t* m = msg.data();
  switch (msg[1]) {
    case kHello: { Hello h; (void)DecodeHello(m, size, &h); break; }
    case kSetConfig: { SwitchConfig c; (void)DecodeSetConfig(m, size, &c); break; }
    case kFlowMod: {
      FlowMod fm;
      if (!DecodeFlowMod(m, size, &fm) && fm.command != kDelete && fm.command != kDeleteStrict) FlowModRoundTrip(fm);
      break;
    }
    case kPacketOut: { PacketOut p; (void)DecodePacketOut(m, size, &p); break; }
    case kMultipartRequest: { MultipartRequest r; (void)DecodeMultipartRequest(m, size, &r); break; }
    case kRoleRequest: { RoleRequest r; (void)DecodeRoleRequest(m, size, &r); break; }
    case kSetAsync: { AsyncConfig a; (void)DecodeSetAsync(m, size, &a); break; }
    case kPortMod: { PortMod p; (void)DecodePortMod(m, size, &p); break; }
    case kTableMod: { TableMod t; (void)DecodeTableMod(m, size, &t); break; }
    case kGroupMod: {
      GroupMod g;
      if (!DecodeGroupMod(m, size, &g) && g.command != kGroupDelete) {
        std::vector<uint8_t> out;
        Writer w(out);
        EncodeGroupDesc(w, g.group);  // must not crash on anything that decoded
      }
      break;
    }
    case kMeterMod: {
      MeterMod mm;
      if (!DecodeMeterMod(m, size, &mm) && mm.command != kMeterDelete) {
        std::vector<uint8_t> out;
        Writer w(out);
        EncodeMeterConfig(w, mm.config);
      }
      break;
    }
    case kPacketIn: { PacketIn p; (void)DecodePacketIn(m, size, &p); break; }
    case kExperimenter: {
      uint32_t exp = 0, type = 0;
      if (DecodeExperimenterHeader(m, size, &exp, &type)) break;
      BundleCtrl c;
      BundleAdd a;
      (void)DecodeBundleCtrl(m, size, &c);
      if (!DecodeBundleAdd(m, size, &a)) Check(a.inner + a.inner_len <= m + size);
      break;
    }
    default: break;
  }
  return 0;
}
