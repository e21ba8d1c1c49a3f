#!/usr/bin/python3
"""Sends malformed OpenFlow 1.3 messages to a running hashi over a raw TCP
socket and checks each answer: the spec's OFPT_ERROR type and code, the
offending message echoed in the data, and a connection that still answers
an ECHO afterwards. Well-formed messages are built with python3-openflow
(pyof); the malformed ones are those messages with bytes changed.
Usage: of_errors.py HOST PORT"""
import socket
import struct
import sys

from pyof.v0x04.common.action import ActionOutput
from pyof.v0x04.common.flow_instructions import InstructionApplyAction
from pyof.v0x04.common.flow_match import Match, OxmOfbMatchField, OxmTLV
from pyof.v0x04.controller2switch.flow_mod import FlowMod, FlowModCommand, FlowModFlags
from pyof.v0x04.symmetric.echo_request import EchoRequest
from pyof.v0x04.symmetric.hello import Hello

OFPT_ERROR = 1


def tlv(field, value, mask=None):
    t = OxmTLV()
    t.oxm_field = field
    t.oxm_hasmask = mask is not None
    t.oxm_value = value + (mask or b"")
    return t


class Switch:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=5)
        self.buf = b""
        self.s.sendall(Hello(xid=1).pack())
        hello = self.recv()
        assert hello[1] == 0 and hello[0] == 4, hello[:8].hex()

    def recv(self):
        while True:
            if len(self.buf) >= 8:
                length = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) >= length:
                    msg, self.buf = self.buf[:length], self.buf[length:]
                    return msg
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed by hashi")
            self.buf += chunk

    def transact(self, msg):
        self.s.sendall(msg)
        return self.recv()

    def alive(self, xid):
        reply = self.transact(EchoRequest(xid=xid, data=b"ok").pack())
        assert reply[1] == 3 and reply[4:8] == struct.pack("!I", xid), reply.hex()


def flow_mod(**kw):
    fields = kw.pop("fields", [tlv(OxmOfbMatchField.OFPXMT_OFB_ETH_TYPE, b"\x08\x00")])
    actions = kw.pop("actions", [ActionOutput(port=2, max_length=0)])
    fm = FlowMod(xid=kw.pop("xid", 100), command=kw.pop("command", FlowModCommand.OFPFC_ADD),
                 priority=kw.pop("priority", 10), buffer_id=0xFFFFFFFF, out_port=0xFFFFFFFF,
                 out_group=0xFFFFFFFF, match=Match(oxm_match_fields=fields),
                 instructions=[InstructionApplyAction(actions=actions)], **kw)
    return bytearray(fm.pack())


def fix_length(b):
    b[2:4] = struct.pack("!H", len(b))
    return bytes(b)


def cases():
    """(name, message bytes, error type, error code)"""
    c = []
    good = flow_mod()
    # Message-level errors.
    c.append(("unknown message type", fix_length(bytearray(b"\x04\x63\x00\x08\x00\x00\x00\x05")), 1, 1))
    c.append(("experimenter message", fix_length(bytearray(b"\x04\x04\x00\x10\x00\x00\x00\x06"
                                                            b"\x00\x00\x23\x20\x00\x00\x00\x00")), 1, 3))
    c.append(("wrong version", bytes(b"\x03" + bytes(good[1:])), 1, 0))
    c.append(("truncated flow-mod", fix_length(bytearray(good[:40])), 1, 6))
    c.append(("unknown multipart", fix_length(bytearray(b"\x04\x12\x00\x10\x00\x00\x00\x07\x00\x63"
                                                         b"\x00\x00\x00\x00\x00\x00")), 1, 2))
    # Flow-mod errors.
    b = bytearray(good); b[25] = 9
    c.append(("bad flow-mod command", bytes(b), 5, 6))
    b = bytearray(good); b[24] = 0xFF
    c.append(("add to table 0xff", bytes(b), 5, 2))
    b = bytearray(good); b[48:50] = b"\x00\x00"
    c.append(("standard (non-OXM) match", bytes(b), 4, 0))
    c.append(("OXM field unknown to hashi (MPLS_LABEL)",
              bytes(flow_mod(fields=[tlv(OxmOfbMatchField.OFPXMT_OFB_MPLS_LABEL, b"\x00\x00\x00\x01")])), 4, 6))
    c.append(("duplicate OXM field", bytes(flow_mod(fields=[tlv(OxmOfbMatchField.OFPXMT_OFB_ETH_TYPE, b"\x08\x00"),
                                                            tlv(OxmOfbMatchField.OFPXMT_OFB_ETH_TYPE, b"\x08\x00")])), 4, 10))
    c.append(("missing prerequisite", bytes(flow_mod(fields=[tlv(OxmOfbMatchField.OFPXMT_OFB_IPV4_DST,
                                                                 b"\x0a\x00\x00\x01")])), 4, 9))
    c.append(("value outside mask", bytes(flow_mod(fields=[tlv(OxmOfbMatchField.OFPXMT_OFB_ETH_TYPE, b"\x08\x00"),
                                                           tlv(OxmOfbMatchField.OFPXMT_OFB_IPV4_DST, b"\x0a\x00\x00\x01",
                                                               b"\xff\xff\xff\x00")])), 4, 5))
    # good: header 0-7, fixed part 8-47, match 48-63 (TLV length at 55),
    # apply-actions 64-71, output action 72-87 (type 72, length 74).
    b = bytearray(good); b[55] = 0x20  # the eth_type TLV now claims 32 bytes
    c.append(("truncated OXM TLV", bytes(b), 4, 1))
    c.append(("output to port 0", bytes(flow_mod(actions=[ActionOutput(port=0, max_length=0)])), 2, 4))
    c.append(("output to OFPP_ANY", bytes(flow_mod(actions=[ActionOutput(port=0xFFFFFFFF, max_length=0)])), 2, 4))
    b = bytearray(good); b[72:74] = b"\x00\x63"  # action type 99
    c.append(("unknown action", bytes(b), 2, 0))
    b = bytearray(good); b[74:76] = b"\x00\x0c"  # output action claiming 12 bytes
    c.append(("bad action length", bytes(b), 2, 1))
    b = bytearray(good); b[64:66] = b"\x00\x07"  # instruction type 7
    c.append(("unknown instruction", bytes(b), 3, 0))
    c.append(("overlap with CHECK_OVERLAP", bytes(flow_mod(xid=101, priority=77, flags=FlowModFlags.OFPFF_CHECK_OVERLAP)),
              5, 3))
    # Port, table and role errors.
    c.append(("port-mod of an unknown port",
              fix_length(bytearray(struct.pack("!BBHI", 4, 16, 40, 8) + struct.pack("!I4x6s2xIII4x", 999, b"\x00" * 6, 1, 1, 0))),
              7, 0))
    c.append(("table-mod of table 255+bad config",
              fix_length(bytearray(struct.pack("!BBHI", 4, 17, 16, 9) + struct.pack("!B3xI", 3, 0x10))), 8, 1))
    c.append(("role request with role 7",
              fix_length(bytearray(struct.pack("!BBHI", 4, 24, 24, 10) + struct.pack("!I4xQ", 7, 0))), 11, 2))
    c.append(("packet-out from an unknown buffer",
              fix_length(bytearray(struct.pack("!BBHI", 4, 13, 24, 11) + struct.pack("!IIH6x", 12345, 0xFFFFFFFD, 0))),
              1, 8))
    return c


def role_request(xid, role, generation):
    return struct.pack("!BBHIIIQ", 4, 24, 24, xid, role, 0, generation)


def session_checks(host, port):
    """Roles with generation ids, the async configuration and the default
    miss_send_len: each connection has its own session state."""
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        failures += not ok

    a, b = Switch(host, port), Switch(host, port)
    reply = a.transact(struct.pack("!BBHI", 4, 7, 8, 50))  # GET_CONFIG_REQUEST
    check(reply[1] == 8 and struct.unpack("!HH", reply[8:12]) == (0, 128), "default miss_send_len is 128")
    reply = a.transact(role_request(51, 2, 10))  # MASTER, generation 10
    check(reply[1] == 25 and struct.unpack("!I", reply[8:12])[0] == 2, "a becomes master")
    reply = b.transact(role_request(52, 3, 9))  # SLAVE with an older generation
    check(reply[1] == 1 and struct.unpack("!HH", reply[8:12]) == (11, 0), "stale generation id: ROLE_REQUEST_FAILED/STALE")
    reply = b.transact(role_request(53, 2, 11))  # b takes over as master
    check(reply[1] == 25 and struct.unpack("!I", reply[8:12])[0] == 2, "b becomes master with generation 11")
    reply = a.transact(role_request(54, 0, 0))  # NOCHANGE: what is a's role now?
    check(reply[1] == 25 and struct.unpack("!IxxxxQ", reply[8:24]) == (3, 11), "a was demoted to slave")
    reply = a.transact(bytes(flow_mod(xid=55, priority=3)))
    check(reply[1] == 1 and struct.unpack("!HH", reply[8:12]) == (1, 10), "a slave's flow-mod: BAD_REQUEST/IS_SLAVE")
    masks = struct.pack("!IIIIII", 1, 0, 7, 7, 15, 0)
    a.s.sendall(struct.pack("!BBHI", 4, 28, 32, 56) + masks)  # SET_ASYNC
    reply = a.transact(struct.pack("!BBHI", 4, 26, 8, 57))  # GET_ASYNC_REQUEST
    check(reply[1] == 27 and reply[8:32] == masks, "SET_ASYNC then GET_ASYNC returns the masks")
    reply = b.transact(struct.pack("!BBHI", 4, 26, 8, 58))
    check(reply[1] == 27 and struct.unpack("!I", reply[8:12])[0] == 7, "b keeps its own async configuration")
    b.transact(role_request(59, 1, 0))  # back to EQUAL for the next tests
    return failures


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sw = Switch(host, port)
    # Install the rule the overlap case collides with (same priority, overlapping match).
    sw.s.sendall(bytes(flow_mod(xid=99, priority=77)))
    sw.alive(1000)
    failures = 0
    for i, (name, msg, etype, ecode) in enumerate(cases()):
        reply = sw.transact(msg)
        got_type, got_code = struct.unpack("!HH", reply[8:12]) if reply[1] == OFPT_ERROR else (None, None)
        echoed = reply[12:]
        ok = (reply[1] == OFPT_ERROR and (got_type, got_code) == (etype, ecode)
              and echoed == msg[:len(echoed)] and len(echoed) == min(64, len(msg))
              and reply[4:8] == msg[4:8])
        print(f"{'ok  ' if ok else 'FAIL'} {name}: expected {etype}/{ecode}, got {got_type}/{got_code}"
              f" (message type {reply[1]}, {len(echoed)} bytes echoed)")
        failures += not ok
        sw.alive(2000 + i)  # the connection is still usable
    # A peer that offers only OpenFlow 1.0 is refused with HELLO_FAILED/INCOMPATIBLE.
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"\x01\x00\x00\x08\x00\x00\x00\x01")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    msgs = []
    while len(data) >= 8:
        n = struct.unpack("!H", data[2:4])[0]
        msgs.append(data[:n])
        data = data[n:]
    errs = [m for m in msgs if m[1] == OFPT_ERROR]
    ok = len(errs) == 1 and struct.unpack("!HH", errs[0][8:12]) == (0, 0)
    print(f"{'ok  ' if ok else 'FAIL'} OpenFlow 1.0-only peer: HELLO_FAILED/INCOMPATIBLE and closed "
          f"({errs[0][12:].decode(errors='replace') if errs else 'no error'})")
    failures += not ok
    print(f"{len(cases()) + 1 - failures} of {len(cases()) + 1} error cases answered as the spec says")
    failures += session_checks(host, port)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
