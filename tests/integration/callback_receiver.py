#!/usr/bin/python3
"""A producer's status-callback endpoint for the end-to-end tests (docs/api.md, "Status
callbacks"): an HTTPS server that verifies each request as Standard Webhooks says, written
here from the specification with the standard library only (hmac, hashlib, base64), so it
checks the daemon independently of its C++ code and of the client libraries.

Each request is appended to --out as one JSON line: the headers, the raw body, whether the
signature verified with any secret in --secrets-file (re-read per request, one whsec_ per
line, so a test can rotate it), and the status answered. A verified request is answered 204,
or 503 while --fail-first requests have not yet been failed, or 500 with --fail-all (the
file --fail-all-file exists); an unverified one 401.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import threading
import time

TOLERANCE_S = 300


def secrets(path):
    with open(path, encoding="ascii") as f:
        lines = [line.strip() for line in f if line.strip()]
    return [base64.b64decode(s[len("whsec_"):]) for s in lines if s.startswith("whsec_")]


def verify(keys, headers, body):
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    sigs = headers.get("webhook-signature", "")
    if not msg_id or not ts.isdigit() or not sigs:
        return False
    if abs(time.time() - int(ts)) > TOLERANCE_S:
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    for key in keys:
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for sig in sigs.split(" "):
            version, _, value = sig.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return True
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    failed = 0

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok = verify(secrets(self.server.args.secrets_file), headers, body)
        with Handler.lock:
            if not ok:
                status = 401
            elif os.path.exists(self.server.args.fail_all_file or "/nonexistent"):
                status = 500
            elif Handler.failed < self.server.args.fail_first:
                Handler.failed += 1
                status = 503
            else:
                status = 204
            with open(self.server.args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps({"headers": headers, "body": body.decode("utf-8", "replace"),
                                    "verified": ok, "status": status}) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--secrets-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-all-file", default="")
    args = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.args = args
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(args.port_file + ".tmp", "w", encoding="ascii") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
