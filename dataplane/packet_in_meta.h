// PacketInMeta: what a worker tells control about a packet it sends to the
// controller, carried in an mbuf dynamic field (rte_mbuf_dyn) registered once
// by Datapath::Create before any worker runs. Workers write it just before
// enqueueing on their packet-in ring; control reads it after dequeueing.
#pragma once

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <cstdint>

namespace hashi::dp {

struct PacketInMeta {
  uint64_t cookie;    // the rule's cookie (all ones for a table miss)
  uint64_t metadata;  // pipeline metadata when the packet left
  uint32_t in_port;   // OpenFlow ingress port
  uint16_t max_len;   // controller action's max_len, or kMissSendLen
  uint8_t reason;     // ofp_packet_in_reason
  uint8_t table_id;
};

// max_len meaning "the connection's miss_send_len" (outside OFPCML's range).
inline constexpr uint16_t kMissSendLen = 0xfff0;

// Reasons (OpenFlow 1.3 ofp_packet_in_reason).
inline constexpr uint8_t kPacketInNoMatch = 0;
inline constexpr uint8_t kPacketInAction = 1;
inline constexpr uint8_t kPacketInInvalidTtl = 2;

// Offset of the field in every mbuf; -1 until registered.
extern int g_packet_in_meta_offset;

// Registers the dynamic field (idempotent). Returns false when the mbuf has
// no room left for it.
bool RegisterPacketInMeta();

inline PacketInMeta* PacketInMetaOf(rte_mbuf* m) {
  return RTE_MBUF_DYNFIELD(m, g_packet_in_meta_offset, PacketInMeta*);
}

}  // namespace hashi::dp
