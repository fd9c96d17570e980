'use strict';
// The library against a running daemon (started by the integration test ClientLibraries.Node,
// which passes SD_API_URL, SD_REDIS_PORT, SD_HMAC_KID/SD_HMAC_SECRET and SD_BEARER_KID/
// SD_BEARER_SECRET): both ways in, idempotent retries, batches, refusals, status, outcomes.
// Skipped without them.
const test = require('node:test');
const assert = require('node:assert');
const { createClient } = require('redis');
const sd = require('..');

const env = process.env;
const live = { skip: env.SD_API_URL ? false : 'no daemon (SD_API_URL unset)' };

async function waitFor(pred, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the daemon, both ways in', live, async (t) => {
  const redis = createClient({ socket: { host: '127.0.0.1', port: Number(env.SD_REDIS_PORT) } });
  await redis.connect();
  t.after(() => redis.quit());
  const secret = Buffer.from(env.SD_HMAC_SECRET, 'hex');
  const hmac = new sd.ApiClient(env.SD_API_URL, env.SD_HMAC_KID, secret);
  const bearer = new sd.ApiClient(env.SD_API_URL, env.SD_BEARER_KID,
                                  Buffer.from(env.SD_BEARER_SECRET, 'hex'), { auth: 'bearer' });
  const outcomeOf = (jobId) => waitFor(async () => {
    const all = await sd.readStream(redis, 'sd:outcomes');
    return all.map((e) => e.fields).find((f) => f.job === jobId);
  });

  await t.test('API: hmac, idempotent retry, bearer, status', async () => {
    const msg = { to: '+4915100300001', from: 'ACME', text: 'hi', kind: 'transactional',
                  clientRef: 'js-1', idempotencyKey: 'js-idem-1' };
    const a = await hmac.send(msg);
    assert.strictEqual(await hmac.send(msg), a);
    const b = await bearer.send({ to: '+4915100300002', from: 'ACME', text: 'hi',
                                  kind: 'transactional' });
    assert.strictEqual((await outcomeOf(a)).status, 'submitted');
    assert.strictEqual((await outcomeOf(a)).ref, 'js-1');
    assert.strictEqual((await outcomeOf(b)).status, 'submitted');
    const status = await waitFor(async () => {
      const s = await hmac.status(a);
      return s.receipt ? s : null;
    });
    assert.strictEqual(status.receipt.status, 'delivered');
  });

  await t.test('API: refusals, batch', async () => {
    await assert.rejects(hmac.send({ to: '+49', from: 'ACME', text: 'hi', kind: 'otp' }),
                         (e) => e.status === 400 && e.reason === 'invalid_number');
    const wrong = new sd.ApiClient(env.SD_API_URL, env.SD_HMAC_KID, Buffer.alloc(32, 1));
    await assert.rejects(wrong.send({ to: '+4915100300003', from: 'ACME', text: 'hi',
                                      kind: 'otp' }),
                         (e) => e.status === 401 && e.reason === 'bad_signature');
    const results = await hmac.sendBatch([
      { to: '+4915100300004', from: 'ACME', text: 'a', kind: 'transactional' },
      { to: 'nope', from: 'ACME', text: 'b', kind: 'transactional' }]);
    assert.deepStrictEqual(results.map((r) => r.status), [202, 400]);
    assert.strictEqual((await outcomeOf(results[0].id)).status, 'submitted');
  });

  await t.test('Redis producer', async () => {
    const producer = new sd.RedisProducer(redis, env.SD_HMAC_KID, secret);
    const { entryId, jobId } = await producer.send({ to: '+4915100300005', from: 'ACME',
                                                     text: 'hi', kind: 'otp', ref: 'js-r' });
    const outcome = await outcomeOf(jobId);
    assert.strictEqual(outcome.entry, entryId);
    assert.strictEqual(outcome.status, 'submitted');
  });
});
