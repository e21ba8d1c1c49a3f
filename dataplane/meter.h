// Meter: an OpenFlow 1.3 meter (section 5.7): a rate limiter a flow passes
// through before its actions, with bands of type DROP or DSCP_REMARK, rates
// in packets or kilobits per second, and an optional burst.
//
// Each band is policed with GCRA (the virtual-scheduling form of a token
// bucket): the band keeps one atomic "theoretical arrival time" in TSC
// cycles; a packet advances it by its cost (one packet, or its bits, at the
// band's rate) and exceeds the band when that would run further ahead of
// now than the burst allows. One compare-and-swap per band per packet, no
// lock, shared by every worker, so the limit holds however the flow spreads
// over workers. OpenFlow applies the band with the highest rate among those
// exceeded; DROP drops, DSCP_REMARK raises the packet's drop precedence.
//
// MeterState lives as long as its meter (owned by FlowDb, freed a grace
// period after deletion), so rebuilding the flow tables does not reset it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/compiler.h"

namespace hashi::dp {

enum class MeterBandType : uint16_t { kDrop = 1, kDscpRemark = 2 };

struct MeterBand {
  MeterBandType type = MeterBandType::kDrop;
  uint32_t rate = 0;        // kbit/s or packets/s (meter flags)
  uint32_t burst_size = 0;  // with the burst flag: kbits or packets that may pass back to back
  uint8_t prec_level = 0;   // DSCP_REMARK: drop precedence to add
  bool operator==(const MeterBand&) const = default;
};

inline constexpr uint16_t kMeterKbps = 1;
inline constexpr uint16_t kMeterPktps = 2;
inline constexpr uint16_t kMeterBurst = 4;
inline constexpr uint16_t kMeterStats = 8;

struct MeterConfig {
  uint32_t id = 0;
  uint16_t flags = kMeterKbps;
  std::vector<MeterBand> bands;
};

struct alignas(64) BandState {
  std::atomic<uint64_t> tat{0};  // theoretical arrival time (TSC)
  uint64_t cost_per_unit = 0;     // TSC cycles per packet, or per bit scaled by 2^10
  uint64_t tolerance = 0;         // how far tat may run ahead of now
  std::atomic<uint64_t> packets{0}, bytes{0};  // packets and bytes that exceeded this band
};

class MeterState {
 public:
  MeterState(const MeterConfig& config, uint64_t tsc_hz);

  const MeterConfig& config() const { return config_; }
  size_t band_count() const { return n_bands_; }
  const BandState& band(size_t i) const { return bands_[i]; }
  uint64_t packets_in() const { return packets_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }

  // Fast path: polices one packet of len bytes at TSC now. Returns the band
  // that applies (the exceeded band with the highest rate), or -1.
  HASHI_ALWAYS_INLINE int Police(uint32_t len, uint64_t now) {
    packets_in_.fetch_add(1, std::memory_order_relaxed);
    bytes_in_.fetch_add(len, std::memory_order_relaxed);
    int applied = -1;
    for (size_t i = 0; i < n_bands_; ++i) {
      BandState& b = bands_[i];
      const uint64_t cost = pktps_ ? b.cost_per_unit : (b.cost_per_unit * len * 8) >> 10;
      uint64_t tat = b.tat.load(std::memory_order_relaxed);
      bool exceeded = false;
      for (;;) {
        const uint64_t start = tat > now ? tat : now;
        if (start + cost - now > b.tolerance) {
          exceeded = true;
          break;
        }
        if (b.tat.compare_exchange_weak(tat, start + cost, std::memory_order_relaxed)) break;
      }
      if (exceeded && (applied < 0 || config_.bands[i].rate > config_.bands[applied].rate)) {
        applied = static_cast<int>(i);
      }
    }
    if (applied >= 0) {
      bands_[applied].packets.fetch_add(1, std::memory_order_relaxed);
      bands_[applied].bytes.fetch_add(len, std::memory_order_relaxed);
    }
    return applied;
  }

 private:
  MeterConfig config_;
  bool pktps_;
  size_t n_bands_;
  std::unique_ptr<BandState[]> bands_;
  alignas(64) std::atomic<uint64_t> packets_in_{0};
  std::atomic<uint64_t> bytes_in_{0};
};

inline MeterState::MeterState(const MeterConfig& config, uint64_t tsc_hz)
    : config_(config), pktps_(config.flags & kMeterPktps), n_bands_(config.bands.size()),
      bands_(new BandState[config.bands.empty() ? 1 : config.bands.size()]) {
  for (size_t i = 0; i < config.bands.size(); ++i) {
    const MeterBand& band = config.bands[i];
    BandState& b = bands_[i];
    const uint64_t rate = band.rate ? band.rate : 1;
    // Packets: cycles per packet. Bits: cycles per bit, scaled by 2^10 to
    // keep precision at high rates (rate is in kbit/s).
    b.cost_per_unit = pktps_ ? tsc_hz / rate : (tsc_hz << 10) / (rate * 1000);
    const uint64_t burst_units = (config.flags & kMeterBurst) && band.burst_size
                                     ? (pktps_ ? band.burst_size : band.burst_size * 1000ull)
                                     : (pktps_ ? rate / 10 + 1 : rate * 100ull);  // default: 100 ms
    b.tolerance = pktps_ ? b.cost_per_unit * burst_units : (b.cost_per_unit * burst_units) >> 10;
  }
}

}  // namespace hashi::dp
