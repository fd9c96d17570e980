#!/usr/bin/env python3
"""Test vectors for the HTTPS API's request signature (docs/api.md, "Authentication"), made
with Python's hashlib and hmac from the document alone. Writes tests/vectors/api.json; the C++
tests, the producer libraries and anyone writing a client check themselves against it.

    python3 tests/vectors/gen_api_vectors.py > tests/vectors/api.json
"""
import base64
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


# Status callbacks (docs/api.md, "Status callbacks"): Standard Webhooks, from its specification.
CALLBACK_KEY = bytes(range(32, 64))
CALLBACK_OLD_KEY = bytes(range(64, 88))
CALLBACK_BODY = ('{"type":"message.receipt","timestamp":"2026-01-01T00:00:00.000Z","data":'
                 '{"entry":"1767225600000-0","job":"j-1","ref":"","kid":"acme-otp.v1",'
                 '"carrier":"sim","message_id":"4711","status":"delivered",'
                 '"carrier_status":"DELIVRD","err":"000","ts":1767225605000}}')


def whsec(key):
    return "whsec_" + base64.b64encode(key).decode()


def standard_signature(key, msg_id, ts, body):
    signed = ("%s.%d.%s" % (msg_id, ts, body)).encode("utf-8")
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def callbacks():
    msg_id, ts = "msg_r_1767225605001-0", 1767225606
    one = standard_signature(CALLBACK_KEY, msg_id, ts, CALLBACK_BODY)
    old = standard_signature(CALLBACK_OLD_KEY, msg_id, ts, CALLBACK_BODY)
    return {
        "comment": "webhook-signature = 'v1,' + base64(HMAC-SHA256(key, id '.' timestamp '.' "
                   "body)), key = base64-decoded secret after whsec_; during a rotation the "
                   "daemon sends both signatures, space-separated, the new one first.",
        "secret": whsec(CALLBACK_KEY),
        "old_secret": whsec(CALLBACK_OLD_KEY),
        "cases": [
            {"name": "one secret", "webhook_id": msg_id, "timestamp": ts, "body": CALLBACK_BODY,
             "signature": one, "verifies_with": ["secret"]},
            {"name": "rotation: both sign", "webhook_id": msg_id, "timestamp": ts,
             "body": CALLBACK_BODY, "signature": one + " " + old,
             "verifies_with": ["secret", "old_secret"]},
            {"name": "body changed", "webhook_id": msg_id, "timestamp": ts,
             "body": CALLBACK_BODY.replace("delivered", "undelivered"), "signature": one,
             "verifies_with": []},
            {"name": "other id", "webhook_id": "msg_r_1767225605001-1", "timestamp": ts,
             "body": CALLBACK_BODY, "signature": one, "verifies_with": []},
        ],
    }


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
    out["callbacks"] = callbacks()
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
