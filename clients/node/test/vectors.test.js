'use strict';
// The library against the repository's vectors: job encoding and signature (jobs.json, made
// by tests/vectors/gen_vectors.py), and the API request signature (api.json).
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
