// GRE encap and decap per packet (tunnel/gre_encap.h, gre_decap.h,
// tunnel_table.h) against baselines: encap that builds the outer headers
// field by field with a full IPv4 checksum, and decap whose tunnel lookup is
// a std::unordered_map. Runs on an mbuf laid out by hand (no EAL needed).
#include <benchmark/benchmark.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "tests/support/packets.h"
#include "tunnel/gre_decap.h"
#include "tunnel/gre_encap.h"
#include "tunnel/tunnel_table.h"

namespace hashi::tun {
namespace {

// An mbuf over a static buffer holding frame after RTE_PKTMBUF_HEADROOM.
struct FakeMbuf {
  explicit FakeMbuf(const test::Bytes& frame) : len(static_cast<uint16_t>(frame.size())) {
    std::memset(&m, 0, sizeof m);
    m.buf_addr = buf;
    m.buf_len = sizeof buf;
    m.nb_segs = 1;
    std::memcpy(buf + RTE_PKTMBUF_HEADROOM, frame.data(), frame.size());
    Reset();
  }
  void Reset() {
    m.data_off = RTE_PKTMBUF_HEADROOM;
    m.data_len = len;
    m.pkt_len = len;
  }
  alignas(64) rte_mbuf m;
  alignas(64) uint8_t buf[2048];
  uint16_t len;
};

const test::Bytes kInner = test::Udp4Frame(0x0a000001, 0x0b000001, 1024, 5001);

EncapTemplate Template() {
  TunnelSpec s;
  if (!ParseTunnelOptions("remote_ip=10.1.0.2,key=77", &s).ok()) std::abort();
  EncapTemplate t;
  BuildEncapTemplate(&t, s, 0x0a010001, 0x020000000001, 0x0200000000fe, 1500);
  return t;
}

void BM_GreEncap(benchmark::State& state) {
  FakeMbuf f(kInner);
  const EncapTemplate t = Template();
  uint16_t id = 0;
  for (auto _ : state) {
    f.Reset();
    benchmark::DoNotOptimize(GreEncap(&f.m, t, 0, id++));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GreEncap);

// What an encap without a template does: every header field written, the
// IPv4 checksum summed over the whole header.
void BM_GreEncapFieldByFieldBaseline(benchmark::State& state) {
  FakeMbuf f(kInner);
  uint16_t id = 0;
  for (auto _ : state) {
    f.Reset();
    const uint32_t inner = rte_pktmbuf_pkt_len(&f.m);
    auto* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(&f.m, 42));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(h);
    const rte_ether_addr dst{{2, 0, 0, 0, 0, 0xfe}}, src{{2, 0, 0, 0, 0, 1}};
    eth->dst_addr = dst;
    eth->src_addr = src;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h + 14);
    ip->version_ihl = 0x45;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(inner + 28));
    ip->packet_id = rte_cpu_to_be_16(id++);
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = kIpProtoGre;
    ip->src_addr = rte_cpu_to_be_32(0x0a010001);
    ip->dst_addr = rte_cpu_to_be_32(0x0a010002);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    uint8_t* gre = h + 34;
    gre[0] = 0x20; gre[1] = 0; gre[2] = 0x65; gre[3] = 0x58;
    const uint32_t key = rte_cpu_to_be_32(77);
    std::memcpy(gre + 4, &key, 4);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GreEncapFieldByFieldBaseline);

test::Bytes GreFrame(uint32_t key) {
  test::Bytes g;
  test::Put16(g, 0x2000);
  test::Put16(g, 0x6558);
  test::Put32(g, key);
  g.insert(g.end(), kInner.begin(), kInner.end());
  return test::Ethernet({}, 0x0800, test::Ipv4(0x0a010002 + key % 16, 0x0a010001, 47, g));
}

// Classify the outer headers and find the tunnel among 256 (16 remotes x 16 keys).
void BM_GreDecap(benchmark::State& state) {
  TunnelTable table(nullptr, nullptr);
  for (uint32_t i = 0; i < kMaxTunnels; ++i) {
    TunnelEntry e;
    e.ofport = i + 1;
    e.remote_ip = 0x0a010002 + i % 16;
    e.local_ip = 0x0a010001;
    e.key_mode = KeyMode::kFixed;
    e.key = i;
    if (!table.AddTunnel(e).ok()) std::abort();
  }
  table.Seal();
  FakeMbuf f(GreFrame(77));
  for (auto _ : state) {
    GreOuter o;
    if (ClassifyUnderlay(&f.m, 0x0a010001, &o) == UnderlayVerdict::kGre) {
      benchmark::DoNotOptimize(table.FindForDecap(o.src, o.dst, o.has_key, o.key));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GreDecap);

void BM_GreDecapUnorderedMapBaseline(benchmark::State& state) {
  std::unordered_map<uint64_t, uint32_t> by_remote_key;  // (remote << 32 | key) -> ofport
  for (uint32_t i = 0; i < kMaxTunnels; ++i) by_remote_key[uint64_t{0x0a010002 + i % 16} << 32 | i] = i + 1;
  FakeMbuf f(GreFrame(77));
  for (auto _ : state) {
    GreOuter o;
    if (ClassifyUnderlay(&f.m, 0x0a010001, &o) == UnderlayVerdict::kGre) {
      benchmark::DoNotOptimize(by_remote_key.find(uint64_t{o.src} << 32 | o.key));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GreDecapUnorderedMapBaseline);

}  // namespace
}  // namespace hashi::tun
