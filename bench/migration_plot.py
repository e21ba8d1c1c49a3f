#!/usr/bin/python3
"""Plots for bench/RESULTS.md's migration sections.

  migration_plot.py timeline CLIENT.json SOURCE.json OUT.png
      One migration as the client saw it: UDP echoes received per 20 ms and
      their mean round-trip time, with the source's phases (from `hashictl
      --json migration-show`) marked.
  migration_plot.py fig11 FIG11.csv OUT.png
      The pre-copy model's reproduction of the seed paper's Figure 11 (a
      MODEL: the title says so).
"""
import csv
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def timeline(client_path, source_path, out):
    c = json.load(open(client_path))
    s = json.load(open(source_path))
    tl = c["timeline"]
    bin_s = tl["bin_s"]
    t0 = c["t0"]
    xs = [i * bin_s for i in range(len(tl["udp_received"]))]
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(10, 6))
    ax1.bar(xs, [n / bin_s for n in tl["udp_received"]], width=bin_s, color="tab:blue")
    ax1.set_ylabel("UDP echoes / s")
    ax2.plot(xs, [r if r is not None else float("nan") for r in tl["udp_rtt_ms"]], ".", ms=3, color="tab:red")
    ax2.set_ylabel("round trip (ms)")
    ax2.set_xlabel("seconds since the client started")
    marks = [("precopy", "pre-copy"), ("stop:", "VM stopped, held"), ("VM runs at", "runs at B, flushed")]
    heights = [0.95, 0.7, 0.45]
    for entry in s["timeline"]:
        for n, (key, label) in enumerate(marks):
            if key in entry["what"]:
                x = entry["at_ns"] / 1e9 - t0
                for ax in (ax1, ax2):
                    ax.axvline(x, color="gray", ls="--", lw=0.8)
                ax1.annotate(label, (x, ax1.get_ylim()[1] * heights[n]), fontsize=8, ha="left",
                             xytext=(3, 0), textcoords="offset points")
                break
    fig.suptitle("hashi: one live migration under traffic (UDP 400/s, ping 100/s, TCP), measured at the client")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def fig11(path, out):
    rows = list(csv.DictReader(line for line in open(path) if not line.startswith("#")))
    disks = [r["disk_gb"] for r in rows]
    live = [float(r["live_total_s"]) for r in rows]
    block = [float(r["block_total_s"]) for r in rows]
    x = range(len(disks))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.bar([i - 0.2 for i in x], live, 0.4, label="live migration (shared disk)")
    ax.bar([i + 0.2 for i in x], block, 0.4, label="block migration (VM stopped, disk copied)")
    ax.set_xticks(list(x))
    ax.set_xticklabels(["%s GB" % d for d in disks])
    ax.set_xlabel("disk size")
    ax.set_ylabel("completion time (s)")
    ax.set_title("MODEL, not measured: seed Fig. 11, 512 MB VM, 1 Gbit/s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    if sys.argv[1] == "timeline":
        timeline(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "fig11":
        fig11(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
