#!/usr/bin/env python3
"""Generates tests/vectors/jobs.json: producer-contract test vectors.

This is an independent implementation of the contract in docs/jobs.md using only Python's
standard library (a minimal msgpack encoder, hmac, hashlib), so the C++ daemon and this file
check each other. Run it from anywhere: python3 tests/vectors/gen_vectors.py
"""
import hashlib
import hmac
import json
import os
import struct

SECRET = bytes(range(32))            # a test secret: 00 01 02 ... 1f
KEY_ID = "acme-otp.v1"
STREAM = "sd:jobs"
NOW = 1_767_225_600_000              # 2026-01-01T00:00:00Z in ms: the verifier's clock


def mp_str(s: bytes) -> bytes:
    n = len(s)
    if n < 32:
        return bytes([0xA0 | n]) + s
    if n < 256:
        return b"\xd9" + bytes([n]) + s
    if n < 65536:
        return b"\xda" + struct.pack(">H", n) + s
    return b"\xdb" + struct.pack(">I", n) + s


def mp_uint(v: int) -> bytes:
    if v < 128:
        return bytes([v])
    if v < 256:
        return b"\xcc" + bytes([v])
    if v < 65536:
        return b"\xcd" + struct.pack(">H", v)
    if v < 2**32:
        return b"\xce" + struct.pack(">I", v)
    return b"\xcf" + struct.pack(">Q", v)


def mp_map(items) -> bytes:
    n = len(items)
    out = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    for k, v in items:
        out += mp_str(k.encode())
        out += mp_uint(v) if isinstance(v, int) else mp_str(v.encode("utf-8"))
    return out


def signing_input(version: str, kid: str, stream: str, job: bytes) -> bytes:
    return version.encode() + b"\n" + kid.encode() + b"\n" + stream.encode() + b"\n" + job


def job_fields(**over):
    f = {"id": "vec-0001", "created": NOW - 1000, "expires": NOW + 3_600_000,
         "to": "+4915112345678", "from": "ACME", "text": "Your code is 123456", "kind": "otp"}
    f.update(over)
    return [(k, v) for k, v in f.items() if v is not None]


vectors = []


def add(name, description, fields=None, raw_job=None, expected="admitted", kid=KEY_ID,
        sign_kid=None, stream=STREAM, sign_stream=None, secret=SECRET, version="sd1", tamper=None):
    job = raw_job if raw_job is not None else mp_map(fields)
    sin = signing_input("sd1", sign_kid or kid, sign_stream or stream, job)
    sig = hmac.new(secret, sin, hashlib.sha256).hexdigest()
    sent_job = job
    if tamper is not None:
        sent_job = bytearray(job)
        sent_job[tamper] ^= 0x01
        sent_job = bytes(sent_job)
    vectors.append({
        "name": name,
        "description": description,
        "stream": stream,
        "entry": {"v": version, "kid": kid, "job_hex": sent_job.hex(), "sig": sig},
        "job_fields": dict(fields) if fields is not None else None,
        "signing_input_hex": sin.hex(),
        "now_ms": NOW,
        "expected": expected,
    })


add("otp_gsm", "A one-part GSM-7 OTP: the worked example in docs/jobs.md.", job_fields())
add("transactional_with_ref", "Transactional job with a client reference.",
    job_fields(id="vec-0002", kind="transactional", ref="order-8812", text="Your parcel ships today."))
add("marketing_ucs2", "Cyrillic text needs UCS-2.", job_fields(id="vec-0003", kind="marketing", text="Привет, мир"))
add("emoji_surrogates", "An emoji outside the BMP: UCS-2 with a surrogate pair.",
    job_fields(id="vec-0004", text="Thanks \U0001F600"))
add("gsm_extension", "GSM extension characters (escape + septet).", job_fields(id="vec-0005", text="Price: 5€ {promo}"))
add("numeric_sender", "A numeric sender id with '+'.", job_fields(id="vec-0006", **{"from": "+4915100000000"}))
add("max_text_one_segment", "160 GSM characters: still one segment.", job_fields(id="vec-0007", text="a" * 160))

add("bad_signature", "Signed with another secret.", job_fields(id="vec-0101"), expected="bad_signature",
    secret=b"\xff" * 32)
add("tampered_byte", "One byte of the job changed after signing.", job_fields(id="vec-0102"),
    expected="bad_signature", tamper=20)
add("wrong_stream", "Signed for another stream name: a job cannot be moved between queues.",
    job_fields(id="vec-0103"), expected="bad_signature", sign_stream="sd:other")
add("key_id_swapped", "Signed under one key id, sent under another known one.", job_fields(id="vec-0104"),
    expected="bad_signature", kid=KEY_ID, sign_kid="acme-otp.v0")
add("unknown_key", "The key id is not in the key ring.", job_fields(id="vec-0105"), expected="unknown_key",
    kid="nobody.v1")
add("unsupported_version", "Envelope version tag other than sd1.", job_fields(id="vec-0106"),
    expected="unsupported_version", version="sd9")
add("expired", "expires is before the verifier's now.",
    job_fields(id="vec-0107", created=NOW - 7_200_000, expires=NOW - 3_600_000), expected="expired")
add("clock_skew", "created is more than 300 s in the future.",
    job_fields(id="vec-0108", created=NOW + 301_000, expires=NOW + 3_600_000), expected="clock_skew")
add("malformed_not_msgpack", "Correctly signed bytes that are not a msgpack map.", raw_job=b"\xc1oops",
    expected="malformed")
add("unknown_field", "A field the contract does not define.", job_fields(id="vec-0110", priority="high"),
    expected="malformed")
add("missing_field", "No text field.", job_fields(id="vec-0111", text=None), expected="malformed")
add("too_large_text", "2001 bytes of text.", job_fields(id="vec-0112", text="x" * 2001), expected="too_large")
add("invalid_number", "Destination without '+'.", job_fields(id="vec-0113", to="4915112345678"),
    expected="invalid_number")
add("invalid_sender", "Alphanumeric sender longer than 11 characters.",
    job_fields(id="vec-0114", **{"from": "ACMEBANKPLC12"}), expected="invalid_sender")
add("empty_text", "Empty text.", job_fields(id="vec-0115", text=""), expected="invalid_text")
add("text_too_long", "161 GSM characters need two segments; single part only for now.",
    job_fields(id="vec-0116", text="a" * 161), expected="text_too_long")

doc = {
    "comment": "Producer contract test vectors; see docs/jobs.md. Generated by gen_vectors.py.",
    "keys": [{"id": KEY_ID, "secret_hex": SECRET.hex()}, {"id": "acme-otp.v0", "secret_hex": (b"\x11" * 32).hex()}],
    "policy": {"max_future_skew_ms": 300_000, "max_validity_ms": 86_400_000, "max_segments": 1},
    "vectors": vectors,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(vectors)} vectors to {out}")
