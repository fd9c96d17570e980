"""Status callbacks (docs/api.md, "Status callbacks"): verify that a POST really comes from
smsdispatch before trusting it. The daemon signs as Standard Webhooks says: headers webhook-id,
webhook-timestamp (Unix seconds) and webhook-signature, a space-separated list of
"v1,<base64 HMAC-SHA256(key, id + '.' + timestamp + '.' + body)>" (two while a secret is being
rotated), with the key from the callback secret "whsec_<base64>".

    event = verify_callback(["whsec_..."], request_headers, raw_body)
    if seen(event["id"]): return 204          # at least once: de-duplicate by webhook-id
    handle(event["type"], event["data"])
"""
import base64
import hashlib
import hmac
import json
import time

DEFAULT_TOLERANCE_S = 300


class CallbackError(Exception):
    """The request is not a valid callback; answer it 401 and do not act on it."""


def _keys(secrets):
    if isinstance(secrets, str):
        secrets = [secrets]
    keys = []
    for s in secrets:
        if not s.startswith("whsec_"):
            raise ValueError("callback secrets start with whsec_")
        keys.append(base64.b64decode(s[len("whsec_"):], validate=True))
    return keys


def callback_signature(secret, webhook_id, timestamp_s, body):
    """The v1 signature of one secret, as the daemon computes it (for tests and tools)."""
    key = _keys(secret)[0]
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = b"%s.%d.%s" % (webhook_id.encode(), int(timestamp_s), body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify_callback(secrets, headers, body, tolerance_s=DEFAULT_TOLERANCE_S, now_s=None):
    """Checks the signature and timestamp; returns the event (type, timestamp, data) with its
    webhook-id as "id". `headers`: a mapping (any case); `body`: the raw bytes as received.
    Raises CallbackError when it does not verify."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise CallbackError("missing webhook headers")
    if not ts.isdigit():
        raise CallbackError("malformed webhook-timestamp")
    now_s = time.time() if now_s is None else now_s
    if abs(now_s - int(ts)) > tolerance_s:
        raise CallbackError("webhook-timestamp outside the tolerance")
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    for key in _keys(secrets):
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for sig in sigs.split(" "):
            version, _, value = sig.partition(",")
            if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
                event = json.loads(body)
                event["id"] = msg_id
                return event
    raise CallbackError("no signature matches")
