#!/usr/bin/python3
"""scapy helpers for the integration tests, run inside a host namespace.
  frames.py send IFACE DST_MAC DST_IP DPORT [COUNT]  send UDP frames
  frames.py sniff IFACE SECONDS DPORT                print how many UDP frames
                                                     to DPORT arrived
  frames.py sniffhex IFACE SECONDS HEX               print how many frames equal HEX"""
import sys

from scapy.all import IP, UDP, Ether, Raw, conf, sendp, sniff

conf.verb = 0


def main():
    cmd, iface = sys.argv[1], sys.argv[2]
    if cmd == "send":
        dst_mac, dst_ip, dport = sys.argv[3], sys.argv[4], int(sys.argv[5])
        count = int(sys.argv[6]) if len(sys.argv) > 6 else 1
        frame = Ether(dst=dst_mac) / IP(dst=dst_ip, ttl=64) / UDP(sport=5555, dport=dport) / Raw(b"hashi-test")
        sendp(frame, iface=iface, count=count, inter=0.05)
    elif cmd == "sniff":
        seconds, dport = float(sys.argv[3]), int(sys.argv[4])
        pkts = sniff(iface=iface, timeout=seconds,
                     lfilter=lambda p: UDP in p and p[UDP].dport == dport)
        print(len(pkts))
    elif cmd == "sniffhex":
        seconds, want = float(sys.argv[3]), bytes.fromhex(sys.argv[4])
        pkts = sniff(iface=iface, timeout=seconds, lfilter=lambda p: bytes(p)[:len(want)] == want)
        print(len(pkts))


if __name__ == "__main__":
    main()
