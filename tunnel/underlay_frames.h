// The frames hashi itself sends and answers on an uplink (control thread):
// ARP requests and replies for its underlay address, and ICMP echo replies so
// that `ping` to a host's tunnel endpoint works. Pure byte functions, so the
// exact bytes are unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hashi::tun {

inline constexpr size_t kArpFrameLen = 42;  // Ethernet + ARP, before padding

struct ArpInfo {
  uint16_t op = 0;  // 1 request, 2 reply
  uint64_t sha = 0;
  uint32_t spa = 0;
  uint64_t tha = 0;
  uint32_t tpa = 0;
};

// Parses an Ethernet/IPv4 ARP frame; false when it is not one (or is cut short).
bool ParseArp(const uint8_t* frame, size_t len, ArpInfo* out);

// Writes a broadcast "who-has target_ip" into out (kArpFrameLen bytes).
size_t BuildArpRequest(uint8_t* out, uint64_t my_mac, uint32_t my_ip, uint32_t target_ip);
// Writes "my_ip is-at my_mac" to (dst_mac, dst_ip) into out (kArpFrameLen bytes).
size_t BuildArpReply(uint8_t* out, uint64_t my_mac, uint32_t my_ip, uint64_t dst_mac, uint32_t dst_ip);

// Turns an ICMP echo request addressed to (my_mac, my_ip) into its reply in
// place (addresses swapped, type 0, checksums fixed, IP options kept).
// Returns false, leaving the frame alone, when it is not a valid echo
// request for us (bad lengths, checksum, fragment, broadcast source).
bool MakeEchoReply(uint8_t* frame, size_t len, uint64_t my_mac, uint32_t my_ip);

// RFC 1071 sum of len bytes folded to 16 bits (not complemented).
uint16_t OnesSum(const uint8_t* p, size_t len, uint32_t initial = 0);

}  // namespace hashi::tun
