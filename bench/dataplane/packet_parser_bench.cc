// Parse rate of dataplane/packet_parser.h over a burst of mixed frames,
// against a baseline that only reads the Ethernet header (the floor).
#include "dataplane/packet_parser.h"

#include <benchmark/benchmark.h>

#include "tests/support/packets.h"

namespace hashi::dp {
namespace {

std::vector<test::Bytes> Frames(int kind) {
  std::vector<test::Bytes> f;
  const uint8_t a6[16] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  test::L2 tagged;
  tagged.vlan_tcis = {100};
  for (uint32_t i = 0; i < 32; ++i) {
    switch (kind) {
      case 0: f.push_back(test::Udp4Frame(0x0a000000 + i, 0x0a010000 + i, 1000 + i, 53)); break;
      case 1: f.push_back(test::Tcp4Frame(i, 2, 3, 4, tagged)); break;
      default: f.push_back(test::Udp6Frame(a6, a6, static_cast<uint16_t>(i), 9, true)); break;
    }
  }
  return f;
}

void BM_ParseBurst(benchmark::State& state) {
  const auto frames = Frames(static_cast<int>(state.range(0)));
  FlowKey keys[32];
  PacketLayout layouts[32];
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) {
      benchmark::DoNotOptimize(ParsePacket(frames[i].data(), static_cast<uint32_t>(frames[i].size()), 1,
                                           &keys[i], &layouts[i]));
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 32);
  state.SetLabel(state.range(0) == 0 ? "udp4" : state.range(0) == 1 ? "tcp4+vlan" : "udp6+hbh");
}
BENCHMARK(BM_ParseBurst)->Arg(0)->Arg(1)->Arg(2);

// Baseline: copy the Ethernet addresses and type only.
void BM_ParseEthernetOnlyBaseline(benchmark::State& state) {
  const auto frames = Frames(0);
  FlowKey keys[32];
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) {
      keys[i].Clear();
      keys[i].w[1] = parse_detail::LoadMac(frames[i].data());
      keys[i].w[2] = parse_detail::LoadMac(frames[i].data() + 6);
      keys[i].w[0] = tun::LoadBe16(frames[i].data() + 12);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_ParseEthernetOnlyBaseline);

}  // namespace
}  // namespace hashi::dp
