#!/usr/bin/python3
"""Samples a transmit counter once a second and prints the forwarding rate:
    measure.py --telemetry FILE_PREFIX PORT_ID WARMUP_S WINDOWS
    measure.py --command "SHELL COMMAND PRINTING A COUNTER" WARMUP_S WINDOWS
Output: "median_mpps min_mpps max_mpps" over the 1-second windows after the
warm-up. A falling minimum shows a warm-up cliff; a high one shows none."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import telemetry_client  # noqa: E402  (the same protocol code the tests use)


def telemetry_counter(prefix, port):
    reply = telemetry_client.query(prefix, f"/ethdev/stats,{port}")
    return reply["/ethdev/stats"]["opackets"]


def main():
    if sys.argv[1] == "--telemetry":
        prefix, port = sys.argv[2], int(sys.argv[3])
        read = lambda: telemetry_counter(prefix, port)
        rest = sys.argv[4:]
    else:
        cmd = sys.argv[2]
        read = lambda: int(subprocess.check_output(cmd, shell=True, text=True).strip().strip('"'))
        rest = sys.argv[3:]
    warmup, windows = float(rest[0]), int(rest[1])
    time.sleep(warmup)
    rates = []
    last_v, last_t = read(), time.monotonic()
    for _ in range(windows):
        time.sleep(1.0)
        v, t = read(), time.monotonic()
        rates.append((v - last_v) / (t - last_t) / 1e6)
        last_v, last_t = v, t
    print("%.3f %.3f %.3f" % (statistics.median(rates), min(rates), max(rates)))


if __name__ == "__main__":
    main()
