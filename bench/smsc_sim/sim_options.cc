#include "bench/smsc_sim/sim_options.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sd::smsc_sim {
namespace {

constexpr int64_t kMaxDelayMs = 24LL * 3600 * 1000;  // a day: anything longer is a typo
constexpr int64_t kMaxCount = 1'000'000'000;

// A CLI11 validator from a parse function: "" when the value parses.
template <typename Parse>
CLI::Validator Parses(const char* what, Parse parse) {
  return CLI::Validator(
      [what, parse](std::string& v) {
        return parse(v) ? std::string() : std::string("'") + v + "' is not " + what;
      },
      what);
}

// --temp-error-status: any non-zero 32-bit status, decimal or 0x..; ESME_ROK is no error.
std::optional<uint32_t> ParseStatus(const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long st = strtoull(v.c_str(), &end, 0);
  if (errno != 0 || end == v.c_str() || *end != '\0' || st == 0 || st > 0xFFFFFFFFull ||
      v[0] == '-') {
    return std::nullopt;
  }
  return static_cast<uint32_t>(st);
}

// --receipt-state-rule PREFIX=STATE
std::optional<StateRule> ParseStateRule(const std::string& v) {
  const size_t eq = v.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  const auto state = ParseReceiptState(std::string_view(v).substr(eq + 1));
  if (!state) return std::nullopt;
  return StateRule{v.substr(0, eq), *state};
}

void AddServerOptions(CLI::App& app, Options* opt) {
  app.add_option("--host", opt->host, "listen address, IPv4 or IPv6")->capture_default_str();
  app.add_option("--port", opt->port, "listen port, 0 = ephemeral")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", opt->port_file,
                 "write the bound port here (atomically) once listening");
  app.add_option("--system-id", opt->system_id, "accepted system_id")->capture_default_str();
  app.add_option("--password", opt->password, "accepted password")->capture_default_str();
  app.add_option("--max-binds", opt->max_binds, "binds open at once per system_id, 0 = no limit")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, kMaxCount));
  app.add_option("--tls-cert", opt->tls_cert,
                 "serve TLS with this PEM certificate chain (default plain TCP)");
  app.add_option("--tls-key", opt->tls_key, "the certificate's PEM private key (with --tls-cert)");
  app.add_option("--tls-client-ca", opt->tls_client_ca,
                 "require client certificates signed by these CAs");
  app.add_option("--stats-file", opt->stats_file,
                 "JSON counters, rewritten every 200 ms, on SIGUSR1 and at exit");
  app.add_option("--messages-file", opt->messages_file,
                 "one JSON line per whole (reassembled) message");
  app.add_option("--mo-file", opt->mo_file,
                 "on SIGUSR2, send each JSON line {from, to, text, coding, parts, sar} as "
                 "messages recipients wrote (deliver_sm), until acknowledged");
  app.add_flag("--verbose", opt->verbose, "log every PDU");
}

void AddReceiptOptions(CLI::App& app, Options* opt) {
  app.add_option("--submit-latency-ms", opt->submit_latency_ms, "delay before each submit_sm_resp")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, kMaxDelayMs));
  app.add_option("--receipt-delay-ms", opt->receipt_delay_ms,
                 "delay before each receipt, -1 = none")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{-1}, kMaxDelayMs));
  app.add_option("--receipt-format", opt->receipt_format, "receipts as tlv, text or both")
      ->capture_default_str()
      ->check(CLI::IsMember({"tlv", "text", "both"}));
  app.add_option_function<std::string>(
         "--receipt-state",
         [opt](const std::string& v) { opt->receipt_state = *ParseReceiptState(v); },
         "state of receipts: DELIVRD UNDELIV EXPIRED DELETED REJECTD UNKNOWN ACCEPTD ENROUTE "
         "(default DELIVRD)")
      ->check(Parses("a receipt state", [](const std::string& v) { return ParseReceiptState(v); }));
  app.add_option_function<std::vector<std::string>>(
         "--receipt-state-rule",
         [opt](const std::vector<std::string>& rules) {
           for (const std::string& r : rules) opt->state_rules.push_back(*ParseStateRule(r));
         },
         "PREFIX=STATE: destinations starting with PREFIX get STATE (repeatable, first wins)")
      ->check(Parses("PREFIX=STATE", ParseStateRule));
  const auto id_format =
      Parses("decimal, hex or hex-upper", [](const std::string& v) { return ParseIdFormat(v); });
  app.add_option_function<std::string>(
         "--id-format", [opt](const std::string& v) { opt->id_format = *ParseIdFormat(v); },
         "submit_sm_resp ids: decimal | hex | hex-upper (default hex)")
      ->check(id_format);
  app.add_option_function<std::string>(
         "--receipt-id-format",
         [opt](const std::string& v) {
           opt->receipt_id_format = *ParseIdFormat(v);
           opt->receipt_id_format_set = true;
         },
         "ids quoted in receipts (default: as --id-format)")
      ->check(id_format);
  // message_id is at most 65 octets with its NUL.
  app.add_option("--id-leading-zeros", opt->id_width,
                 "pad ids to W digits (default: hex 16, decimal none)")
      ->check(CLI::Range(0, 64));
  app.add_option("--fail-dest-prefix", opt->fail_dest_prefix,
                 "receipts for these numbers say UNDELIV");
  app.add_option("--max-waiting-receipts", opt->max_waiting_receipts,
                 "receipts held while no receiver is bound")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, kMaxCount));
  app.add_option("--reassembly-timeout-ms", opt->reassembly_timeout_ms,
                 "an incomplete multipart counts as missing parts after this")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, kMaxDelayMs));
}

// The errors real SMSCs answer with, injected on purpose.
void AddInjectionOptions(CLI::App& app, Options* opt) {
  const auto count = CLI::Range(int64_t{0}, kMaxCount);
  app.add_option("--reject-dest-prefix", opt->reject_dest_prefix,
                 "answer submits to these numbers with ESME_RINVDSTADR");
  app.add_option("--throttle-tps", opt->throttle_tps,
                 "per bind: submits above N a second get ESME_RTHROTTLED")
      ->check(count);
  app.add_option("--msgqful-every", opt->msgqful_every, "every K-th submit gets ESME_RMSGQFUL")
      ->check(count);
  app.add_option("--temp-error-every", opt->temp_error_every,
                 "every K-th submit gets ESME_RSYSERR (or --temp-error-status)")
      ->check(count);
  app.add_option_function<std::string>(
         "--temp-error-status",
         [opt](const std::string& v) { opt->temp_error_status = *ParseStatus(v); },
         "command_status for --temp-error-every, decimal or 0x.. (default 0x08)")
      ->check(Parses("a non-zero 32-bit command_status", ParseStatus));
  app.add_option("--garbage-receipt-every", opt->garbage_receipt_every,
                 "every K-th receipt is unparsable text without TLVs")
      ->check(count);
  app.add_option("--drop-connection-after", opt->drop_connection_after,
                 "close a connection after answering its N-th submit")
      ->check(count);
  app.add_flag("--no-enquire-link-resp", opt->no_enquire_link_resp,
               "never answer enquire_link (dead-link detection)");
}

// What single options cannot say: half a TLS configuration must not quietly serve plaintext,
// and credentials longer than SMPP allows could never match a bind.
std::string CheckTogether(const Options& opt) {
  if (opt.tls_cert.empty() != opt.tls_key.empty() ||
      (!opt.tls_client_ca.empty() && opt.tls_cert.empty())) {
    return "--tls-cert and --tls-key go together; --tls-client-ca needs both";
  }
  if (opt.system_id.size() > 15 || opt.password.size() > 8) {
    return "--system-id is at most 15 and --password at most 8 characters (SMPP 3.4)";
  }
  return "";
}

}  // namespace

int ParseOptions(int argc, char** argv, Options* opt) {
  CLI::App app{
      "A real SMPP 3.4 SMSC for the demo, the tests and the benchmark "
      "(docs/simulator.md).",
      "smsc-sim"};
  app.get_formatter()->column_width(30);
  AddServerOptions(app, opt);
  AddReceiptOptions(app, opt);
  AddInjectionOptions(app, opt);
  // As with most tools, a repeated single-valued option takes the last value (tests and scripts
  // append overrides to a default command line); --receipt-state-rule collects them all.
  for (CLI::Option* o : app.get_options()) {
    if (o->get_items_expected_max() == 1) o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  try {
    app.parse(argc, argv);
    if (const std::string error = CheckTogether(*opt); !error.empty()) {
      throw CLI::ValidationError(error);
    }
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // the help (0), or the error naming the option
    return rc == 0 ? 0 : 2;
  }
  if (!opt->receipt_id_format_set) opt->receipt_id_format = opt->id_format;
  return -1;
}

}  // namespace sd::smsc_sim
