#pragma once
// What the simulator counts: totals for the stats file, and per bound session.
#include <cstdint>

namespace sd::smsc_sim {

struct Counters {
  // accepted_submits: answered with a message id (each one SMS segment, for the benchmark).
  uint64_t accepted_submits = 0;
  uint64_t connections = 0, binds = 0, bind_failures = 0, submits = 0, submit_resps = 0,
           rejected_submits = 0, receipts_sent = 0, receipts_acked = 0, receipts_redelivered = 0,
           enquire_links = 0, unknown_pdus = 0, malformed_pdus = 0, unbinds = 0, read_pauses = 0;
  // Bind types, and binds refused by --max-binds (also counted in bind_failures).
  uint64_t binds_tx = 0, binds_rx = 0, binds_trx = 0, bind_limit_refusals = 0;
  // Injected errors.
  uint64_t throttled = 0, msgqful = 0, temp_errors = 0, dropped_connections = 0,
           enquire_links_ignored = 0;
  uint64_t receipts_dropped = 0;  // the waiting queue was full (--max-waiting-receipts)
  // validity_period: receipts that reported EXPIRED because the message's validity passed
  // before its receipt was due, and submits refused ESME_RINVEXPIRY for a malformed one.
  uint64_t expired_deliveries = 0, invalid_validity = 0;
  uint64_t garbage_receipts = 0;  // receipts made unparsable (--garbage-receipt-every)
  // Messages recipients wrote (--mo-file): deliver_sm parts sent, answered, sent again after a
  // session dropped them unanswered, and lines of the file that did not make a message.
  uint64_t mo_sent = 0, mo_acked = 0, mo_redelivered = 0, mo_bad_lines = 0;
  // The most submits one bind made within one --throttle-tps window (throttled ones too):
  // a count that shows whether an ESME kept under the ceiling, without timing anything.
  uint64_t max_window_submits = 0;
  // TLS (--tls-cert): handshakes completed and failed (wrong CA, no client certificate,
  // plaintext peer, timeout); write_overflows: clients closed at the write queue's hard bound.
  uint64_t tls_handshakes = 0, tls_handshake_failures = 0, write_overflows = 0;
  // Multipart: accepted parts, whole messages (single, payload or reassembled), and what the
  // reassembly check found.
  uint64_t parts = 0, payload_messages = 0, messages = 0, reassembled_messages = 0,
           reassembly_duplicates = 0, reassembly_mismatches = 0, reassembly_bad_parts = 0,
           reassembly_incomplete = 0, reassembly_missing_parts = 0, reassembly_overflows = 0;
};

// One bound session's share (the stats file's "sessions").
struct SessionCounters {
  uint64_t submits = 0, accepted = 0, throttled = 0, msgqful = 0, temp_errors = 0,
           receipts_sent = 0, receipts_acked = 0;
};

}  // namespace sd::smsc_sim
