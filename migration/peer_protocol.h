// PeerProtocol: the messages two hashi processes exchange to migrate a VM
// between them, and their wire format.
//
// Every message starts with a 20-byte header:
//   magic "HSMP" | version (1) | type (1) | flags (2) | length (4, whole
//   message) | migration id (8)
// followed by TLV fields (type 2, length 2, value), all big-endian. A reader
// ignores field types it does not know, so newer peers may add fields; a
// different version is refused (Refused, reason "version"). Each message
// names its migration, so a peer can answer a retried message again
// (idempotent) and ignore one for a migration it has forgotten.
//
// Flow (source A, destination B), on the seed paper's six steps:
//   A -> B  Prepare           step 2: reserve (VM identity, addresses, memory;
//                             follow: someone else drives the hypervisors)
//   B -> A  Reserved | Refused   (incoming URI for the hypervisor stream)
//   A -> B  PrecopyProgress   step 3, informational
//   A -> B  SwitchoverArmed   step 4: the VM is paused, A holds its packets
//   B -> A  Ack(SwitchoverArmed)
//   B -> A  Resumed           step 5: the VM runs at B, B's port is Local
//   A -> B  Commit            step 6: A keeps only a forwarding pointer
//   either  Abort             rollback (before Resumed)
//   B -> A  Ack(Commit | Abort)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hashi::mig {

inline constexpr uint8_t kPeerProtocolVersion = 1;
inline constexpr size_t kPeerHeaderLen = 20;
inline constexpr size_t kMaxPeerMessage = 64 * 1024;

enum class MsgType : uint8_t {
  kPrepare = 1,
  kReserved = 2,
  kRefused = 3,
  kPrecopyProgress = 4,
  kSwitchoverArmed = 5,
  kResumed = 6,
  kCommit = 7,
  kAbort = 8,
  kAck = 9,
};
const char* MsgTypeName(MsgType t);

// The VM as the destination must know it.
struct VmIdentity {
  std::string name;
  uint32_t ofport = 0;          // its logical port number (kept at the destination)
  uint64_t mac = 0;
  std::vector<uint32_t> ipv4;   // announced with gratuitous ARP (RARP when empty)
  uint64_t memory_bytes = 0;    // capacity the destination must have
};

struct PeerMessage {
  MsgType type = MsgType::kAbort;
  uint64_t migration_id = 0;
  // kPrepare
  VmIdentity vm;
  uint32_t source_ip = 0;       // A's underlay address: B needs a tunnel to it
  // An orchestrator (libvirt, Nova, any QMP client) drives the hypervisors;
  // the switches only follow (hashictl migration follow): B must not start
  // or stop the incoming VM.
  bool follow = false;
  // kReserved
  std::string incoming_uri;     // where A's hypervisor sends the VM (e.g. tcp:10.2.0.1:4444)
  // kRefused, kAbort: why
  std::string reason;
  // kPrecopyProgress
  uint32_t iteration = 0;
  uint64_t sent_bytes = 0;
  uint64_t remaining_bytes = 0;
  uint64_t dirty_rate_bps = 0;
  // kResumed: B's figures for A's report
  uint64_t held_at_destination = 0;
  // kAck
  MsgType acked = MsgType::kAbort;
};

// Appends msg's encoding to out.
void EncodePeerMessage(const PeerMessage& msg, std::vector<uint8_t>& out);

// How many bytes the message at the start of buf needs: 0 when fewer than a
// header are there; an error when the header is not one of ours (framing is
// lost: close the connection).
Result<size_t> PeerMessageLength(const uint8_t* buf, size_t len);

// Decodes one whole message (len from PeerMessageLength). Errors say what is
// wrong; a version other than ours is an error whose message starts with
// "version".
Result<PeerMessage> DecodePeerMessage(const uint8_t* buf, size_t len);

}  // namespace hashi::mig
