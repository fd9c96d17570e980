#include "bench/smsc_sim/sim_options.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sd::smsc_sim {
namespace {

bool ParseInt(const char* s, int64_t lo, int64_t hi, int64_t* out) {
  errno = 0;
  char* end = nullptr;
  const long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

void Usage(FILE* f) {
  fprintf(f,
          "usage: smsc-sim [options]\n"
          "  --host ADDR                listen address, IPv4 or IPv6 (127.0.0.1)\n"
          "  --port N                   listen port, 0 = ephemeral (2775)\n"
          "  --port-file PATH           write the bound port here (atomically) once listening\n"
          "  --system-id ID             accepted system_id (test)\n"
          "  --password PW              accepted password (secret)\n"
          "  --max-binds N              binds open at once per system_id, 0 = no limit (0)\n"
          "  --submit-latency-ms N      delay before each submit_sm_resp (0)\n"
          "  --receipt-delay-ms N       delay before each receipt, -1 = none (0)\n"
          "  --receipt-format F         tlv | text | both (both)\n"
          "  --receipt-state S          state of receipts: DELIVRD UNDELIV EXPIRED DELETED\n"
          "                             REJECTD UNKNOWN ACCEPTD ENROUTE (DELIVRD)\n"
          "  --receipt-state-rule P=S   destinations starting with P get state S (repeatable)\n"
          "  --id-format F              submit_sm_resp ids: decimal | hex | hex-upper (hex)\n"
          "  --receipt-id-format F      ids quoted in receipts (same as --id-format)\n"
          "  --id-leading-zeros W       pad ids to W digits (hex 16, decimal none)\n"
          "  --reject-dest-prefix P     answer submits to these numbers with ESME_RINVDSTADR\n"
          "  --fail-dest-prefix P       receipts for these numbers say UNDELIV\n"
          "  --throttle-tps N           per bind: submits above N a second get ESME_RTHROTTLED\n"
          "  --msgqful-every K          every K-th submit gets ESME_RMSGQFUL\n"
          "  --temp-error-every K       every K-th submit gets ESME_RSYSERR (or the status\n"
          "                             of --temp-error-status)\n"
          "  --temp-error-status S      command_status for --temp-error-every, decimal or 0x..\n"
          "                             (0x08)\n"
          "  --garbage-receipt-every K  every K-th receipt is unparsable text without TLVs\n"
          "  --drop-connection-after N  close a connection after answering its N-th submit\n"
          "  --no-enquire-link-resp     never answer enquire_link (dead-link detection)\n"
          "  --max-waiting-receipts N   receipts held while no receiver is bound (1000000)\n"
          "  --reassembly-timeout-ms N  an incomplete multipart counts as missing after (60000)\n"
          "  --messages-file PATH       one JSON line per whole (reassembled) message\n"
          "  --tls-cert FILE            serve TLS with this PEM certificate chain (plain TCP)\n"
          "  --tls-key FILE             the certificate's PEM private key (with --tls-cert)\n"
          "  --tls-client-ca FILE       require client certificates signed by these CAs\n"
          "  --stats-file PATH          JSON counters, rewritten every 200 ms, on SIGUSR1 and "
          "at exit\n"
          "  --verbose                  log every PDU\n"
          "  --help                     this text\n");
}

int ParseOptions(int argc, char** argv, Options* opt) {
  constexpr int64_t kMaxDelayMs = 24LL * 3600 * 1000;  // a day: anything longer is a typo
  constexpr int64_t kMaxCount = 1'000'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    }
    if (a == "--verbose") {
      opt->verbose = true;
      continue;
    }
    if (a == "--no-enquire-link-resp") {
      opt->no_enquire_link_resp = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "smsc-sim: %s needs a value (see --help)\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    int64_t n = 0;
    bool ok = true;
    if (a == "--host") {
      opt->host = v;
    } else if (a == "--port") {
      ok = ParseInt(v, 0, 65535, &n);
      opt->port = static_cast<int>(n);
    } else if (a == "--port-file") {
      opt->port_file = v;
    } else if (a == "--system-id") {
      opt->system_id = v;
    } else if (a == "--password") {
      opt->password = v;
    } else if (a == "--max-binds") {
      ok = ParseInt(v, 0, kMaxCount, &opt->max_binds);
    } else if (a == "--submit-latency-ms") {
      ok = ParseInt(v, 0, kMaxDelayMs, &opt->submit_latency_ms);
    } else if (a == "--receipt-delay-ms") {
      ok = ParseInt(v, -1, kMaxDelayMs, &opt->receipt_delay_ms);
    } else if (a == "--receipt-format") {
      opt->receipt_format = v;
      ok = opt->receipt_format == "tlv" || opt->receipt_format == "text" ||
           opt->receipt_format == "both";
    } else if (a == "--receipt-state") {
      const auto s = ParseReceiptState(v);
      ok = s.has_value();
      if (ok) opt->receipt_state = *s;
    } else if (a == "--receipt-state-rule") {
      const char* eq = strchr(v, '=');
      const auto s = eq == nullptr ? std::nullopt : ParseReceiptState(eq + 1);
      ok = s.has_value() && eq != v;
      if (ok) opt->state_rules.push_back(StateRule{std::string(v, eq), *s});
    } else if (a == "--id-format" || a == "--receipt-id-format") {
      const auto f = ParseIdFormat(v);
      ok = f.has_value();
      if (ok && a == "--id-format") opt->id_format = *f;
      if (ok && a == "--receipt-id-format") {
        opt->receipt_id_format = *f;
        opt->receipt_id_format_set = true;
      }
    } else if (a == "--id-leading-zeros") {
      ok = ParseInt(v, 0, 64, &n);  // message_id is at most 65 octets with its NUL
      opt->id_width = static_cast<int>(n);
    } else if (a == "--reject-dest-prefix") {
      opt->reject_dest_prefix = v;
    } else if (a == "--fail-dest-prefix") {
      opt->fail_dest_prefix = v;
    } else if (a == "--throttle-tps") {
      ok = ParseInt(v, 0, kMaxCount, &opt->throttle_tps);
    } else if (a == "--msgqful-every") {
      ok = ParseInt(v, 0, kMaxCount, &opt->msgqful_every);
    } else if (a == "--temp-error-every") {
      ok = ParseInt(v, 0, kMaxCount, &opt->temp_error_every);
    } else if (a == "--temp-error-status") {
      // Any non-zero 32-bit status: ESME_ROK would not be an error.
      errno = 0;
      char* end = nullptr;
      const unsigned long long st = strtoull(v, &end, 0);
      ok = errno == 0 && end != v && *end == '\0' && st > 0 && st <= 0xFFFFFFFFull && v[0] != '-';
      opt->temp_error_status = static_cast<uint32_t>(st);
    } else if (a == "--garbage-receipt-every") {
      ok = ParseInt(v, 0, kMaxCount, &opt->garbage_receipt_every);
    } else if (a == "--drop-connection-after") {
      ok = ParseInt(v, 0, kMaxCount, &opt->drop_connection_after);
    } else if (a == "--max-waiting-receipts") {
      ok = ParseInt(v, 0, kMaxCount, &opt->max_waiting_receipts);
    } else if (a == "--reassembly-timeout-ms") {
      ok = ParseInt(v, 1, kMaxDelayMs, &opt->reassembly_timeout_ms);
    } else if (a == "--tls-cert") {
      opt->tls_cert = v;
    } else if (a == "--tls-key") {
      opt->tls_key = v;
    } else if (a == "--tls-client-ca") {
      opt->tls_client_ca = v;
    } else if (a == "--messages-file") {
      opt->messages_file = v;
    } else if (a == "--stats-file") {
      opt->stats_file = v;
    } else {
      fprintf(stderr, "smsc-sim: unknown option %s\n", a.c_str());
      Usage(stderr);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "smsc-sim: bad value for %s: '%s' (see --help)\n", a.c_str(), v);
      return 2;
    }
  }
  if (!opt->receipt_id_format_set) opt->receipt_id_format = opt->id_format;
  // Half a TLS configuration must not quietly serve plaintext.
  if (opt->tls_cert.empty() != opt->tls_key.empty() ||
      (!opt->tls_client_ca.empty() && opt->tls_cert.empty())) {
    fprintf(stderr, "smsc-sim: --tls-cert and --tls-key go together; --tls-client-ca needs both\n");
    return 2;
  }
  // Credentials longer than SMPP allows could never match a bind; say so instead.
  if (opt->system_id.size() > 15 || opt->password.size() > 8) {
    fprintf(stderr, "smsc-sim: system_id is at most 15 and password at most 8 characters\n");
    return 2;
  }
  return -1;
}

}  // namespace sd::smsc_sim
