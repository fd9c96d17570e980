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


class Raw(bytes):
    """A value already packed (any msgpack type), put into the map as it is."""


def mp_bin(b: bytes) -> bytes:
    return b"\xc4" + bytes([len(b)]) + b


def mp_value(v) -> bytes:
    if isinstance(v, Raw):
        return bytes(v)
    if isinstance(v, bytes):
        return mp_bin(v)  # what Python's msgpack makes of bytes: a bin, not a str
    if isinstance(v, int):
        return mp_uint(v)
    return mp_str(v.encode("utf-8"))


def mp_map(items) -> bytes:
    n = len(items)
    out = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    for k, v in items:
        out += k if isinstance(k, Raw) else mp_str(k.encode())
        out += mp_value(v)
    return out


def as_bytes(s) -> bytes:
    return s if isinstance(s, bytes) else s.encode("utf-8")


def signing_input(version, kid, stream: str, job: bytes) -> bytes:
    return as_bytes(version) + b"\n" + as_bytes(kid) + b"\n" + stream.encode() + b"\n" + job


def text_field(name, value, entry):
    """An entry field as JSON: the string when it is UTF-8 text, else <name>_hex."""
    try:
        entry[name] = as_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        entry[name + "_hex"] = as_bytes(value).hex()


def json_fields(fields):
    """The job fields for readers (and the C++ encoder check): only plain str/int maps."""
    if fields is None:
        return None
    if any(isinstance(k, Raw) or isinstance(v, (bytes, Raw)) for k, v in fields):
        return None
    return dict(fields)


def job_fields(**over):
    f = {"id": "vec-0001", "created": NOW - 1000, "expires": NOW + 3_600_000,
         "to": "+4915112345678", "from": "ACME", "text": "Your code is 123456", "kind": "otp"}
    f.update(over)
    return [(k, v) for k, v in f.items() if v is not None]


vectors = []


def add(name, description, fields=None, raw_job=None, expected="admitted", kid=KEY_ID,
        sign_kid=None, stream=STREAM, sign_stream=None, secret=SECRET, version="sd1", tamper=None,
        sig=None, detail=None, segments=None, omit=None, extra=None):
    job = raw_job if raw_job is not None else mp_map(fields)
    sin = signing_input("sd1", sign_kid or kid, sign_stream or stream, job)
    if sig is None:
        sig = hmac.new(secret, sin, hashlib.sha256).hexdigest()
    sent_job = job
    if tamper is not None:
        sent_job = bytearray(job)
        sent_job[tamper] ^= 0x01
        sent_job = bytes(sent_job)
    entry = {}
    text_field("v", version, entry)
    text_field("kid", kid, entry)
    entry["job_hex"] = sent_job.hex()
    text_field("sig", sig, entry)
    for f in omit or []:
        entry.pop(f, None)
        entry.pop(f + "_hex", None)
        entry.pop("job_hex" if f == "job" else f, None)
    v = {
        "name": name,
        "description": description,
        "stream": stream,
        "entry": entry,
        "job_fields": json_fields(fields),
        "signing_input_hex": sin.hex(),
        "now_ms": NOW,
        "expected": expected,
    }
    if extra:
        v["extra_fields"] = extra
    if detail is not None:
        v["detail"] = detail
    if segments is not None:
        v["segments"] = segments
    vectors.append(v)


add("otp_gsm", "A one-part GSM-7 OTP: the worked example in docs/jobs.md.", job_fields())
add("transactional_with_ref", "Transactional job with a client reference.",
    job_fields(id="vec-0002", kind="transactional", ref="order-8812", text="Your parcel ships today."))
add("marketing_ucs2", "Cyrillic text needs UCS-2.", job_fields(id="vec-0003", kind="marketing", text="Привет, мир"))
add("emoji_surrogates", "An emoji outside the BMP: UCS-2 with a surrogate pair.",
    job_fields(id="vec-0004", text="Thanks \U0001F600"))
add("gsm_extension", "GSM extension characters (escape + septet).", job_fields(id="vec-0005", text="Price: 5€ {promo}"))
add("numeric_sender", "A numeric sender id with '+'.", job_fields(id="vec-0006", **{"from": "+4915100000000"}))
add("max_text_one_segment", "160 GSM characters: still one segment.", job_fields(id="vec-0007", text="a" * 160),
    segments=1)
add("two_parts_gsm", "161 GSM characters: two parts of at most 153 (the default max_segments is 10).",
    job_fields(id="vec-0008", text="a" * 161), segments=2)
add("two_parts_ucs2", "71 UCS-2 characters: two parts of at most 67.", job_fields(id="vec-0009", text="ж" * 71),
    segments=2)
add("ten_parts_gsm", "1530 GSM characters: exactly max_segments (10) parts.",
    job_fields(id="vec-0010", text="a" * 1530), segments=10)
add("validity_exactly_max", "expires exactly max_validity (24 h) after created.",
    job_fields(id="vec-0011", created=NOW - 1000, expires=NOW - 1000 + 86_400_000))
add("sig_upper_case", "The signature's hex digits may be upper case.", job_fields(id="vec-0012"),
    sig=hmac.new(SECRET, signing_input("sd1", KEY_ID, STREAM, mp_map(job_fields(id="vec-0012"))),
                 hashlib.sha256).hexdigest().upper())
add("kid_utf8", "A kid may be any UTF-8 without control characters; this one names no key.",
    job_fields(id="vec-0013"), expected="unknown_key", kid="ключ.v1")
add("created_exactly_2_53", "created and expires may be up to 2^53; this job is then from the future.",
    job_fields(id="vec-0014", created=2**53 - 3_600_000, expires=2**53), expected="clock_skew")

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
add("text_too_long", "1531 GSM characters need 11 parts; max_segments is 10.",
    job_fields(id="vec-0116", text="a" * 1531), expected="text_too_long")

# §1: the entry fields. A field that breaks §1 is malformed before any key is looked up.
base = job_fields(id="vec-0200")
add("entry_missing_sig", "An entry without sig.", base, expected="malformed", omit=["sig"],
    detail="entry fields must be exactly v, kid, job, sig, each once")
add("entry_extra_field", "An entry with a fifth field.", base, expected="malformed",
    extra=[["prio", "high"]], detail="entry fields must be exactly v, kid, job, sig, each once")
add("v_empty", "An empty v.", base, expected="malformed", version="",
    detail="v must be 1-16 ASCII letters and digits")
add("kid_empty", "An empty kid.", base, expected="malformed", kid="", detail="kid is empty")
add("kid_too_long", "A kid of 65 bytes (signed with it: still malformed, not unknown_key).", base,
    expected="malformed", kid="k" * 65, detail="kid longer than 64 bytes")
add("kid_newline", "A kid with a newline.", base, expected="malformed", kid="acme-otp.v1\nx",
    detail="kid must be UTF-8 without control characters")
add("kid_escape", "A kid with an ESC.", base, expected="malformed", kid="acme\x1b[2J",
    detail="kid must be UTF-8 without control characters")
add("kid_not_utf8", "A kid that is not UTF-8 (given as kid_hex).", base, expected="malformed",
    kid=b"acme\xff.v1", detail="kid must be UTF-8 without control characters")
add("sig_63_digits", "A sig of 63 hex digits: malformed, not bad_signature.", base, expected="malformed",
    sig="a" * 63, detail="sig must be 64 hex digits")
add("sig_not_hex", "A sig of 64 characters that are not all hex digits.", base, expected="malformed",
    sig="g" * 64, detail="sig must be 64 hex digits")
add("job_empty", "An empty job.", raw_job=b"", expected="malformed", detail="job is empty")
add("job_too_large", "A job of 4097 bytes.", raw_job=b"\x00" * 4097, expected="too_large",
    detail="job larger than 4096 bytes")

# §2: the job map.
add("bin_text", "text as msgpack bin (Python bytes, Go []byte): malformed even when it is UTF-8.",
    job_fields(id="vec-0300", text=b"hello"), expected="malformed", detail="text: bin, expected str")
add("bin_id", "id as msgpack bin.", job_fields(id=b"vec-0301"), expected="malformed",
    detail="id: bin, expected str")
add("id_too_long", "An id of 65 bytes.", job_fields(id="i" * 65), expected="too_large",
    detail="id longer than 64 bytes")
add("id_bad_character", "An id with a space.", job_fields(id="vec 0302"), expected="malformed",
    detail="id may contain only A-Z a-z 0-9 - _ . :")
add("from_too_long", "A from of 21 bytes.", job_fields(id="vec-0303", **{"from": "A" * 21}),
    expected="too_large", detail="from longer than 20 bytes")
add("to_too_long", "A to of 33 bytes.", job_fields(id="vec-0304", to="+" + "1" * 32), expected="too_large",
    detail="to longer than 32 bytes")
add("created_over_2_53", "created over 2^53.", job_fields(id="vec-0305", created=2**53 + 1, expires=2**53 + 2),
    expected="too_large", detail="created over 2^53")
add("created_negative", "created as a negative integer.",
    job_fields(id="vec-0306", created=Raw(b"\xff")), expected="malformed",
    detail="created: negative integer, expected uint")
add("kind_unknown", "A kind that is not otp, transactional or marketing.", job_fields(id="vec-0307", kind="spam"),
    expected="malformed", detail="kind must be otp, transactional or marketing")
add("ref_too_long", "A ref of 129 bytes.", job_fields(id="vec-0308", ref="r" * 129), expected="too_large",
    detail="ref longer than 128 bytes")
add("ref_control", "A ref with a newline (it is echoed, so it must be safe to echo).",
    job_fields(id="vec-0309", ref="a\nb"), expected="malformed",
    detail="ref must be UTF-8 without control characters")
add("validity_too_long", "expires more than max_validity (24 h) after created.",
    job_fields(id="vec-0310", created=NOW - 1000, expires=NOW - 1000 + 86_400_001), expected="malformed",
    detail="validity longer than the maximum allowed")
add("expires_not_after_created", "expires equal to created.",
    job_fields(id="vec-0311", created=NOW, expires=NOW), expected="malformed",
    detail="expires must be after created")
add("key_as_bin", "A map key written as bin.", raw_job=mp_map([(Raw(mp_bin(b"id")), "vec-0312")]),
    expected="malformed", detail="job keys must be str (bin given)")

# Which reason wins: the first stage in docs/jobs.md §6 order, and within the map the first key.
add("first_kid_then_signature", "A kid over 64 bytes and a wrong signature: §1 first.", base,
    expected="malformed", kid="k" * 65, secret=b"\xff" * 32)
add("first_size_then_key", "A job over 4096 bytes under an unknown key: §1 first.",
    raw_job=b"\x00" * 4097, expected="too_large", kid="nobody.v1")
add("first_signature_then_decode", "Not msgpack and a wrong signature: the signature first.",
    raw_job=b"\xc1oops", expected="bad_signature", secret=b"\xff" * 32)
add("first_timing_then_number", "Expired and a bad number: timing before syntax.",
    job_fields(id="vec-0400", to="123", created=NOW - 7_200_000, expires=NOW - 3_600_000), expected="expired")
add("first_key_in_map_order", "text too large, then a bad kind: the first key in the map answers.",
    [("id", "vec-0401"), ("created", NOW - 1000), ("expires", NOW + 3_600_000), ("to", "+4915112345678"),
     ("from", "ACME"), ("text", "x" * 2001), ("kind", "spam")], expected="too_large",
    detail="text longer than 2000 bytes")

doc = {
    "comment": "Producer contract test vectors; see docs/jobs.md. Generated by gen_vectors.py. "
               "entry holds the stream entry's fields: v, kid, sig as strings (as <field>_hex when "
               "not UTF-8), job as job_hex; a field left out is missing from the entry, and "
               "extra_fields are more [name, value] pairs. expected is admitted or the reason; "
               "detail, when given, is the daemon's exact detail; segments the parts needed.",
    "keys": [{"id": KEY_ID, "secret_hex": SECRET.hex()}, {"id": "acme-otp.v0", "secret_hex": (b"\x11" * 32).hex()}],
    "policy": {"max_future_skew_ms": 300_000, "max_validity_ms": 86_400_000, "max_segments": 10},
    "vectors": vectors,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(vectors)} vectors to {out}")
