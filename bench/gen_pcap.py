#!/usr/bin/python3
"""Writes a pcap of 64-byte Ethernet/IPv4/UDP frames (60 bytes on the wire
plus FCS) for the whole-switch benchmark: gen_pcap.py OUT FLOWS [DST_MAC]
[--gre OUTER_SRC OUTER_DST KEY OUTER_DST_MAC].
Flow i has source address 10.(i>>16).(i>>8).i and destination address
11.(i>>16).(i>>8).i, so a flow set can match each flow by nw_dst. With --gre
each frame is wrapped in Ethernet/IPv4/GRE (key, protocol 0x6558), as a
tunnel peer would send it: the decap benchmark's input."""
import struct
import sys


def checksum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i, dst_mac):
    src_ip = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
    dst_ip = bytes([11, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
    payload = bytes(18)
    udp = struct.pack("!HHHH", 1024 + (i % 1000), 5001, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = dst_mac + bytes([0x02, 0, 0, 0, 0, 0x01]) + struct.pack("!H", 0x0800)
    return eth + ip + udp


def gre(inner, src, dst, key, dst_mac):
    g = struct.pack("!HHI", 0x2000, 0x6558, key) + inner
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(g), 0, 0x4000, 64, 47, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + bytes([0x02, 0, 0, 0, 0, 0xfe]) + struct.pack("!H", 0x0800) + ip + g


def main():
    args = sys.argv[1:]
    wrap = None
    if "--gre" in args:
        at = args.index("--gre")
        s, d, k, m = args[at + 1:at + 5]
        wrap = (bytes(map(int, s.split("."))), bytes(map(int, d.split("."))), int(k),
                bytes.fromhex(m.replace(":", "")))
        del args[at:at + 5]
    out, flows = args[0], int(args[1])
    dst = bytes.fromhex((args[2] if len(args) > 2 else "02:00:00:00:00:02").replace(":", ""))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            data = frame(i, dst)
            if wrap:
                data = gre(data, *wrap)
            f.write(struct.pack("<IIII", 0, 0, len(data), len(data)))
            f.write(data)


if __name__ == "__main__":
    main()
