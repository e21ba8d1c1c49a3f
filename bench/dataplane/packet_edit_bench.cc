// Action execution on packet bytes (dataplane/packet_edit.h): set-field with
// incremental checksums and dec_ttl, against a full checksum recomputation.
#include "dataplane/packet_edit.h"

#include <benchmark/benchmark.h>

#include "tests/support/packets.h"

namespace hashi::dp {
namespace {

struct Packet {
  test::Bytes bytes;
  FlowKey key;
  PacketLayout layout;
};

Packet Make() {
  Packet p{test::Udp4Frame(0x0a000001, 0x0a000002, 1000, 2000), {}, {}};
  ParsePacket(p.bytes.data(), static_cast<uint32_t>(p.bytes.size()), 1, &p.key, &p.layout);
  return p;
}

void BM_SetNwDstAndPort(benchmark::State& state) {
  Packet p = Make();
  uint32_t v = 0;
  for (auto _ : state) {
    edit::SetField(p.bytes.data(), p.layout, p.key, Field::kNwDst, 0x0b000000u + (v++ & 0xff));
    edit::SetField(p.bytes.data(), p.layout, p.key, Field::kTpDst, v & 0xffff);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetNwDstAndPort);

void BM_SetEthDst(benchmark::State& state) {
  Packet p = Make();
  uint64_t v = 0;
  for (auto _ : state) {
    edit::SetField(p.bytes.data(), p.layout, p.key, Field::kEthDst, v++);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetEthDst);

void BM_DecTtl(benchmark::State& state) {
  Packet p = Make();
  for (auto _ : state) {
    if (!edit::DecTtl(p.bytes.data(), p.layout, p.key)) {
      edit::SetField(p.bytes.data(), p.layout, p.key, Field::kIpTtl, 255);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecTtl);

// Baseline: rewrite the address and recompute both checksums from scratch.
void BM_SetNwDstFullChecksumBaseline(benchmark::State& state) {
  Packet p = Make();
  uint32_t v = 0;
  for (auto _ : state) {
    uint8_t* ip = p.bytes.data() + 14;
    edit::Store32(ip + 16, 0x0b000000u + (v++ & 0xff));
    ip[10] = ip[11] = 0;
    const uint16_t c = test::Fold(test::SumWords(ip, 20));
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    uint8_t* udp = ip + 20;
    udp[6] = udp[7] = 0;
    const uint16_t len = static_cast<uint16_t>(udp[4] << 8 | udp[5]);
    uint32_t sum = test::SumWords(ip + 12, 8, 17u + len);
    const uint16_t u = test::Fold(test::SumWords(udp, len, sum));
    udp[6] = u >> 8;
    udp[7] = u & 0xff;
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetNwDstFullChecksumBaseline);

}  // namespace
}  // namespace hashi::dp
