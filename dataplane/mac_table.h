// MacTable: the L2 learning table behind the NORMAL action (OVS standalone
// mode): (VLAN, MAC) -> logical port, with aging.
//
// Every worker learns and looks up concurrently without locks. The table is a
// fixed array of 4-way buckets; an entry is two 64-bit words written with
// relaxed atomics: the key (MAC and VID) and the value (a 16-bit tag of the
// key, the port and the time it was last seen). A reader loads key, value,
// key again and accepts only a stable key whose tag matches the value, so a
// torn pair written by two racing workers is never believed; at worst a
// lookup misses and the packet floods, as it would before learning. Workers
// rewrite an entry only when its port changes or its time is a second old,
// which keeps the cache line mostly clean.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/compiler.h"

namespace hashi::dp {

struct MacEntryView {
  uint16_t vid;
  uint64_t mac;
  uint32_t ofport;
  uint32_t age_sec;
};

class MacTable {
 public:
  static constexpr int kWays = 4;
  explicit MacTable(uint32_t buckets = 4096, uint32_t aging_sec = 300);

  HASHI_ALWAYS_INLINE void Learn(uint16_t vid, uint64_t mac, uint32_t ofport, uint32_t now) {
    const uint64_t key = KeyOf(vid, mac);
    Entry* b = Bucket(key);
    const uint64_t value = ValueOf(key, ofport, now);
    Entry* victim = &b[0];
    uint32_t victim_time = ~0u;
    for (int i = 0; i < kWays; ++i) {
      const uint64_t k = b[i].key.load(std::memory_order_relaxed);
      const uint64_t v = b[i].value.load(std::memory_order_relaxed);
      if (k == key) {
        if (PortOf(v) != ofport || TimeOf(v) + 1 <= now || TagOf(v) != Tag(key)) {
          b[i].value.store(value, std::memory_order_relaxed);
        }
        return;
      }
      const uint32_t t = (k == 0) ? 0 : TimeOf(v);
      if (t < victim_time) {
        victim_time = t;
        victim = &b[i];
      }
    }
    victim->key.store(key, std::memory_order_relaxed);
    victim->value.store(value, std::memory_order_release);
  }

  // Returns the learned port, or 0 if unknown or aged out.
  HASHI_ALWAYS_INLINE uint32_t Lookup(uint16_t vid, uint64_t mac, uint32_t now) const {
    const uint64_t key = KeyOf(vid, mac);
    const Entry* b = Bucket(key);
    for (int i = 0; i < kWays; ++i) {
      if (b[i].key.load(std::memory_order_acquire) != key) continue;
      const uint64_t v = b[i].value.load(std::memory_order_acquire);
      if (b[i].key.load(std::memory_order_relaxed) != key || TagOf(v) != Tag(key)) return 0;
      if (now - TimeOf(v) > aging_sec_) return 0;
      return PortOf(v);
    }
    return 0;
  }

  // Control side: forget everything, or every entry pointing at ofport.
  void Flush();
  void FlushPort(uint32_t ofport);
  std::vector<MacEntryView> Dump(uint32_t now) const;
  uint32_t aging_sec() const { return aging_sec_; }
  void set_aging_sec(uint32_t s) { aging_sec_ = s; }

 private:
  struct Entry {
    std::atomic<uint64_t> key{0};
    std::atomic<uint64_t> value{0};
  };
  static uint64_t KeyOf(uint16_t vid, uint64_t mac) {
    return (mac << 12 | (vid & 0xfff)) | (1ull << 63);  // bit 63 keeps 0 meaning empty
  }
  static uint16_t Tag(uint64_t key) {
    uint64_t x = key * 0x9E3779B97F4A7C15ull;
    return static_cast<uint16_t>(x >> 48);
  }
  static uint64_t ValueOf(uint64_t key, uint32_t port, uint32_t now) {
    return static_cast<uint64_t>(Tag(key)) << 48 | static_cast<uint64_t>(port & 0xffff) << 32 | now;
  }
  static uint16_t TagOf(uint64_t v) { return static_cast<uint16_t>(v >> 48); }
  static uint32_t PortOf(uint64_t v) { return static_cast<uint32_t>(v >> 32) & 0xffff; }
  static uint32_t TimeOf(uint64_t v) { return static_cast<uint32_t>(v); }
  Entry* Bucket(uint64_t key) const {
    const uint64_t h = (key * 0xff51afd7ed558ccdull) >> 32;
    return &entries_[(h & bucket_mask_) * kWays];
  }

  std::unique_ptr<Entry[]> entries_;
  uint32_t bucket_mask_;
  uint32_t aging_sec_;
};

}  // namespace hashi::dp
