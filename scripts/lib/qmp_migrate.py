#!/usr/bin/python3
"""Migrates a QEMU guest over QMP alone, as a switch-agnostic orchestrator
(libvirt, Nova, any QMP client) does: `events` on both sides,
migrate-incoming on the destination, migrate on the source, then waits for
completion. With --pre-switchover CMD it also sets pause-before-switchover,
runs CMD (a shell command: the switch's hook, e.g. `hashictl migration
follow`) when the source is paused at pre-switchover, and then sends
migrate-continue, as libvirt does around its own switchover work; CMD
failing cancels the migration. Prints one JSON object: QEMU's downtime
(STOP to the destination's RESUME, from QEMU's own event timestamps), the
total time, how long CMD took, and the status.

Usage: qmp_migrate.py SRC_QMP DST_QMP URI [--downtime-ms 300] [--pre-switchover CMD]
"""
import argparse
import json
import select
import socket
import subprocess
import time


class Qmp:
    """One QMP monitor. Lines are read into our own buffer, never a buffered
    file: select() on the socket cannot see lines a file object has already
    read ahead, and an event left there (pre-switchover, after which QEMU
    says nothing until told to continue) would never be handled."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b""
        self.events = []
        self.line()  # the greeting
        self.call("qmp_capabilities")

    def fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise RuntimeError("QMP connection closed")
        self.buf += chunk

    def line(self):
        while b"\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.s.sendall((json.dumps(msg) + "\n").encode())
        while True:
            line = self.line()
            if "event" in line:
                self.events.append(line)
                continue
            if "error" in line:
                raise RuntimeError("%s: %s" % (cmd, line["error"].get("desc")))
            return line.get("return")

    def take_lines(self):
        """Every whole line already buffered, as events."""
        while b"\n" in self.buf:
            line = self.line()
            if "event" in line:
                self.events.append(line)


def ts(e):
    return e["timestamp"]["seconds"] + e["timestamp"]["microseconds"] / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("uri")
    ap.add_argument("--downtime-ms", type=int, default=300)
    ap.add_argument("--pre-switchover", default=None)
    a = ap.parse_args()
    src, dst = Qmp(a.src), Qmp(a.dst)
    caps = [{"capability": "events", "state": True}]
    dst.call("migrate-set-capabilities", {"capabilities": caps})
    dst.call("migrate-incoming", {"uri": a.uri})
    src_caps = caps + [{"capability": "pause-before-switchover", "state": a.pre_switchover is not None}]
    src.call("migrate-set-capabilities", {"capabilities": src_caps})
    src.call("migrate-set-parameters", {"downtime-limit": a.downtime_ms})
    t0 = time.monotonic()
    src.call("migrate", {"uri": a.uri})
    status, hook_ms, hook_out, hooked = "timeout", None, "", False
    while time.monotonic() - t0 < 120:
        r, _, _ = select.select([src.s, dst.s], [], [], 0.1)
        for q in (src, dst):
            if q.s in r:
                q.fill()
            q.take_lines()  # also what a command's answer brought along
        if a.pre_switchover and not hooked and any(
                e["event"] == "MIGRATION" and e["data"]["status"] == "pre-switchover" for e in src.events):
            hooked = True
            h0 = time.monotonic()
            p = subprocess.run(a.pre_switchover, shell=True, capture_output=True, text=True)
            hook_ms = round((time.monotonic() - h0) * 1000, 1)
            hook_out = (p.stdout + p.stderr).strip()
            if p.returncode != 0:
                src.call("migrate_cancel")
                status = "hook failed"
                break
            src.call("migrate-continue", {"state": "pre-switchover"})
        done = [e for e in src.events if e["event"] == "MIGRATION" and e["data"]["status"] in ("completed", "failed")]
        resumed = [e for e in dst.events if e["event"] == "RESUME"]
        if done and (resumed or done[0]["data"]["status"] == "failed"):
            status = done[0]["data"]["status"]
            break
    stop = [e for e in src.events if e["event"] == "STOP"]
    resume = [e for e in dst.events if e["event"] == "RESUME"]
    out = {"status": status, "total_ms": round((time.monotonic() - t0) * 1000, 1),
           "downtime_ms": round((ts(resume[0]) - ts(stop[0])) * 1000, 1) if stop and resume else None,
           "hook_ms": hook_ms, "hook_output": hook_out}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
