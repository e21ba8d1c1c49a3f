// Emc: each worker's exact-match cache in front of the table pipeline.
//
// An entry maps a complete FlowKey to the path the pipeline took for it: the
// rules matched table after table, and the table whose miss ended it, if any.
// The path is a pure function of the key (set-field and write-metadata are
// deterministic), so replaying it gives the same result as classifying again.
// Entries carry the TableSet version they were made under, so publishing a
// new TableSet invalidates the whole cache without touching it. Lookup probes
// two slots; insertion is sampled (one miss in kInsertEvery) so a workload of
// many short flows does not thrash it, as in OVS's EMC. When the cache stops
// paying (under kMinHitPercent of a window of lookups hit, e.g. 100k active
// flows for 8k entries), the worker bypasses it, hash included, for
// kBypassPackets packets and then tries again. Owned and written by one
// worker only.
#pragma once

#include <cstdint>

#include "common/compiler.h"
#include "dataplane/flow_key.h"
#include "dataplane/flow_table.h"

namespace hashi::dp {

inline constexpr int kEmcMaxDepth = 4;
inline constexpr uint8_t kNoMissTable = 0xff;

struct alignas(32) EmcEntry {
  uint32_t hash;
  uint8_t depth;       // rules in path
  uint8_t miss_table;  // table whose miss ended the path, or kNoMissTable
  uint64_t version;    // TableSet version; 0 = empty
  const RuleRef* path[kEmcMaxDepth];
  FlowKey key;
};

class Emc {
 public:
  static constexpr uint32_t kEntries = 8192;
  static constexpr uint32_t kInsertEvery = 16;
  static constexpr uint32_t kWindow = 16384;
  static constexpr uint32_t kMinHitPercent = 25;
  static constexpr uint32_t kBypassPackets = 1u << 20;

  // Whether the next n packets should use the cache; counts bypassed ones.
  HASHI_ALWAYS_INLINE bool Use(uint32_t n = 1) {
    if (HASHI_LIKELY(bypass_left_ == 0)) return true;
    bypass_left_ = bypass_left_ > n ? bypass_left_ - n : 0;
    return false;
  }
  // Records the outcome of one lookup and decides on bypassing.
  HASHI_ALWAYS_INLINE void Record(bool hit) {
    window_hits_ += hit;
    if (HASHI_LIKELY(++window_lookups_ < kWindow)) return;
    if (window_hits_ * 100 < kWindow * kMinHitPercent) bypass_left_ = kBypassPackets;
    window_hits_ = window_lookups_ = 0;
  }
  bool bypassing() const { return bypass_left_ != 0; }

  HASHI_ALWAYS_INLINE const EmcEntry* Lookup(const FlowKey& key, uint32_t hash,
                                             uint64_t version) const {
    const EmcEntry* e = &entries_[hash & (kEntries - 1)];
    if (e->hash == hash && e->version == version && e->key == key) return e;
    e = &entries_[(hash >> 13) & (kEntries - 1)];
    if (e->hash == hash && e->version == version && e->key == key) return e;
    return nullptr;
  }

  // Whether e still caches key: an insertion made after e was looked up
  // (by an earlier packet of the same burst) may have replaced it.
  HASHI_ALWAYS_INLINE static bool StillHolds(const EmcEntry* e, const FlowKey& key, uint32_t hash,
                                            uint64_t version) {
    return e->hash == hash && e->version == version && e->key == key;
  }

  // How many entries have been written so far (to tell whether an entry
  // looked up earlier can have been replaced since).
  uint64_t inserts() const { return inserts_; }

  // Tests may insert on every miss.
  void set_insert_every(uint32_t n) { insert_every_ = n; insert_counter_ = n - 1; }

  // Caches a path (depth <= kEmcMaxDepth) if this miss is sampled.
  HASHI_ALWAYS_INLINE void MaybeInsert(const FlowKey& key, uint32_t hash, uint64_t version,
                                       const RuleRef* const* path, uint8_t depth,
                                       uint8_t miss_table) {
    if (depth > kEmcMaxDepth || (++insert_counter_ % insert_every_) != 0) return;
    EmcEntry* a = &entries_[hash & (kEntries - 1)];
    EmcEntry* b = &entries_[(hash >> 13) & (kEntries - 1)];
    EmcEntry* e = (a->version != version) ? a : (b->version != version ? b : ((hash & 1) ? a : b));
    ++inserts_;
    e->hash = hash;
    e->version = version;
    e->depth = depth;
    e->miss_table = miss_table;
    for (uint8_t i = 0; i < depth; ++i) e->path[i] = path[i];
    e->key = key;
  }

  void Clear() {
    for (auto& e : entries_) e.version = 0;
  }

 private:
  EmcEntry entries_[kEntries]{};
  uint64_t inserts_ = 0;
  uint32_t insert_every_ = kInsertEvery;
  uint32_t insert_counter_ = kInsertEvery - 1;  // the first miss is inserted
  uint32_t window_lookups_ = 0;
  uint32_t window_hits_ = 0;
  uint32_t bypass_left_ = 0;
};

}  // namespace hashi::dp
