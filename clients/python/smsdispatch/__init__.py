"""Producer library for smsdispatch (docs/jobs.md, docs/api.md).

Two ways in, the same jobs:
  - Redis: build the msgpack job, sign it and XADD it (``RedisProducer``; to its shard's
    stream with ``[redis] shards``: ``job_shard``, ``shard_name``), read outcomes and receipts
    (``read_stream``);
  - HTTPS: ``ApiClient`` posts messages with an HMAC request signature or a bearer token,
    with idempotent retries, and reads a job's status;
  - status callbacks: ``verify_callback`` checks a callback's Standard Webhooks signature.
"""
from .api import ApiClient, ApiError, api_signature, api_string_to_sign
from .callbacks import CallbackError, callback_signature, verify_callback
from .jobs import (ENVELOPE_VERSION, RedisProducer, encode_job, job_shard, new_job, read_stream,
                   shard_name, sign_job, signing_input)

__all__ = [
    "ApiClient", "ApiError", "api_signature", "api_string_to_sign", "ENVELOPE_VERSION",
    "RedisProducer", "encode_job", "job_shard", "new_job", "read_stream", "shard_name",
    "sign_job", "signing_input",
    "CallbackError", "callback_signature", "verify_callback",
]
