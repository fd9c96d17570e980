'use strict';
// The library against the repository's vectors: job encoding and signature (jobs.json, made
// by tests/vectors/gen_vectors.py), the API request signature (api.json) and the shard rule
// (shards.json).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const fs = require('node:fs');
const sd = require('..');

const vectors = (name) => JSON.parse(fs.readFileSync(
  path.join(__dirname, '..', '..', '..', 'tests', 'vectors', name), 'utf8'));

test('admitted jobs encode and sign to the vector bytes', () => {
  const v = vectors('jobs.json');
  const secrets = Object.fromEntries(v.keys.map((k) => [k.id, Buffer.from(k.secret_hex, 'hex')]));
  let checked = 0;
  for (const c of v.vectors) {
    if (c.expected !== 'admitted' || !c.job_fields) continue;
    const bytes = sd.encodeJob(c.job_fields);
    assert.strictEqual(bytes.toString('hex'), c.entry.job_hex, c.name);
    assert.strictEqual(sd.signJob(secrets[c.entry.kid], c.entry.kid, c.stream, bytes),
                       c.entry.sig.toLowerCase(), c.name);
    checked += 1;
  }
  assert.ok(checked >= 10);
});

test('every job goes to the shard and stream of the vectors', () => {
  const v = vectors('shards.json');
  for (const c of v.cases) {
    assert.strictEqual(sd.crc32(Buffer.from(c.id, 'utf8')), c.crc32, c.id);
    assert.strictEqual(sd.jobShard(c.id, c.shards), c.shard, `${c.id} of ${c.shards}`);
    assert.strictEqual(sd.shardName(v.signed_for, c.shard), c.stream);
  }
});

test('a sharded producer signs for shard 0\'s stream and adds to the job\'s shard', async () => {
  const calls = [];
  const client = { xAdd: async (stream, id, fields) => { calls.push({ stream, fields }); return '1-0'; } };
  const secret = Buffer.alloc(32);
  const p = new sd.RedisProducer(client, 'acme.v1', secret, 'sd:{0}:jobs', 7);
  const { jobId } = await p.send({ to: '+4915112345678', from: 'ACME', text: 'hi', kind: 'otp',
                                  id: 'job-3' });
  assert.strictEqual(calls[0].stream, 'sd:{4}:jobs');  // crc32("job-3") % 7 (shards.json)
  assert.strictEqual(calls[0].stream, sd.shardName('sd:{0}:jobs', sd.jobShard(jobId, 7)));
  assert.strictEqual(calls[0].fields.sig,
                     sd.signJob(secret, 'acme.v1', 'sd:{0}:jobs', calls[0].fields.job));
  assert.throws(() => new sd.RedisProducer(client, 'acme.v1', secret, 'sd:jobs', 2), TypeError);
});

test('bytes values are refused', () => {
  assert.throws(() => sd.encodeJob({ id: 'x', text: Buffer.from('bin') }), TypeError);
});

test('API request signatures', () => {
  const v = vectors('api.json');
  const secret = Buffer.from(v.secret_hex, 'hex');
  for (const c of v.cases) {
    const body = Buffer.from(c.body, 'utf8');
    assert.strictEqual(sd.apiStringToSign(c.method, c.target, c.timestamp_ms, body),
                       c.string_to_sign, c.name);
    assert.strictEqual(sd.apiSignature(secret, c.method, c.target, c.timestamp_ms, body),
                       c.signature, c.name);
  }
});

test('status callbacks: signatures and verification', () => {
  const v = vectors('api.json').callbacks;
  for (const c of v.cases) {
    const headers = { 'Webhook-Id': c.webhook_id, 'Webhook-Timestamp': String(c.timestamp),
                      'Webhook-Signature': c.signature };
    for (const name of ['secret', 'old_secret']) {
      const verify = () => sd.verifyCallback([v[name]], headers, Buffer.from(c.body),
                                             { nowS: c.timestamp });
      if (c.verifies_with.includes(name)) {
        const event = verify();
        assert.strictEqual(event.id, c.webhook_id);
        assert.strictEqual(event.type, 'message.receipt');
      } else {
        assert.throws(verify, sd.CallbackError, c.name);
      }
    }
  }
  const one = v.cases[0];
  assert.strictEqual(sd.callbackSignature(v.secret, one.webhook_id, one.timestamp, one.body),
                     one.signature);
  const h = { 'webhook-id': one.webhook_id, 'webhook-timestamp': String(one.timestamp),
              'webhook-signature': one.signature };
  assert.throws(() => sd.verifyCallback(v.secret, h, one.body, { nowS: one.timestamp + 301 }),
                sd.CallbackError);
  assert.throws(() => sd.verifyCallback(v.secret, {}, one.body), sd.CallbackError);
});
