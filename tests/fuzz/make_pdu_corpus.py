#!/usr/bin/env python3
"""Writes the seed corpus for the PDU decoder fuzzer (tests/fuzz/corpus/pdu/): valid PDUs of
each type and hostile framing. The corpus is also replayed by the unit tests."""
import os
import struct

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pdu")
os.makedirs(out, exist_ok=True)


def pdu(cmd, seq, body=b"", status=0, length=None):
    n = 16 + len(body) if length is None else length
    return struct.pack(">IIII", n, cmd, status, seq) + body


def cstr(s):
    return s.encode() + b"\0"


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def sm_body(src, dst, text, esm=0, dc=0, tlvs=b"", reg=1):
    return (cstr("") + bytes([5, 0]) + cstr(src) + bytes([1, 1]) + cstr(dst) + bytes([esm, 0, 0]) + cstr("") +
            cstr("") + bytes([reg, 0, dc, 0, len(text)]) + text + tlvs)


# message_payload size that makes a submit_sm exactly 65536 bytes: header, body, TLV header.
MAX_PAYLOAD = 65536 - 16 - len(sm_body("ACME", "4915112345678", b"")) - 4

seeds = {
    "enquire_link": pdu(0x15, 1),
    "enquire_link_resp": pdu(0x80000015, 1),
    "unbind": pdu(0x06, 2),
    "unbind_resp": pdu(0x80000006, 2),
    "generic_nack": pdu(0x80000000, 3, status=3),
    "bind_transceiver": pdu(0x09, 4, cstr("sim") + cstr("simpw") + cstr("") + bytes([0x34, 0, 0]) + cstr("")),
    "bind_transmitter_resp": pdu(0x80000002, 5, cstr("SMSC") + tlv(0x0210, b"\x34")),
    "bind_resp_error_empty": pdu(0x80000009, 6, status=0x0E),
    "submit_sm_gsm": pdu(0x04, 7, sm_body("ACME", "4915112345678", b"hello")),
    "submit_sm_ucs2_payload": pdu(0x04, 8, sm_body("ACME", "4915112345678", b"", dc=8,
                                                   tlvs=tlv(0x0424, "Привет".encode("utf-16-be")))),
    "submit_sm_resp": pdu(0x80000004, 7, cstr("0000000000000001")),
    "submit_sm_resp_throttled": pdu(0x80000004, 8, status=0x58),
    "deliver_sm_receipt": pdu(0x05, 9, sm_body("4915112345678", "ACME",
                                               b"id:0000000000000001 sub:001 dlvrd:001 submit date:2601010000 "
                                               b"done date:2601010000 stat:DELIVRD err:000 text:", esm=4,
                                               tlvs=tlv(0x001E, b"0000000000000001\0") + tlv(0x0427, b"\x02"))),
    "deliver_sm_resp": pdu(0x80000005, 9, b"\0"),
    "two_pdus": pdu(0x15, 10) + pdu(0x15, 11),
    "len_0": struct.pack(">I", 0) + b"\0" * 12,
    "len_2": struct.pack(">I", 2) + b"\0" * 12,
    "len_15": struct.pack(">I", 15) + b"\0" * 12,
    "len_ffffffff": struct.pack(">I", 0xFFFFFFFF) + b"\0" * 12,
    "truncated_tlv": pdu(0x04, 12, sm_body("A", "1", b"x", tlvs=struct.pack(">HH", 0x0424, 10) + b"abc")),
    "tlv_header_cut": pdu(0x04, 13, sm_body("A", "1", b"x") + b"\x04"),
    "cstring_no_nul": pdu(0x02, 14, b"x" * 40),
    "sm_length_past_end": pdu(0x04, 15, sm_body("A", "1", b"")[:-1] + b"\xf0"),
    "unknown_command": pdu(0x77, 16),
    "short_header": b"\x00\x00\x00\x10\x00\x00",
    "bind_receiver": pdu(0x01, 17, cstr("sim") + cstr("simpw") + cstr("esme") +
                         bytes([0x34, 1, 1]) + cstr("^49")),
    "bind_transmitter": pdu(0x02, 18, cstr("sim") + cstr("simpw") + cstr("") +
                            bytes([0x34, 0, 0]) + cstr("")),
    "trailing_garbage": pdu(0x15, 19, b"junk"),
    "oversize_service_type": pdu(0x04, 20, b"SEVENCH\0" + sm_body("A", "1", b"x")[1:]),
    # Exactly kMaxPduSize (65536): the largest PDU the decoder accepts, so the fuzzer starts
    # from the limit instead of having to grow an input that far.
    "max_size_pdu": pdu(0x04, 21, sm_body("ACME", "4915112345678", b"", dc=8,
                                          tlvs=tlv(0x0424, b"\x00" * MAX_PAYLOAD))),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}")
