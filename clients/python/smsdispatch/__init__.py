"""Producer library for smsdispatch (docs/jobs.md, docs/api.md).

Two ways in, the same jobs:
  - Redis: build the msgpack job, sign it and XADD it (``RedisProducer``), read outcomes and
    receipts (``read_stream``);
  - HTTPS: ``ApiClient`` posts messages with an HMAC request signature or a bearer token,
    with idempotent retries, and reads a job's status;
  - status callbacks: ``verify_callback`` checks a callback's Standard Webhooks signature.
"""
from .api import ApiClient, ApiError, api_signature, api_string_to_sign
from .callbacks import CallbackError, callback_signature, verify_callback
from .jobs import (ENVELOPE_VERSION, RedisProducer, encode_job, new_job, read_stream,
                   sign_job, signing_input)

__all__ = [
    "ApiClient", "ApiError", "api_signature", "api_string_to_sign", "ENVELOPE_VERSION",
    "RedisProducer", "encode_job", "new_job", "read_stream", "sign_job", "signing_input",
    "CallbackError", "callback_signature", "verify_callback",
]
