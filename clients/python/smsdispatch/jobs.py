"""Jobs on Redis: the job map, its signature and the stream entry (docs/jobs.md §1-§4)."""
import hashlib
import hmac
import os
import time
import zlib

import msgpack

ENVELOPE_VERSION = "sd1"
KINDS = ("otp", "transactional", "marketing")


def new_job(to, sender, text, kind, ref=None, ttl_s=3600, job_id=None, now_ms=None):
    """The job map (§2) as a dict in the contract's order: id, created, expires, to, from,
    text, kind[, ref]. ``job_id`` defaults to 32 random hex digits."""
    if kind not in KINDS:
        raise ValueError("kind must be one of %s" % ", ".join(KINDS))
    now = int(time.time() * 1000) if now_ms is None else now_ms
    job = {"id": job_id or os.urandom(16).hex(), "created": now, "expires": now + ttl_s * 1000,
           "to": to, "from": sender, "text": text, "kind": kind}
    if ref is not None:
        job["ref"] = ref
    return job


def encode_job(job):
    """The msgpack bytes of a job map: str values as msgpack str (never bin), integers as the
    smallest unsigned type. These exact bytes are what is signed and sent."""
    for key, value in job.items():
        if isinstance(value, bytes):
            raise TypeError("job field %r: pass str, not bytes (bin is malformed)" % key)
    return msgpack.packb(job, use_bin_type=True)


def signing_input(kid, stream, job_bytes, version=ENVELOPE_VERSION):
    return ("%s\n%s\n%s\n" % (version, kid, stream)).encode() + job_bytes


def sign_job(secret, kid, stream, job_bytes):
    """Lowercase hex HMAC-SHA256 over the signing input (§3). ``secret`` is the raw key."""
    return hmac.new(secret, signing_input(kid, stream, job_bytes), hashlib.sha256).hexdigest()


def job_shard(job_id, shards):
    """The shard a job belongs to with ``[redis] shards`` (docs/jobs.md §1 "Shards"):
    CRC-32 of its id's UTF-8 bytes modulo ``shards``."""
    return zlib.crc32(job_id.encode("utf-8")) % shards if shards > 1 else 0


def shard_name(name, shard):
    """``name`` with its first "{0}" replaced by "{<shard>}": shard ``shard``'s stream."""
    return name.replace("{0}", "{%d}" % shard, 1)


class RedisProducer:
    """Signs jobs with one key and adds them to the jobs stream.

    ``redis`` is a redis-py client (binary-safe: the job field is raw bytes). With ``shards``
    > 1 (the deployment's ``[redis] shards``) ``stream`` must carry the "{0}" tag, e.g.
    "sd:{0}:jobs": every job is signed for it and added to its own shard's stream. On a Redis
    Cluster pass a redis-py ``RedisCluster`` client: it routes each stream to its master."""

    def __init__(self, redis, kid, secret, stream="sd:jobs", shards=1):
        if len(secret) < 32:
            raise ValueError("secret must be the key's raw bytes (32 or more)")
        if shards > 1 and "{0}" not in stream:
            raise ValueError('with shards, stream must carry the "{0}" tag, e.g. sd:{0}:jobs')
        self.redis, self.kid, self.secret, self.stream = redis, kid, secret, stream
        self.shards = shards

    def stream_for(self, job_id):
        """The stream a job with this id goes to."""
        return shard_name(self.stream, job_shard(job_id, self.shards))

    def entry(self, job):
        body = encode_job(job)
        return {"v": ENVELOPE_VERSION, "kid": self.kid, "job": body,
                "sig": sign_job(self.secret, self.kid, self.stream, body)}

    def send(self, to, sender, text, kind, **kw):
        """Enqueues one job; returns (entry id, job id)."""
        job = new_job(to, sender, text, kind, **kw)
        entry_id = self.redis.xadd(self.stream_for(job["id"]), self.entry(job))
        return _text(entry_id), job["id"]


def read_stream(redis, stream, after="0-0", count=1000):
    """Entries of an outcome or receipt stream after ``after``: a list of (id, {field: str})."""
    out = []
    for entry_id, fields in redis.xrange(stream, min="(" + after if after != "0-0" else "-",
                                         count=count):
        out.append((_text(entry_id), {_text(k): _text(v) for k, v in fields.items()}))
    return out


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v
