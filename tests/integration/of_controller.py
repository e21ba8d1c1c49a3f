#!/usr/bin/python3
"""A small OpenFlow 1.3 controller written with python3-openflow (pyof), for
the integration test: it listens, accepts hashi's connection, installs a
table-miss rule that sends packets to the controller, and answers every
PACKET_IN for UDP destination port 7777 with a PACKET_OUT of the same bytes
to port 2. It logs each event as one line ("connected", "packet_in ...",
"packet_out ...") to stdout and exits after --packets packet-ins or --timeout.
With --tls CERT KEY CA it speaks TLS and requires the switch's certificate
to be signed by CA (mutual authentication, as hashi requires of it).
Usage: of_controller.py PORT [--packets N] [--timeout S] [--tls CERT KEY CA]"""
import argparse
import socket
import ssl
import struct
import sys
import time

from pyof.v0x04.common.action import ActionOutput
from pyof.v0x04.common.flow_instructions import InstructionApplyAction
from pyof.v0x04.common.flow_match import Match
from pyof.v0x04.controller2switch.barrier_request import BarrierRequest
from pyof.v0x04.controller2switch.features_request import FeaturesRequest
from pyof.v0x04.controller2switch.flow_mod import FlowMod, FlowModCommand
from pyof.v0x04.controller2switch.packet_out import PacketOut
from pyof.v0x04.symmetric.echo_reply import EchoReply
from pyof.v0x04.symmetric.hello import Hello

OFPP_CONTROLLER = 0xFFFFFFFD
OFPCML_NO_BUFFER = 0xFFFF


def log(*a):
    print(*a, flush=True)


def read_msg(conn, buf):
    while True:
        if len(buf) >= 8:
            n = struct.unpack("!H", buf[2:4])[0]
            if len(buf) >= n:
                return buf[:n], buf[n:]
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk


def packet_in_fields(msg):
    """buffer_id, in_port, reason, table_id, data of an OFPT_PACKET_IN."""
    buffer_id, total_len, reason, table_id, cookie = struct.unpack("!IHBBQ", msg[8:24])
    mlen = struct.unpack("!H", msg[26:28])[0]
    in_port = None
    off = 28
    while off < 24 + mlen:
        cls, fh, ln = struct.unpack("!HBB", msg[off:off + 4])
        if cls == 0x8000 and fh >> 1 == 0:
            in_port = struct.unpack("!I", msg[off + 4:off + 8])[0]
        off += 4 + ln
    data = msg[24 + (mlen + 7) // 8 * 8 + 2:]
    return buffer_id, in_port, reason, table_id, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--packets", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--tls", nargs=3, metavar=("CERT", "KEY", "CA"))
    ap.add_argument("--buffered", action="store_true",
                    help="ask for 40-byte packet-ins with a buffer id, and packet-out by buffer id")
    args = ap.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(1)
    ls.settimeout(args.timeout)
    log("listening")
    conn, _ = ls.accept()
    conn.settimeout(args.timeout)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        ctx.load_verify_locations(args.tls[2])
        ctx.verify_mode = ssl.CERT_REQUIRED
        conn = ctx.wrap_socket(conn, server_side=True)
        log("tls peer=" + dict(x[0] for x in conn.getpeercert()["subject"])["commonName"])
    conn.sendall(Hello(xid=1).pack())
    buf = b""
    msg, buf = read_msg(conn, buf)
    assert msg[1] == 0, "expected HELLO"
    conn.sendall(FeaturesRequest(xid=2).pack())
    miss = FlowMod(xid=3, command=FlowModCommand.OFPFC_ADD, priority=0, buffer_id=0xFFFFFFFF,
                   out_port=0xFFFFFFFF, out_group=0xFFFFFFFF, match=Match(),
                   instructions=[InstructionApplyAction(actions=[ActionOutput(
                       port=OFPP_CONTROLLER, max_length=40 if args.buffered else OFPCML_NO_BUFFER)])])
    conn.sendall(miss.pack())
    conn.sendall(BarrierRequest(xid=4).pack())
    seen = 0
    deadline = time.time() + args.timeout
    while seen < args.packets and time.time() < deadline:
        msg, buf = read_msg(conn, buf)
        t = msg[1]
        if t == 6:
            log("connected dpid=%016x" % struct.unpack("!Q", msg[8:16])[0])
        elif t == 21:
            log("barrier_reply")
        elif t == 2:
            conn.sendall(EchoReply(xid=struct.unpack("!I", msg[4:8])[0], data=msg[8:]).pack())
        elif t == 1:
            log("error type=%d code=%d" % struct.unpack("!HH", msg[8:12]))
        elif t == 10:
            buffer_id, in_port, reason, table_id, data = packet_in_fields(msg)
            # UDP to port 7777 in an untagged IPv4 frame?
            if len(data) >= 38 and data[12:14] == b"\x08\x00" and data[23] == 17 and data[36:38] == b"\x1e\x61":
                seen += 1
                log(f"packet_in in_port={in_port} reason={reason} table={table_id} len={len(data)}"
                    + (f" buffer_id={buffer_id}" if buffer_id != 0xFFFFFFFF else ""))
                if buffer_id != 0xFFFFFFFF:  # the switch keeps the whole packet: name it
                    out = PacketOut(xid=100 + seen, buffer_id=buffer_id, in_port=in_port,
                                    actions=[ActionOutput(port=2, max_length=0)])
                else:
                    out = PacketOut(xid=100 + seen, buffer_id=0xFFFFFFFF, in_port=in_port,
                                    actions=[ActionOutput(port=2, max_length=0)], data=data)
                conn.sendall(out.pack())
                log(f"packet_out port=2 len={len(data)}")
    conn.close()
    sys.exit(0 if seen >= args.packets else 1)


if __name__ == "__main__":
    main()
