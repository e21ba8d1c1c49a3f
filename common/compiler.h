// Compiler hints shared by the fast path: branch prediction, cache-line size,
// forced inlining and prefetch. No DPDK here, so common/ stays dependency-free.
#pragma once

#include <cstddef>

#define HASHI_LIKELY(x) __builtin_expect(!!(x), 1)
#define HASHI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HASHI_ALWAYS_INLINE inline __attribute__((always_inline))
#define HASHI_PREFETCH(p) __builtin_prefetch((p), 0, 3)

namespace hashi {
inline constexpr std::size_t kCacheLine = 64;
}  // namespace hashi
