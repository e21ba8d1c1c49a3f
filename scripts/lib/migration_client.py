#!/usr/bin/python3
"""The client side of a migration test or benchmark: steady traffic to the
guest while it moves, measured exactly.

  - ping every 10 ms (ICMP echo, the kernel answers in the guest);
  - a sequence-numbered UDP stream to the guest's echo port 7 (each
    datagram carries its number and send time), so loss, reordering and the
    longest gap are exact;
  - a TCP stream to the guest's echo port 5001 whose echo is checked byte
    for byte: the connection must survive and nothing may be corrupted.

Runs until the file named by --stop exists (or --seconds pass), waits
--drain seconds for stragglers, then prints one JSON object: the figures,
and a per-bin timeline (received datagrams and mean RTT per 20 ms) for
plots.

Usage: migration_client.py --ip 10.0.0.2 --stop FILE [--udp-pps 500]
       [--seconds 60] [--drain 2] [--tcp-rate 200000]
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import threading
import time

BIN_S = 0.02


def udp_stream(ip, pps, stop, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((ip, 7))
    s.settimeout(0.002)
    sent = {}
    got = []  # (seq, rx time, rtt)
    seq = 0
    t0 = time.monotonic()
    next_send = t0
    interval = 1.0 / pps
    drain_until = None
    while True:
        now = time.monotonic()
        if drain_until is None and stop():
            drain_until = now + out["drain"]
        if drain_until is not None and now >= drain_until:
            break
        if drain_until is None and now >= next_send:
            s.send(struct.pack("!Id", seq, now) + b"x" * 56)
            sent[seq] = now
            seq += 1
            next_send += interval
            if next_send < now - 0.1:  # fell behind (the client was descheduled): do not burst
                next_send = now
        try:
            data = s.recv(2048)
            rx = time.monotonic()
            n, ts = struct.unpack("!Id", data[:12])
            got.append((n, rx, rx - ts))
        except socket.timeout:
            pass
        except OSError:
            time.sleep(0.001)
    received = [g[0] for g in got]
    seen = set(received)
    reordered, highest = 0, -1
    for n in received:
        if n < highest:
            reordered += 1
        highest = max(highest, n)
    lost = [n for n in range(seq) if n not in seen]
    gaps = [(got[i][1] - got[i - 1][1], got[i - 1][1] - t0) for i in range(1, len(got))]
    max_gap = max(gaps, default=(0, 0))
    out["udp"] = {
        "sent": seq,
        "received": len(got),
        "duplicates": len(received) - len(seen),
        "lost": len(lost),
        "lost_first": lost[:20],
        "reordered": reordered,
        "max_gap_ms": round(max_gap[0] * 1000, 1),
        "max_gap_at_s": round(max_gap[1], 3),
        "max_rtt_ms": round(max((g[2] for g in got), default=0) * 1000, 1),
        "delayed_100ms": sum(1 for g in got if g[2] > 0.1),
    }
    bins = {}
    for n, rx, rtt in got:
        b = int((rx - t0) / BIN_S)
        c, r = bins.get(b, (0, 0.0))
        bins[b] = (c + 1, r + rtt)
    last = int((time.monotonic() - t0) / BIN_S)
    out["timeline"] = {
        "bin_s": BIN_S,
        "udp_received": [bins.get(b, (0, 0))[0] for b in range(last + 1)],
        "udp_rtt_ms": [round(bins[b][1] / bins[b][0] * 1000, 2) if b in bins else None for b in range(last + 1)],
    }
    out["t0"] = t0


def tcp_stream(ip, rate, stop, out):
    res = {"sent": 0, "echoed": 0, "ok": False, "error": ""}
    out["tcp"] = res
    try:
        s = socket.create_connection((ip, 5001), timeout=10)
    except OSError as e:
        res["error"] = "connect: %s" % e
        return
    s.settimeout(30)
    pattern = bytes((i * 31 + 7) % 251 for i in range(65536))
    chunk = 2048
    done_sending = threading.Event()

    def reader():
        try:
            while res["echoed"] < res["sent"] or not done_sending.is_set():
                data = s.recv(65536)
                if not data:
                    res["error"] = "connection closed by the guest"
                    return
                for i, b in enumerate(data):
                    if b != pattern[(res["echoed"] + i) % 65536]:
                        res["error"] = "corrupted echo at byte %d" % (res["echoed"] + i)
                        return
                res["echoed"] += len(data)
        except OSError as e:
            res["error"] = "recv: %s" % e

    t = threading.Thread(target=reader)
    t.start()
    try:
        while not stop():
            off = res["sent"] % 65536
            piece = (pattern + pattern)[off:off + chunk]
            s.sendall(piece)
            res["sent"] += len(piece)
            time.sleep(chunk / rate)
    except OSError as e:
        res["error"] = "send: %s" % e
    done_sending.set()
    t.join(timeout=30)
    res["ok"] = not res["error"] and res["echoed"] == res["sent"]
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--udp-pps", type=int, default=500)
    ap.add_argument("--tcp-rate", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--drain", type=float, default=2.0)
    a = ap.parse_args()
    deadline = time.monotonic() + a.seconds
    stop = lambda: os.path.exists(a.stop) or time.monotonic() > deadline
    out = {"drain": a.drain}
    ping = subprocess.Popen(["ping", "-i", "0.01", "-W", "2", a.ip], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    threads = [threading.Thread(target=udp_stream, args=(a.ip, a.udp_pps, stop, out)),
               threading.Thread(target=tcp_stream, args=(a.ip, a.tcp_rate, stop, out))]
    for t in threads:
        t.start()
    while not stop():
        time.sleep(0.01)
    time.sleep(a.drain)
    ping.send_signal(2)
    text = ping.communicate(timeout=10)[0]
    for t in threads:
        t.join()
    seqs = sorted({int(w.split("=")[1]) for line in text.splitlines() for w in line.split()
                   if w.startswith("icmp_seq=") and "bytes from" in line})
    tx = [l for l in text.splitlines() if "packets transmitted" in l]
    sent = int(tx[0].split()[0]) if tx else 0
    # Pings still in flight when ping was stopped are not lost: count the
    # holes below the last answer.
    last = seqs[-1] if seqs else 0
    out["ping"] = {"sent": sent, "received": len(seqs),
                   "lost": len([n for n in range(1, last + 1) if n not in set(seqs)]) if seqs else -1}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
