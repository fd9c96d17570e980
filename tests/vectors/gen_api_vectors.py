#!/usr/bin/env python3
"""Test vectors for the HTTPS API's request signature (docs/api.md, "Authentication"), made
with Python's hashlib and hmac from the document alone. Writes tests/vectors/api.json; the C++
tests, the producer libraries and anyone writing a client check themselves against it.

    python3 tests/vectors/gen_api_vectors.py > tests/vectors/api.json
"""
import hashlib
import hmac
import json

SECRET = bytes(range(32))  # 000102...1f, the secret of docs/jobs.md's worked example

CASES = [
    ("single message", "POST", "/v1/messages", 1767225600000,
     '{"to":"+4915112345678","from":"ACME","text":"Your code is 123456","kind":"otp"}'),
    ("batch", "POST", "/v1/messages/batch", 1767225600123,
     '{"messages":[{"to":"+4915112345678","from":"ACME","text":"a","kind":"transactional"},'
     '{"to":"+447700900123","from":"ACME","text":"b","kind":"transactional"}]}'),
    ("query string is signed as sent", "POST", "/v1/messages?trace=1", 1767225600999,
     '{"to":"+4915112345678","from":"ACME","text":"x","kind":"transactional"}'),
    ("empty body", "GET", "/v1/messages/api-0123", 1767225601000, ""),
    ("UTF-8 text", "POST", "/v1/messages", 1767225602000,
     '{"to":"+4915112345678","from":"ACME","text":"Grüße, 你好 🙂","kind":"transactional"}'),
]


def main():
    out = {
        "comment": "string_to_sign = 'sd-api1' LF method LF target LF timestamp_ms LF "
                   "hex(sha256(body)); signature = hex(HMAC-SHA256(secret, string_to_sign)). "
                   "body is the exact bytes (UTF-8) of the request body.",
        "secret_hex": SECRET.hex(),
        "key_id": "acme-otp.v1",
        "cases": [],
    }
    for name, method, target, ts, body in CASES:
        b = body.encode("utf-8")
        to_sign = "sd-api1\n%s\n%s\n%d\n%s" % (method, target, ts, hashlib.sha256(b).hexdigest())
        out["cases"].append({
            "name": name, "method": method, "target": target, "timestamp_ms": ts, "body": body,
            "body_sha256": hashlib.sha256(b).hexdigest(), "string_to_sign": to_sign,
            "signature": hmac.new(SECRET, to_sign.encode(), hashlib.sha256).hexdigest(),
        })
    out["bearer"] = {"header": "Authorization: Bearer acme-otp.v1:" + SECRET.hex()}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
