// MacTable construction and its control-side operations.
#include "dataplane/mac_table.h"

namespace hashi::dp {

MacTable::MacTable(uint32_t buckets, uint32_t aging_sec) : aging_sec_(aging_sec) {
  uint32_t n = 1;
  while (n < buckets) n <<= 1;
  bucket_mask_ = n - 1;
  entries_.reset(new Entry[static_cast<size_t>(n) * kWays]);
}

void MacTable::Flush() {
  for (uint32_t i = 0; i <= bucket_mask_ * kWays + kWays - 1; ++i) {
    entries_[i].key.store(0, std::memory_order_relaxed);
  }
}

void MacTable::FlushPort(uint32_t ofport) {
  for (uint32_t i = 0; i <= bucket_mask_ * kWays + kWays - 1; ++i) {
    if (entries_[i].key.load() != 0 && PortOf(entries_[i].value.load()) == ofport) {
      entries_[i].key.store(0, std::memory_order_relaxed);
    }
  }
}

std::vector<MacEntryView> MacTable::Dump(uint32_t now) const {
  std::vector<MacEntryView> out;
  for (uint32_t i = 0; i <= bucket_mask_ * kWays + kWays - 1; ++i) {
    const uint64_t k = entries_[i].key.load(std::memory_order_acquire);
    if (k == 0) continue;
    const uint64_t v = entries_[i].value.load(std::memory_order_acquire);
    if (TagOf(v) != Tag(k) || now - TimeOf(v) > aging_sec_) continue;
    out.push_back(MacEntryView{static_cast<uint16_t>(k & 0xfff), (k & ~(1ull << 63)) >> 12,
                               PortOf(v), now - TimeOf(v)});
  }
  return out;
}

}  // namespace hashi::dp
