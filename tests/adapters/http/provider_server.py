#!/usr/bin/env python3
"""An HTTP(S) server in another language than the daemon, standing in for an SMS provider's
REST API in the HTTP client and carrier tests. HTTP/1.1 with keep-alive; each request is
appended to a JSON-lines log (method, path, headers, body, the client's port: one port per
connection) before it is answered, so a test can tell what reached the provider even when the
answer is lost.

Paths:
  /ok                       200 {"sid": "SM<n>"}
  /status/<code>            <code> with {"code": 21211, "message": "..."}; ?retry_after=<v>
                            adds Retry-After: <v>
  /slow/<ms>                waits, then as /ok
  /big/<bytes>              200 with a body of that many bytes
  /drop                     closes the connection without answering
  With --webhook-secret, every accepted form request that names a StatusCallback gets a
  delivery receipt posted there after --receipt-delay-ms: a form (MessageSid, MessageStatus,
  ErrorCode) signed the Twilio way (X-Twilio-Signature: base64 HMAC-SHA1 over the URL and the
  sorted parameters), sent --webhook-copies times (a provider redelivering), each answer
  logged as {"webhook": url, "status": code}.

  /script/<a>,<b>,...       the n-th request with the same Idempotency-Key header (or body,
                            without one) gets the n-th answer, the last one repeating: a
                            status code (200 answers {"sid": ...}, others as /status), "drop",
                            or "slow" (2 s, then 200); ?retry_after=<v> as for /status
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import ssl
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNT = [0]
SEEN = {}  # /script: requests per idempotency key (or body)


ARGS = None


def log_line(server, entry):
    with LOCK:
        with open(server.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def post_receipt(server, url, sid):
    params = {"MessageSid": sid, "MessageStatus": ARGS.receipt_status, "ErrorCode": "0"}
    signed = url + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(ARGS.webhook_secret.encode(), signed.encode(),
                                    hashlib.sha1).digest()).decode()
    body = urllib.parse.urlencode(params).encode()
    ctx = ssl.create_default_context(cafile=ARGS.webhook_ca) if ARGS.webhook_ca else None
    for _ in range(ARGS.webhook_copies):
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
                code = resp.status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception as e:  # connection refused, TLS failure: logged, like a provider would
            code = str(e)
        log_line(server, {"webhook": url, "sid": sid, "status": code})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def _record(self, body):
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "n": n,
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "peer_port": self.client_address[1],
                    "time": time.time(),
                }) + "\n")
        return n

    def _send(self, code, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        n = self._record(body)
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if parts[0] == "script":
            key = self.headers.get("Idempotency-Key") or body.decode("utf-8", "replace")
            with LOCK:
                SEEN[key] = SEEN.get(key, 0) + 1
                seen = SEEN[key]
            steps = parts[1].split(",")
            step = steps[min(seen, len(steps)) - 1]
            if step == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if step == "slow":
                time.sleep(2)
                step = "200"
            parts = ["ok"] if step == "200" else ["status", step]
        if parts[0] == "ok":
            self._send(200, {"sid": "SM%d" % n})
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if ARGS.webhook_secret and "StatusCallback" in form:
                threading.Timer(ARGS.receipt_delay_ms / 1000.0, post_receipt,
                                (self.server, form["StatusCallback"][0], "SM%d" % n)).start()
        elif parts[0] == "status":
            headers = []
            if "retry_after" in query:
                headers.append(("Retry-After", query["retry_after"][0]))
            self._send(int(parts[1]), {"code": 21211, "message": "refused by test"}, headers)
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000.0)
            self._send(200, {"sid": "SM%d" % n})
        elif parts[0] == "big":
            self._send(200, b"x" * int(parts[1]))
        elif parts[0] == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self._send(404, {"code": 404, "message": "no such path"})

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca", help="require a client certificate signed by this CA")
    ap.add_argument("--webhook-secret")
    ap.add_argument("--webhook-ca", help="CA of the listener receipts are posted to")
    ap.add_argument("--receipt-delay-ms", type=int, default=50)
    ap.add_argument("--receipt-status", default="delivered")
    ap.add_argument("--webhook-copies", type=int, default=1)
    a = ap.parse_args()
    global ARGS
    ARGS = a
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.log_path = a.log
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, a.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
