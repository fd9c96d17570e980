'use strict';
// The same check as verify_callbacks.py with the Node library (clients/node, verifyCallback):
// node verify_callbacks.js RECORDED_JSONL SECRET...
const fs = require('node:fs');
const path = require('node:path');
const sd = require(path.join(__dirname, '..', '..', 'clients', 'node'));

const [file, ...secrets] = process.argv.slice(2);
const requests = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
  .map((l) => JSON.parse(l));
for (const r of requests) {
  if (r.status !== 204) continue;
  let event;
  for (const secret of secrets) {
    try {
      event = sd.verifyCallback([secret], r.headers, Buffer.from(r.body, 'utf8'),
                                { toleranceS: 3600 });
    } catch (e) {
      console.log('NOT VERIFIED', r.headers['webhook-id'], e.message);
      process.exit(1);
    }
  }
  console.log(event.id, event.type);
}
