// Tests for dataplane/meter.h: GCRA policing with a made-up TSC, so rates
// and bursts are checked exactly, band choice, and per-band counters.
#include "dataplane/meter.h"

#include <gtest/gtest.h>

namespace hashi::dp {
namespace {

constexpr uint64_t kHz = 1'000'000'000;  // a 1 GHz TSC: one cycle per ns

MeterConfig Pktps(uint32_t rate, uint32_t burst) {
  MeterConfig c;
  c.id = 1;
  c.flags = kMeterPktps | kMeterBurst;
  c.bands.push_back(MeterBand{MeterBandType::kDrop, rate, burst, 0});
  return c;
}

TEST(Meter, PacketRateAndBurstAreExact) {
  MeterState m(Pktps(1000, 5), kHz);  // a packet per ms; 5 may come at once
  uint64_t now = 1'000'000'000;
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += m.Police(64, now) < 0;
  EXPECT_EQ(passed, 5);  // the burst
  now += 2'000'000;      // 2 ms later: two more have come due
  passed = 0;
  for (int i = 0; i < 20; ++i) passed += m.Police(64, now) < 0;
  EXPECT_EQ(passed, 2);
  now += 100'000'000;    // a long pause refills only up to the burst
  passed = 0;
  for (int i = 0; i < 20; ++i) passed += m.Police(64, now) < 0;
  EXPECT_EQ(passed, 5);
  EXPECT_EQ(m.packets_in(), 60u);
  EXPECT_EQ(m.band(0).packets.load(), 48u);
  EXPECT_EQ(m.band(0).bytes.load(), 48u * 64);
}

TEST(Meter, KilobitRateCountsBytes) {
  MeterConfig c;
  c.id = 2;
  c.flags = kMeterKbps | kMeterBurst;
  c.bands.push_back(MeterBand{MeterBandType::kDrop, 8000, 8, 0});  // 1 MB/s, 1 kB burst
  MeterState m(c, kHz);
  uint64_t now = 5'000'000'000;
  int passed = 0;
  for (int i = 0; i < 10; ++i) passed += m.Police(1000, now) < 0;  // 1000-byte packets
  EXPECT_EQ(passed, 1);  // the 8-kbit burst holds one
  now += 3'000'000;      // 3 ms at 1 MB/s: 3000 bytes, but the burst caps it at one
  passed = 0;
  for (int i = 0; i < 10; ++i) passed += m.Police(1000, now) < 0;
  EXPECT_EQ(passed, 1);
  now += 1'000'000;
  passed = 0;
  for (int i = 0; i < 10; ++i) passed += m.Police(500, now) < 0;  // smaller packets: two fit
  EXPECT_EQ(passed, 2);
}

TEST(Meter, TheExceededBandWithTheHighestRateApplies) {
  MeterConfig c;
  c.id = 3;
  c.flags = kMeterPktps | kMeterBurst;
  c.bands.push_back(MeterBand{MeterBandType::kDrop, 100, 3, 0});
  c.bands.push_back(MeterBand{MeterBandType::kDscpRemark, 10, 1, 1});
  MeterState m(c, kHz);
  const uint64_t now = 1'000'000'000;
  EXPECT_EQ(m.Police(64, now), -1);  // within both
  EXPECT_EQ(m.Police(64, now), 1);   // past the 10/s band only: remark
  EXPECT_EQ(m.Police(64, now), 1);
  EXPECT_EQ(m.Police(64, now), 0);   // past both: the 100/s drop band has the higher rate
}

}  // namespace
}  // namespace hashi::dp
