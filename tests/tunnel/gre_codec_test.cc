// Tests for tunnel/gre_encap.h and tunnel/gre_decap.h on real mbufs: encap
// vectors checked by an independent checksum, key from the flow, inherited
// TTL/ToS, the MTU limit, and every malformed outer packet classified.
#include <gtest/gtest.h>

#include "tests/support/dpdk_env.h"
#include "tests/support/packets.h"
#include "tunnel/gre_decap.h"
#include "tunnel/gre_encap.h"
#include "tunnel/tunnel_table.h"

namespace hashi::tun {
namespace {

using test::Bytes;
constexpr uint32_t kLocal = 0x0a010001, kRemote = 0x0a020001;

EncapTemplate Template(const char* options, uint16_t mtu = 1500) {
  TunnelSpec s;
  EXPECT_TRUE(ParseTunnelOptions(options, &s).ok());
  EncapTemplate t;
  BuildEncapTemplate(&t, s, kLocal, 0x020000000001, 0x0200000000fe, mtu);
  return t;
}

Bytes Encap(const EncapTemplate& t, const Bytes& inner, uint32_t key = 0, uint16_t id = 0x4242) {
  rte_mbuf* m = test::MakeMbuf(inner);
  EXPECT_EQ(GreEncap(m, t, key, id), EncapResult::kOk);
  Bytes out = test::BytesOf(m);
  rte_pktmbuf_free(m);
  return out;
}

TEST(GreEncap, PrependsTemplateAndFixesLengthIdAndChecksum) {
  const Bytes inner = test::Udp4Frame(0x0a000001, 0x0a000002, 1, 2, {}, 100);
  const Bytes out = Encap(Template("remote_ip=10.2.0.1,key=77"), inner);
  ASSERT_EQ(out.size(), inner.size() + 42);
  EXPECT_EQ(Bytes(out.begin() + 42, out.end()), inner);  // the inner frame untouched
  EXPECT_EQ(test::Get16(out, 16), inner.size() + 28);    // IPv4 total length
  EXPECT_EQ(test::Get16(out, 18), 0x4242);                // ID
  EXPECT_EQ(test::Get16(out, 20), 0x4000);                // DF
  EXPECT_EQ(test::Fold(test::SumWords(out.data() + 14, 20)), 0);
  EXPECT_EQ(test::Get16(out, 34), 0x2000);
  EXPECT_EQ(test::Get16(out, 36), 0x6558);
  EXPECT_EQ(test::Get16(out, 40), 77);
}

TEST(GreEncap, KeyFromFlowInheritedTtlTosAndChecksum) {
  const EncapTemplate t = Template("remote_ip=10.2.0.1,key=flow,csum=true,ttl=inherit,tos=inherit");
  const Bytes inner = test::Ethernet({}, 0x0800, test::Ipv4(1, 2, 17, test::L4Segment(17, 1, 2, 5, 6, 30), 9, 0xb8));
  const Bytes out = Encap(t, inner, 0xdeadbeef);
  ASSERT_EQ(out.size(), inner.size() + 46);
  EXPECT_EQ(out[15], 0xb8);  // ToS from the inner packet
  EXPECT_EQ(out[22], 9);     // TTL from the inner packet
  EXPECT_EQ(test::Fold(test::SumWords(out.data() + 14, 20)), 0);
  EXPECT_EQ(test::Get16(out, 42), 0xdead);
  EXPECT_EQ(test::Get16(out, 44), 0xbeef);
  EXPECT_EQ(test::Fold(test::SumWords(out.data() + 34, out.size() - 34)), 0);  // GRE checksum
  // A non-IPv4 frame takes the configured defaults.
  const Bytes arp = Encap(t, test::ArpFrame(1, 2, 3, 4, 5), 1);
  EXPECT_EQ(arp[22], 64);
  EXPECT_EQ(test::Fold(test::SumWords(arp.data() + 14, 20)), 0);
}

TEST(GreEncap, RefusesFramesOverTheMtu) {
  const EncapTemplate t = Template("remote_ip=10.2.0.1,key=1", 200);
  rte_mbuf* fits = test::MakeMbuf(Bytes(200 - 28, 0xab));
  EXPECT_EQ(GreEncap(fits, t, 0, 1), EncapResult::kOk);
  rte_mbuf* big = test::MakeMbuf(Bytes(200 - 27, 0xab));
  EXPECT_EQ(GreEncap(big, t, 0, 1), EncapResult::kTooBig);
  EXPECT_EQ(rte_pktmbuf_pkt_len(big), 200u - 27u);  // untouched
  rte_pktmbuf_free(fits);
  rte_pktmbuf_free(big);
}

// An outer frame from kRemote to kLocal carrying gre (header + inner).
Bytes Outer(const Bytes& gre, uint16_t frag = 0, uint8_t proto = 47) {
  return test::Ethernet({}, 0x0800, test::Ipv4(kRemote, kLocal, proto, gre, 64, 0, frag));
}
Bytes GreHeader(uint16_t flags, uint16_t proto, uint32_t key, const Bytes& inner, bool good_csum = true) {
  Bytes g;
  test::Put16(g, flags);
  test::Put16(g, proto);
  if (flags & kGreChecksumPresent) test::Put32(g, 0);
  if (flags & kGreKeyPresent) test::Put32(g, key);
  if (flags & kGreSequencePresent) test::Put32(g, 1);
  g.insert(g.end(), inner.begin(), inner.end());
  if (flags & kGreChecksumPresent) {
    uint16_t c = test::Fold(test::SumWords(g.data(), g.size()));
    if (!good_csum) c ^= 0x5555;
    g[4] = c >> 8;
    g[5] = c & 0xff;
  }
  return g;
}

UnderlayVerdict Classify(const Bytes& frame, GreOuter* o = nullptr) {
  GreOuter scratch;
  rte_mbuf* m = test::MakeMbuf(frame);
  const UnderlayVerdict v = ClassifyUnderlay(m, kLocal, o ? o : &scratch);
  rte_pktmbuf_free(m);
  return v;
}

const Bytes kInner = test::Udp4Frame(0x0a000001, 0x0a000002, 7, 8);

TEST(GreDecap, AcceptsValidGreAndReportsKeyAndLengths) {
  GreOuter o;
  ASSERT_EQ(Classify(Outer(GreHeader(kGreKeyPresent, 0x6558, 77, kInner)), &o), UnderlayVerdict::kGre);
  EXPECT_EQ(o.src, kRemote);
  EXPECT_TRUE(o.has_key);
  EXPECT_EQ(o.key, 77u);
  EXPECT_EQ(o.outer_len, 14 + 20 + 8);
  EXPECT_EQ(o.frame_len, 14u + 20 + 8 + kInner.size());
  ASSERT_EQ(Classify(Outer(GreHeader(kGreChecksumPresent, 0x6558, 0, kInner)), &o), UnderlayVerdict::kGre);
  EXPECT_FALSE(o.has_key);
  EXPECT_EQ(o.outer_len, 14 + 20 + 8);
}

TEST(GreDecap, ClassifiesMalformedAndForeignPackets) {
  const Bytes good = Outer(GreHeader(kGreKeyPresent, 0x6558, 77, kInner));
  EXPECT_EQ(Classify(Bytes(good.begin(), good.begin() + 12)), UnderlayVerdict::kRunt);
  EXPECT_EQ(Classify(Bytes(good.begin(), good.begin() + 30)), UnderlayVerdict::kBadIp);
  Bytes bad_sum = good;
  bad_sum[24] ^= 1;
  EXPECT_EQ(Classify(bad_sum), UnderlayVerdict::kBadIp);
  Bytes cut = good;
  cut.resize(14 + 20 + 2);  // GRE cut short, IPv4 length now beyond the frame
  EXPECT_EQ(Classify(cut), UnderlayVerdict::kBadIp);
  EXPECT_EQ(Classify(Outer(Bytes{0x20, 0x00, 0x65})), UnderlayVerdict::kGreMalformed);  // truncated GRE
  EXPECT_EQ(Classify(Outer(GreHeader(kGreKeyPresent | 1, 0x6558, 77, kInner))), UnderlayVerdict::kGreMalformed);  // version 1
  EXPECT_EQ(Classify(Outer(GreHeader(kGreRoutingPresent, 0x6558, 0, kInner))), UnderlayVerdict::kGreMalformed);
  EXPECT_EQ(Classify(Outer(GreHeader(0x0100, 0x6558, 0, kInner))), UnderlayVerdict::kGreMalformed);  // reserved bit
  EXPECT_EQ(Classify(Outer(GreHeader(0, 0x0800, 0, kInner))), UnderlayVerdict::kGreProtocol);  // IPv4 over GRE
  EXPECT_EQ(Classify(Outer(GreHeader(kGreSequencePresent, 0x6558, 0, kInner))), UnderlayVerdict::kGreSequence);
  EXPECT_EQ(Classify(Outer(GreHeader(kGreChecksumPresent, 0x6558, 0, kInner, false))), UnderlayVerdict::kGreChecksum);
  EXPECT_EQ(Classify(Outer(GreHeader(0, 0x6558, 0, Bytes(10, 1)))), UnderlayVerdict::kGreMalformed);  // inner < 14
  EXPECT_EQ(Classify(Outer(GreHeader(0, 0x6558, 0, kInner), 0x2000)), UnderlayVerdict::kFragment);
  EXPECT_EQ(Classify(Outer(Bytes(20, 0), 0, 17)), UnderlayVerdict::kNotForUs);  // UDP to us
  EXPECT_EQ(Classify(test::Ethernet({}, 0x0800, test::Ipv4(kRemote, kLocal + 1, 47, GreHeader(0, 0x6558, 0, kInner)))),
            UnderlayVerdict::kNotForUs);  // GRE for another address
  EXPECT_EQ(Classify(test::Udp6Frame(std::array<uint8_t, 16>{}.data(), std::array<uint8_t, 16>{}.data(), 1, 2)),
            UnderlayVerdict::kNotForUs);
  EXPECT_EQ(Classify(test::ArpFrame(1, 2, kRemote, 0, kLocal)), UnderlayVerdict::kPunt);
  EXPECT_EQ(Classify(Outer(test::L4Segment(1, kRemote, kLocal, 8, 0, 8), 0, 1)), UnderlayVerdict::kPunt);
}

TEST(GreDecap, RoundTripsWhatEncapMakes) {
  TunnelSpec s;
  ASSERT_TRUE(ParseTunnelOptions("remote_ip=10.1.0.1,key=9,csum=true", &s).ok());
  EncapTemplate t;
  BuildEncapTemplate(&t, s, kRemote, 1, 2, 1500);  // from the remote side towards us
  GreOuter o;
  const Bytes frame = Encap(t, kInner);
  ASSERT_EQ(Classify(frame, &o), UnderlayVerdict::kGre);
  EXPECT_EQ(o.key, 9u);
  EXPECT_EQ(Bytes(frame.begin() + o.outer_len, frame.begin() + o.frame_len), kInner);
}

}  // namespace
}  // namespace hashi::tun
