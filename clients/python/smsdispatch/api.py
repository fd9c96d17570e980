"""The HTTPS API (docs/api.md): HMAC-signed or bearer requests, idempotent retries, status."""
import hashlib
import hmac
import http.client
import json
import ssl
import time
import urllib.parse


def api_string_to_sign(method, target, timestamp_ms, body):
    return "sd-api1\n%s\n%s\n%d\n%s" % (method, target, timestamp_ms,
                                          hashlib.sha256(body).hexdigest())


def api_signature(secret, method, target, timestamp_ms, body):
    """Lowercase hex HMAC-SHA256(secret, string to sign): the SD-Signature header."""
    return hmac.new(secret, api_string_to_sign(method, target, timestamp_ms, body).encode(),
                    hashlib.sha256).hexdigest()


class ApiError(Exception):
    """A refusal: the HTTP status, the reason code (docs/jobs.md, docs/api.md) and detail."""

    def __init__(self, status, reason, detail="", retry_after=None):
        super().__init__("%d %s: %s" % (status, reason, detail))
        self.status, self.reason, self.detail, self.retry_after = status, reason, detail, retry_after


class ApiClient:
    """``auth`` is "hmac" (default) or "bearer" (for keys made with --auth bearer|both).
    ``cafile`` names the CA to trust for a private certificate; http:// is for loopback."""

    def __init__(self, base_url, kid, secret, auth="hmac", cafile=None, timeout=15):
        if auth not in ("hmac", "bearer"):
            raise ValueError("auth is hmac or bearer")
        self.url = urllib.parse.urlsplit(base_url)
        self.kid, self.secret, self.auth, self.timeout = kid, secret, auth, timeout
        self.context = ssl.create_default_context(cafile=cafile) if self.url.scheme == "https" \
            else None

    def send(self, to, sender, text, kind, client_ref=None, validity_s=None,
             idempotency_key=None):
        """POST /v1/messages; returns the job id (202). Raises ApiError."""
        msg = {"to": to, "from": sender, "text": text, "kind": kind}
        if client_ref is not None:
            msg["client_ref"] = client_ref
        if validity_s is not None:
            msg["validity_s"] = validity_s
        status, _, body = self.request("POST", "/v1/messages", msg, idempotency_key)
        return body["id"]

    def send_batch(self, messages, idempotency_key=None):
        """POST /v1/messages/batch with message dicts; returns the per-message results."""
        _, _, body = self.request("POST", "/v1/messages/batch", {"messages": messages},
                                  idempotency_key)
        return body["results"]

    def status(self, job_id):
        """GET /v1/messages/<id>: the job's outcome and latest receipt, as far as known."""
        return self.request("GET", "/v1/messages/" + job_id)[2]

    def request(self, method, target, payload=None, idempotency_key=None):
        """One request; (status, headers, parsed body) for a 2xx, else ApiError. Sign afresh
        on every call, so a retry is never refused as a replay."""
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if self.auth == "bearer":
            headers["Authorization"] = "Bearer %s:%s" % (self.kid, self.secret.hex())
        else:
            ts = int(time.time() * 1000)
            headers.update({"SD-Key-Id": self.kid, "SD-Timestamp": str(ts),
                            "SD-Signature": api_signature(self.secret, method, target, ts, body)})
        conn = self._connect()
        try:
            conn.request(method, target, body=body or None, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            parsed = json.loads(raw) if raw else {}
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        if r.status // 100 != 2:
            retry = hdrs.get("retry-after")
            raise ApiError(r.status, parsed.get("reason", ""), parsed.get("detail", ""),
                           int(retry) if retry and retry.isdigit() else None)
        return r.status, hdrs, parsed

    def _connect(self):
        host, port = self.url.hostname, self.url.port
        if self.context is not None:
            return http.client.HTTPSConnection(host, port, context=self.context,
                                               timeout=self.timeout)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)
