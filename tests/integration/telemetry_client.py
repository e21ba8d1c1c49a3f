#!/usr/bin/python3
"""Reads one DPDK telemetry command from a running DPDK process and prints
the JSON reply: telemetry_client.py FILE_PREFIX COMMAND. It speaks the same
protocol as dpdk-telemetry.py (a SOCK_SEQPACKET socket that greets with a
JSON object, then answers one command per message)."""
import json
import socket
import sys


def query(prefix, command):
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(path)
        greeting = json.loads(s.recv(16384).decode())
        s.send(command.encode())
        return json.loads(s.recv(greeting.get("max_output_len", 16384)).decode())


if __name__ == "__main__":
    print(json.dumps(query(sys.argv[1], sys.argv[2])))
