#!/usr/bin/python3
"""Migrates a QEMU guest over QMP alone, as a switch-agnostic orchestrator
does (the benchmarks' baseline): `events` on both sides, migrate-incoming on
the destination, migrate on the source, then waits for completion. Prints
one JSON object: QEMU's downtime (STOP to the destination's RESUME, from
QEMU's own event timestamps), the total time, and the status.

Usage: qmp_migrate.py SRC_QMP DST_QMP URI [--downtime-ms 300]
"""
import json
import select
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rw")
        self.events = []
        self.f.readline()
        self.call("qmp_capabilities")

    def call(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            line = json.loads(self.f.readline())
            if "event" in line:
                self.events.append(line)
                continue
            if "error" in line:
                raise RuntimeError("%s: %s" % (cmd, line["error"].get("desc")))
            return line.get("return")

    def read_event(self):
        line = json.loads(self.f.readline())
        if "event" in line:
            self.events.append(line)


def ts(e):
    return e["timestamp"]["seconds"] + e["timestamp"]["microseconds"] / 1e6


def main():
    src, dst = Qmp(sys.argv[1]), Qmp(sys.argv[2])
    uri = sys.argv[3]
    downtime = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    caps = {"capabilities": [{"capability": "events", "state": True}]}
    dst.call("migrate-set-capabilities", caps)
    dst.call("migrate-incoming", {"uri": uri})
    src.call("migrate-set-capabilities", caps)
    src.call("migrate-set-parameters", {"downtime-limit": downtime})
    t0 = time.monotonic()
    src.call("migrate", {"uri": uri})
    status = "timeout"
    while time.monotonic() - t0 < 120:
        r, _, _ = select.select([src.s, dst.s], [], [], 0.5)
        for q in (src, dst):
            if q.s in r:
                q.read_event()
        done = [e for e in src.events if e["event"] == "MIGRATION" and e["data"]["status"] in ("completed", "failed")]
        resumed = [e for e in dst.events if e["event"] == "RESUME"]
        if done and (resumed or done[0]["data"]["status"] == "failed"):
            status = done[0]["data"]["status"]
            break
    stop = [e for e in src.events if e["event"] == "STOP"]
    resume = [e for e in dst.events if e["event"] == "RESUME"]
    out = {"status": status, "total_ms": round((time.monotonic() - t0) * 1000, 1),
           "downtime_ms": round((ts(resume[0]) - ts(stop[0])) * 1000, 1) if stop and resume else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
