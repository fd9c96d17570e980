#!/usr/bin/env python3
"""A producer of the HTTPS API written apart from the daemon (Python's http.client, hashlib,
hmac): it signs requests from docs/api.md alone, so a test passing with it shows the document
and the daemon agree. Prints one JSON object per response: status, headers, body.

  api_client.py --url http://127.0.0.1:8080 --kid acme.v1 --secret HEX --body '{...}'
  --auth hmac|bearer|none     how to authenticate (default hmac)
  --ts-offset-ms N            sign with a timestamp N ms off the local clock
  --corrupt                   flip a bit of the signature (or the bearer secret)
  --send-twice                send the identical signed request twice (a replay)
  --idempotency-key K         send Idempotency-Key: K
  --forwarded-for A           send X-Forwarded-For: A
  --stream N --record FILE    send N messages, message i with Idempotency-Key "<prefix>-i",
                              retrying each (re-signed) until it gets an answer that is not a
                              connection error or 503; appends "i id" per 202 to FILE
"""
import argparse
import hashlib
import hmac
import http.client
import json
import ssl
import sys
import time
import urllib.parse


def sign(secret, method, target, ts, body):
    to_sign = "sd-api1\n%s\n%s\n%d\n%s" % (method, target, ts, hashlib.sha256(body).hexdigest())
    return hmac.new(secret, to_sign.encode(), hashlib.sha256).hexdigest()


def headers_for(args, secret, method, target, body):
    h = {"Content-Type": "application/json"}
    if args.idempotency_key:
        h["Idempotency-Key"] = args.idempotency_key
    if args.forwarded_for:
        h["X-Forwarded-For"] = args.forwarded_for
    if args.auth == "hmac":
        ts = int(time.time() * 1000) + args.ts_offset_ms
        sig = sign(secret, method, target, ts, body)
        if args.corrupt:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        h.update({"SD-Key-Id": args.kid, "SD-Timestamp": str(ts), "SD-Signature": sig})
    elif args.auth == "bearer":
        token = secret.hex()
        if args.corrupt:
            token = ("0" if token[0] != "0" else "1") + token[1:]
        h["Authorization"] = "Bearer %s:%s" % (args.kid, token)
    return h


def connect(args):
    u = urllib.parse.urlsplit(args.url)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=args.cacert)
        return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=15)


def send(conn, method, target, body, headers):
    conn.request(method, target, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data.decode("utf-8", "replace")
    return {"status": r.status, "headers": {k.lower(): v for k, v in r.getheaders()},
            "body": parsed}


def stream(args, secret):
    prefix = args.idempotency_key or "stream"
    deadline = time.time() + 120
    with open(args.record, "a") as record:
        for i in range(args.stream):
            body = json.dumps({"to": "+4915100%06d" % i, "from": "ACME", "text": "hello %d" % i,
                               "kind": "transactional"}).encode()
            while True:
                if time.time() > deadline:
                    sys.exit("stream: no answer for message %d in time" % i)
                args.idempotency_key = "%s-%d" % (prefix, i)
                try:
                    conn = connect(args)
                    res = send(conn, "POST", "/v1/messages", body,
                               headers_for(args, secret, "POST", "/v1/messages", body))
                    conn.close()
                except (OSError, http.client.HTTPException):
                    time.sleep(0.05)
                    continue
                if res["status"] == 503:
                    time.sleep(0.05)
                    continue
                if res["status"] != 202:
                    sys.exit("stream: message %d got %s" % (i, json.dumps(res)))
                record.write("%d %s\n" % (i, res["body"]["id"]))
                record.flush()
                break


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cacert")
    p.add_argument("--kid", default="")
    p.add_argument("--secret", default="00")
    p.add_argument("--auth", default="hmac", choices=["hmac", "bearer", "none"])
    p.add_argument("--path", default="/v1/messages")
    p.add_argument("--method", default="POST")
    p.add_argument("--body", default="")
    p.add_argument("--ts-offset-ms", type=int, default=0)
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--send-twice", action="store_true")
    p.add_argument("--idempotency-key", default="")
    p.add_argument("--forwarded-for", default="")
    p.add_argument("--stream", type=int, default=0)
    p.add_argument("--record", default="")
    args = p.parse_args()
    secret = bytes.fromhex(args.secret)
    if args.stream:
        stream(args, secret)
        return
    body = args.body.encode()
    headers = headers_for(args, secret, args.method, args.path, body)
    conn = connect(args)
    for _ in range(2 if args.send_twice else 1):
        print(json.dumps(send(conn, args.method, args.path, body, headers)))
    conn.close()


if __name__ == "__main__":
    main()
