#pragma once
// smsc-sim's command line: every knob of the simulator, parsed once at start.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/smsc_sim/message_id.h"
#include "bench/smsc_sim/receipt_state.h"

namespace sd::smsc_sim {

// A destination prefix whose receipts report `state` (--receipt-state-rule PREFIX=STATE).
struct StateRule {
  std::string prefix;
  ReceiptState state = ReceiptState::kDelivered;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 2775;
  std::string port_file;
  std::string system_id = "test";
  std::string password = "secret";
  int64_t submit_latency_ms = 0;
  int64_t receipt_delay_ms = 0;  // -1: never send receipts
  std::string stats_file;
  std::string messages_file;            // one JSON line per whole (reassembled) message
  std::string mo_file;                  // SIGUSR2: send the messages recipients "write" in it
  std::string reject_dest_prefix;       // submit answered ESME_RINVDSTADR (permanent)
  std::string fail_dest_prefix;         // receipt says UNDELIV
  std::string receipt_format = "both";  // tlv | text | both
  ReceiptState receipt_state = ReceiptState::kDelivered;  // for destinations no rule matches
  std::vector<StateRule> state_rules;                     // first matching prefix wins
  IdFormat id_format = IdFormat::kHex;
  IdFormat receipt_id_format = IdFormat::kHex;
  bool receipt_id_format_set = false;        // else it follows --id-format
  int id_width = -1;                         // -1: the format's default (hex 16, decimal none)
  int64_t max_binds = 0;                     // per system_id, 0 = unlimited
  int64_t throttle_tps = 0;                  // per bind, 0 = unlimited
  int64_t msgqful_every = 0;                 // every K-th submit: ESME_RMSGQFUL
  int64_t temp_error_every = 0;              // every K-th submit: temp_error_status
  uint32_t temp_error_status = 0x08;         // ESME_RSYSERR unless --temp-error-status
  int64_t garbage_receipt_every = 0;         // every K-th receipt: unparsable text, no TLVs
  int64_t drop_connection_after = 0;         // close a connection after its N-th submit
  bool no_enquire_link_resp = false;         // count enquire_link but never answer
  int64_t max_waiting_receipts = 1'000'000;  // receipts held for an absent receiver
  int64_t reassembly_timeout_ms = 60'000;    // an incomplete multipart counts as missing parts
  // TLS: with a certificate and key every connection is TLS (1.2+); with a client CA as well,
  // clients must present a certificate that chains to it (mutual TLS). Empty: plain TCP.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool verbose = false;
};

// Parses argv into *opt with CLI11 (which writes --help). Returns -1 to go on, or the exit
// code (0 for --help, 2 for a bad option or value; the option and the reason are already
// printed on stderr).
int ParseOptions(int argc, char** argv, Options* opt);

}  // namespace sd::smsc_sim
