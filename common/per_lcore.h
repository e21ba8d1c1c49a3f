// PerLcore<T>: one cache-line-aligned slot per worker so that each worker
// writes only its own memory (STYLE rule 5). Control sums the slots on read;
// a slot is written by exactly one worker and read racily (relaxed) by control.
#pragma once

#include <array>
#include <cstddef>

#include "common/compiler.h"

namespace hashi {

inline constexpr std::size_t kMaxWorkers = 64;

template <typename T>
class PerLcore {
 public:
  T& operator[](std::size_t worker) { return slots_[worker].value; }
  const T& operator[](std::size_t worker) const { return slots_[worker].value; }
  static constexpr std::size_t size() { return kMaxWorkers; }

 private:
  struct alignas(kCacheLine) Slot {
    T value{};
  };
  std::array<Slot, kMaxWorkers> slots_{};
};

}  // namespace hashi
