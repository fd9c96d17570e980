#!/usr/bin/env node
// An SMSC built on the `smpp` npm package (pinned in package.json), for tests/interop: a peer
// this project did not write. It listens on 127.0.0.1, port 0, accepts binds with the given
// credentials, answers submit_sm with a message id, sends a delivery receipt for each submit
// that asks for one, answers enquire_link and sends its own, reassembles multipart messages
// (UDH IEI 0x00/0x08, SAR TLVs, message_payload), and drops every connection on SIGUSR2.
// With --mo-file it also sends the messages recipients write (MO, see loadMos) once, on the
// first receiver-capable bind. It reports what it saw as JSON lines on stdout, so tests
// assert on the peer's view.
'use strict';

const fs = require('fs');
const smpp = require('smpp');

const args = {systemId: 'interop', password: 'secret', enquireLinkMs: 0, receiptDelayMs: 20,
              moFile: ''};
for (let i = 2; i < process.argv.length; i += 2) {
  const [k, v] = [process.argv[i], process.argv[i + 1]];
  if (k === '--system-id') args.systemId = v;
  else if (k === '--password') args.password = v;
  else if (k === '--enquire-link-ms') args.enquireLinkMs = Number(v);
  else if (k === '--receipt-delay-ms') args.receiptDelayMs = Number(v);
  else if (k === '--mo-file') args.moFile = v;
  else {
    process.stderr.write(`npm_smsc: unknown option ${k}\n`);
    process.exit(2);
  }
}

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// --mo-file: one MO per JSON line, {"from", "to", "text", "coding": "gsm7" (default) | "ucs2" |
// "latin1", "parts": N (default 1)}. The text is encoded here (gsm7: GSM 03.38 unpacked
// septets, data_coding 0; ucs2: UTF-16BE, data_coding 8; latin1: data_coding 3) and the bytes
// split into N parts (UCS-2 on 2-byte boundaries, so a surrogate pair may straddle two parts),
// each with a UDH concatenation element (IEI 0x00, 8-bit reference) and esm_class 0x40.
// gsm7 texts are limited to the characters GSM 03.38 and ASCII code alike, so the bytes are
// the ASCII ones.
const GSM_AS_ASCII = /^[ !"#%&'()*+,\-./0-9:;<=>?A-Za-z]*$/;
const CODINGS = {
  gsm7: {dataCoding: 0x00, unit: 1, encode: (t) => Buffer.from(t, 'ascii'),
         valid: (t) => GSM_AS_ASCII.test(t)},
  latin1: {dataCoding: 0x03, unit: 1, encode: (t) => Buffer.from(t, 'latin1'),
           valid: (t) => /^[\u0000-\u00ff]*$/.test(t)},
  ucs2: {dataCoding: 0x08, unit: 2, encode: (t) => Buffer.from(t, 'utf16le').swap16(),
         valid: () => true},
};

function loadMos(path) {
  const mos = [];
  for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line);
    const coding = CODINGS[m.coding || 'gsm7'];
    const total = m.parts || 1;
    if (!coding || !coding.valid(m.text) || !(total >= 1 && total <= 255)) {
      throw new Error(`bad MO line: ${line}`);
    }
    const bytes = coding.encode(m.text);
    const units = Math.ceil(bytes.length / coding.unit);
    const size = Math.ceil(units / total) * coding.unit;
    const parts = [];
    for (let i = 0; i < total; i++) parts.push(bytes.subarray(i * size, (i + 1) * size));
    mos.push({from: m.from, to: m.to, dataCoding: coding.dataCoding, parts});
  }
  return mos;
}

let mos = [];
try {
  if (args.moFile) mos = loadMos(args.moFile);
} catch (e) {
  process.stderr.write(`npm_smsc: --mo-file ${args.moFile}: ${e.message}\n`);
  process.exit(2);
}
let mosSent = false;

// Every MO of --mo-file, each part a deliver_sm; each deliver_sm_resp is reported as mo_acked
// (seq: the deliver_sm's sequence_number; part/parts: which part of MO number `index`).
function sendMos(session) {
  mos.forEach((mo, index) => {
    const ref = (index + 1) & 0xff;
    mo.parts.forEach((body, k) => {
      const multi = mo.parts.length > 1;
      const about = {conn: session.conn, index, from: mo.from, to: mo.to, part: k + 1,
                     parts: mo.parts.length};
      // {udh, message: Buffer}: the package prepends the UDH as given and sets esm_class 0x40.
      session.deliver_sm({
        source_addr_ton: 1, source_addr_npi: 1, source_addr: mo.from,
        dest_addr_ton: 0, dest_addr_npi: 1, destination_addr: mo.to,
        esm_class: 0, data_coding: mo.dataCoding,
        short_message: multi ? {udh: Buffer.from([5, 0x00, 3, ref, mo.parts.length, k + 1]),
                                message: body}
                             : body,
      }, (resp) => {
        report({event: 'mo_acked', ...about, seq: resp.sequence_number,
                status: resp.command_status});
      }, (pdu) => {  // written: the PDU as encoded (esm_class with the UDH indicator)
        report({event: 'mo_sent', ...about, seq: pdu.sequence_number, esm_class: pdu.esm_class,
                data_coding: pdu.data_coding});
      });
    });
  });
}

let nextConn = 1;
let nextId = 0x5000;
const sessions = new Set();
const pending = new Map();  // message key -> {total, parts: [], ids: []}
const waitingReceipts = [];  // receipts whose session closed before they were sent

// Which part of which message a submit_sm is, and its text (already decoded by the package).
function partOf(pdu) {
  const sm = pdu.short_message || {};
  const text = (m) => (m && typeof m === 'object' && 'message' in m ? m.message : m) || '';
  if (pdu.message_payload !== undefined) {
    return {method: 'payload', total: 1, seq: 1, ref: 0, text: text(pdu.message_payload)};
  }
  for (const udh of sm.udh || []) {
    if (udh[0] === 0x00 && udh[1] === 3) {
      return {method: 'udh8', ref: udh[2], total: udh[3], seq: udh[4], text: text(sm)};
    }
    if (udh[0] === 0x08 && udh[1] === 4) {
      return {method: 'udh16', ref: (udh[2] << 8) | udh[3], total: udh[4], seq: udh[5],
              text: text(sm)};
    }
  }
  if (pdu.sar_msg_ref_num !== undefined) {
    return {method: 'sar', ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments,
            seq: pdu.sar_segment_seqnum, text: text(sm)};
  }
  return {method: 'single', ref: 0, total: 1, seq: 1, text: text(sm)};
}

function yymmddhhmm() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
         p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function sendReceipt(session, r) {
  if (!session || !session.bound || session.closed) {
    waitingReceipts.push(r);
    return;
  }
  const d = yymmddhhmm();
  session.deliver_sm({
    source_addr_ton: r.destTon, source_addr_npi: r.destNpi, source_addr: r.dest,
    dest_addr_ton: r.sourceTon, dest_addr_npi: r.sourceNpi, destination_addr: r.source,
    esm_class: 0x04, data_coding: 0,
    short_message: Buffer.from(`id:${r.id} sub:001 dlvrd:001 submit date:${d} done date:${d} ` +
                               'stat:DELIVRD err:000 text:', 'ascii'),
    receipted_message_id: r.id,
    message_state: 2,
  }, (resp) => {
    report({event: 'receipt_acked', conn: session.conn, message_id: r.id,
            status: resp.command_status});
  });
  report({event: 'receipt_sent', conn: session.conn, message_id: r.id});
}

const server = smpp.createServer((session) => {
  session.conn = nextConn++;
  session.bound = false;
  session.closed = false;
  sessions.add(session);
  session.on('error', (e) => report({event: 'error', conn: session.conn, error: String(e)}));
  session.socket.on('close', () => {
    session.closed = true;
    sessions.delete(session);
    if (session.timer) clearInterval(session.timer);
    report({event: 'closed', conn: session.conn});
  });

  for (const command of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
    session.on(command, (pdu) => {
      let status = 0;
      if (session.bound) status = smpp.ESME_RALYBND;
      else if (pdu.system_id !== args.systemId) status = smpp.ESME_RINVSYSID;
      else if (pdu.password !== args.password) status = smpp.ESME_RINVPASWD;
      // Reports go out before the response, so a test that saw the response finds the report.
      report({event: 'bind', conn: session.conn, command, system_id: pdu.system_id, status});
      if (status === 0) session.bound = true;
      session.send(pdu.response({command_status: status, system_id: 'npm-smsc'}));
      if (status !== 0) return;
      if (args.enquireLinkMs > 0) {
        session.timer = setInterval(() => {
          session.enquire_link({}, () => report({event: 'enquire_link_resp', conn: session.conn}));
        }, args.enquireLinkMs);
      }
      while (waitingReceipts.length > 0) sendReceipt(session, waitingReceipts.shift());
      if (command !== 'bind_transmitter' && !mosSent) {
        mosSent = true;
        sendMos(session);
      }
    });
  }

  session.on('submit_sm', (pdu) => {
    const id = (nextId++).toString(16).toUpperCase();
    const part = partOf(pdu);
    report({event: 'submit', conn: session.conn, message_id: id, source: pdu.source_addr,
            dest: pdu.destination_addr, data_coding: pdu.data_coding, esm_class: pdu.esm_class,
            registered_delivery: pdu.registered_delivery, method: part.method, ref: part.ref,
            total: part.total, seq: part.seq});
    const key = [pdu.source_addr, pdu.destination_addr, part.method, part.ref].join('|');
    let msg = pending.get(key);
    if (part.total <= 1) {
      msg = {total: 1, parts: [part.text], ids: [id]};
    } else {
      if (!msg) {
        msg = {total: part.total, parts: new Array(part.total).fill(null), ids: []};
        pending.set(key, msg);
      }
      if (part.seq >= 1 && part.seq <= msg.total && msg.parts[part.seq - 1] === null) {
        msg.parts[part.seq - 1] = part.text;
      } else {
        report({event: 'reassembly_error', key, seq: part.seq, total: part.total});
      }
      msg.ids.push(id);
    }
    if (msg.parts.every((p) => p !== null)) {
      pending.delete(key);
      report({event: 'message', conn: session.conn, method: part.method, parts: msg.total,
              source: pdu.source_addr, dest: pdu.destination_addr, data_coding: pdu.data_coding,
              text: msg.parts.join(''), message_ids: msg.ids});
    }
    session.send(pdu.response({message_id: id}));
    if ((pdu.registered_delivery & 0x01) !== 0) {
      const r = {id, source: pdu.source_addr, sourceTon: pdu.source_addr_ton,
                 sourceNpi: pdu.source_addr_npi, dest: pdu.destination_addr,
                 destTon: pdu.dest_addr_ton, destNpi: pdu.dest_addr_npi};
      setTimeout(() => sendReceipt(session, r), args.receiptDelayMs);
    }
  });

  session.on('enquire_link', (pdu) => {
    report({event: 'enquire_link', conn: session.conn});
    session.send(pdu.response());
  });

  session.on('unbind', (pdu) => {
    report({event: 'unbind', conn: session.conn});
    session.send(pdu.response());
    session.close();
  });
});

// SIGUSR2: drop every connection without unbinding, as a crashing SMSC or a cut link would.
process.on('SIGUSR2', () => {
  for (const s of sessions) {
    report({event: 'dropped', conn: s.conn});
    s.destroy();
  }
});
process.on('SIGTERM', () => process.exit(0));

server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
