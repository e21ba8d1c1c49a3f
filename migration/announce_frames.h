// The frames that announce a migrated VM at its new place, as QEMU's
// announce-self does from inside a guest: a gratuitous ARP request for each
// of its IPv4 addresses, or, when it has none, a RARP request (ethertype
// 0x8035), both broadcast from the VM's MAC, so every L2 learning table on
// the way points at the new host. Pure byte functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashi::mig {

inline constexpr size_t kAnnounceFrameLen = 60;  // padded to Ethernet's minimum

// One round's frames for a VM with mac and ipv4 addresses.
std::vector<std::vector<uint8_t>> AnnounceFrames(uint64_t mac, const std::vector<uint32_t>& ipv4);

}  // namespace hashi::mig
