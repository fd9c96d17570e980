'use strict';
// Producer library for smsdispatch (docs/jobs.md, docs/api.md): jobs signed and added to the
// Redis stream, the HTTPS API with an HMAC request signature or a bearer token, outcomes.
const crypto = require('node:crypto');
const { encode } = require('@msgpack/msgpack');

const ENVELOPE_VERSION = 'sd1';
const KINDS = ['otp', 'transactional', 'marketing'];

// The job map (§2) in the contract's order: id, created, expires, to, from, text, kind[, ref].
function newJob({ to, from, text, kind, ref, ttlS = 3600, id, nowMs }) {
  if (!KINDS.includes(kind)) throw new TypeError(`kind must be one of ${KINDS.join(', ')}`);
  const now = nowMs ?? Date.now();
  const job = { id: id ?? crypto.randomBytes(16).toString('hex'), created: now,
                expires: now + ttlS * 1000, to, from, text, kind };
  if (ref !== undefined) job.ref = ref;
  return job;
}

// The msgpack bytes that are signed and sent: strings as msgpack str, integers unsigned.
function encodeJob(job) {
  for (const [k, v] of Object.entries(job)) {
    if (v instanceof Uint8Array) throw new TypeError(`job field ${k}: pass a string, not bytes`);
  }
  return Buffer.from(encode(job));
}

function signingInput(kid, stream, jobBytes) {
  return Buffer.concat([Buffer.from(`${ENVELOPE_VERSION}\n${kid}\n${stream}\n`), jobBytes]);
}

// Lowercase hex HMAC-SHA256 over the signing input (§3); `secret` is the key's raw bytes.
function signJob(secret, kid, stream, jobBytes) {
  return crypto.createHmac('sha256', secret).update(signingInput(kid, stream, jobBytes))
    .digest('hex');
}

function apiStringToSign(method, target, timestampMs, body) {
  const digest = crypto.createHash('sha256').update(body).digest('hex');
  return `sd-api1\n${method}\n${target}\n${timestampMs}\n${digest}`;
}

function apiSignature(secret, method, target, timestampMs, body) {
  return crypto.createHmac('sha256', secret)
    .update(apiStringToSign(method, target, timestampMs, body)).digest('hex');
}

class ApiError extends Error {
  constructor(status, reason, detail, retryAfter) {
    super(`${status} ${reason}: ${detail}`);
    Object.assign(this, { status, reason, detail, retryAfter });
  }
}

// The HTTPS API with fetch. A private CA: start node with NODE_EXTRA_CA_CERTS=ca.pem.
class ApiClient {
  constructor(baseUrl, kid, secret, { auth = 'hmac' } = {}) {
    if (!['hmac', 'bearer'].includes(auth)) throw new TypeError('auth is hmac or bearer');
    Object.assign(this, { baseUrl: baseUrl.replace(/\/$/, ''), kid, secret, auth });
  }

  async send({ to, from, text, kind, clientRef, validityS, idempotencyKey }) {
    const msg = { to, from, text, kind };
    if (clientRef !== undefined) msg.client_ref = clientRef;
    if (validityS !== undefined) msg.validity_s = validityS;
    return (await this.request('POST', '/v1/messages', msg, idempotencyKey)).body.id;
  }

  async sendBatch(messages, idempotencyKey) {
    return (await this.request('POST', '/v1/messages/batch', { messages }, idempotencyKey))
      .body.results;
  }

  async status(jobId) {
    return (await this.request('GET', `/v1/messages/${encodeURIComponent(jobId)}`)).body;
  }

  // Signed afresh on every call, so a retry is never refused as a replay.
  async request(method, target, payload, idempotencyKey) {
    const body = payload === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(payload));
    const headers = { 'Content-Type': 'application/json' };
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    if (this.auth === 'bearer') {
      headers.Authorization = `Bearer ${this.kid}:${this.secret.toString('hex')}`;
    } else {
      const ts = Date.now();
      Object.assign(headers, { 'SD-Key-Id': this.kid, 'SD-Timestamp': String(ts),
        'SD-Signature': apiSignature(this.secret, method, target, ts, body) });
    }
    const res = await fetch(this.baseUrl + target,
      { method, headers, body: body.length ? body : undefined });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : {};
    if (res.status < 200 || res.status > 299) {
      const retry = res.headers.get('retry-after');
      throw new ApiError(res.status, parsed.reason ?? '', parsed.detail ?? '',
                         retry ? Number(retry) : undefined);
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

// CRC-32 as zlib computes it (IEEE 802.3). Node has zlib.crc32 only from 20.15 and Debian 12
// ships 18, so it is here; tests/vectors/shards.json (made with Python's zlib) checks it.
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// The shard a job belongs to with `[redis] shards` (docs/jobs.md §1 "Shards"): CRC-32 of its
// id's UTF-8 bytes modulo `shards`.
function jobShard(jobId, shards) {
  return shards > 1 ? crc32(Buffer.from(jobId, 'utf8')) % shards : 0;
}

// `name` with its first "{0}" replaced by "{<shard>}": shard `shard`'s stream.
function shardName(name, shard) {
  return name.replace('{0}', `{${shard}}`);
}

// Signs jobs with one key and adds them to the jobs stream; `client` is a connected
// node-redis v4 client (on a Redis Cluster, a createCluster client: it routes each stream to
// its master). With `shards` > 1 (the deployment's `[redis] shards`) `stream` must carry the
// "{0}" tag, e.g. "sd:{0}:jobs": every job is signed for it and added to its shard's stream.
class RedisProducer {
  constructor(client, kid, secret, stream = 'sd:jobs', shards = 1) {
    if (secret.length < 32) throw new TypeError("secret must be the key's raw bytes (32+)");
    if (shards > 1 && !stream.includes('{0}')) {
      throw new TypeError('with shards, stream must carry the "{0}" tag, e.g. sd:{0}:jobs');
    }
    Object.assign(this, { client, kid, secret, stream, shards });
  }

  // The stream a job with this id goes to.
  streamFor(jobId) {
    return shardName(this.stream, jobShard(jobId, this.shards));
  }

  entry(job) {
    const bytes = encodeJob(job);
    return { v: ENVELOPE_VERSION, kid: this.kid, job: bytes,
             sig: signJob(this.secret, this.kid, this.stream, bytes) };
  }

  async send(fields) {
    const job = newJob(fields);
    const entryId = await this.client.xAdd(this.streamFor(job.id), '*', this.entry(job));
    return { entryId, jobId: job.id };
  }
}

// Entries of an outcome or receipt stream: [{ id, fields }].
async function readStream(client, stream, count = 1000) {
  const entries = await client.xRange(stream, '-', '+', { COUNT: count });
  return entries.map((e) => ({ id: e.id, fields: e.message }));
}

// Status callbacks (docs/api.md): Standard Webhooks. The key is the base64 after "whsec_";
// webhook-signature lists "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" (two while a
// secret is rotated).
class CallbackError extends Error {}

function callbackKeys(secrets) {
  return (Array.isArray(secrets) ? secrets : [secrets]).map((s) => {
    if (!s.startsWith('whsec_')) throw new TypeError('callback secrets start with whsec_');
    return Buffer.from(s.slice(6), 'base64');
  });
}

function callbackSignature(secret, webhookId, timestampS, body) {
  const signed = Buffer.concat([Buffer.from(`${webhookId}.${timestampS}.`), Buffer.from(body)]);
  const mac = crypto.createHmac('sha256', callbackKeys(secret)[0]).update(signed).digest('base64');
  return `v1,${mac}`;
}

// Checks signature and timestamp; returns the event ({type, timestamp, data} and its
// webhook-id as id) or throws CallbackError. `body`: the raw bytes as received.
function verifyCallback(secrets, headers, body, { toleranceS = 300, nowS } = {}) {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const id = h['webhook-id'];
  const ts = h['webhook-timestamp'];
  const sigs = h['webhook-signature'];
  if (!id || !ts || !sigs) throw new CallbackError('missing webhook headers');
  if (!/^[0-9]+$/.test(ts)) throw new CallbackError('malformed webhook-timestamp');
  const now = nowS === undefined ? Date.now() / 1000 : nowS;
  if (Math.abs(now - Number(ts)) > toleranceS) {
    throw new CallbackError('webhook-timestamp outside the tolerance');
  }
  const raw = Buffer.from(body);
  const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`), raw]);
  for (const key of callbackKeys(secrets)) {
    const expected = Buffer.from(crypto.createHmac('sha256', key).update(signed).digest('base64'));
    for (const sig of sigs.split(' ')) {
      const comma = sig.indexOf(',');
      if (comma < 0 || sig.slice(0, comma) !== 'v1') continue;
      const got = Buffer.from(sig.slice(comma + 1));
      if (got.length === expected.length && crypto.timingSafeEqual(got, expected)) {
        return { ...JSON.parse(raw.toString('utf8')), id };
      }
    }
  }
  throw new CallbackError('no signature matches');
}

module.exports = { ENVELOPE_VERSION, newJob, encodeJob, signingInput, signJob, crc32, jobShard,
                   shardName, apiStringToSign,
                   apiSignature, ApiError, ApiClient, RedisProducer, readStream, CallbackError,
                   callbackSignature, verifyCallback };
