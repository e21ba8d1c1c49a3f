// PacketBuffer: the switch's bounded store of packets sent to controllers
// with a buffer_id, so a PACKET_OUT or FLOW_MOD can name the packet instead
// of carrying it back. A fixed ring of slots; the oldest packet is dropped
// when a new one needs its slot, and packets expire after a timeout. Ids
// carry a sequence number, so a stale id is told apart from one never
// issued (OFPBRC_BUFFER_EMPTY vs OFPBRC_BUFFER_UNKNOWN). Control thread only.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <vector>

#include "control/openflow/wire.h"

namespace hashi::ctl {

class PacketBuffer {
 public:
  // slots is rounded down to a power of two (0 disables buffering).
  PacketBuffer(uint32_t slots, uint64_t timeout_ns) : timeout_ns_(timeout_ns) {
    uint32_t n = 1;
    while (n * 2 <= slots) n *= 2;
    slots_.resize(slots == 0 ? 0 : n);
  }
  ~PacketBuffer() { Clear(); }
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;

  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }

  // Keeps m (takes over one reference) and returns its buffer id; kNoBuffer
  // when buffering is disabled (no slots).
  uint32_t Store(rte_mbuf* m, uint32_t in_port, uint64_t now_ns) {
    if (slots_.empty()) return of::kNoBuffer;
    const uint32_t id = next_id_;
    next_id_ = (next_id_ + 1) & kIdMask;
    Slot& s = slots_[id & (capacity() - 1)];
    Free(s);
    s = Slot{m, id, in_port, now_ns};
    return id;
  }

  // Takes the packet with buffer id out of the store (the caller now owns
  // it) or says why not.
  rte_mbuf* Take(uint32_t id, uint32_t* in_port, of::OfError* err) {
    if (!slots_.empty()) {
      Slot& s = slots_[id & (capacity() - 1)];
      if (s.m != nullptr && s.id == id) {
        rte_mbuf* m = s.m;
        *in_port = s.in_port;
        s = Slot{};
        return m;
      }
    }
    const bool issued = id < next_id_;  // used, replaced or expired
    *err = of::OfError{of::kBadRequest, issued ? of::bad_request::kBufferEmpty : of::bad_request::kBufferUnknown};
    return nullptr;
  }

  void Clear() {
    for (Slot& s : slots_) Free(s);
  }

  void Expire(uint64_t now_ns) {
    for (Slot& s : slots_) {
      if (s.m != nullptr && now_ns - s.stored_ns > timeout_ns_) Free(s);
    }
  }

 private:
  struct Slot {
    rte_mbuf* m = nullptr;
    uint32_t id = 0;
    uint32_t in_port = 0;
    uint64_t stored_ns = 0;
  };
  static void Free(Slot& s) {
    if (s.m != nullptr) rte_pktmbuf_free(s.m);
    s = Slot{};
  }

  static constexpr uint32_t kIdMask = 0x7fffffff;  // never reaches OFP_NO_BUFFER
  std::vector<Slot> slots_;
  uint64_t timeout_ns_;
  uint32_t next_id_ = 0;
};

}  // namespace hashi::ctl
