#include "bench/http_sim/http_sim_options.h"

#include <CLI/CLI.hpp>

namespace sd::http_sim {

std::optional<Options> ParseOptions(int argc, char** argv, int* exit_code) {
  Options o;
  CLI::App app{"http-sim: an SMS provider's REST API (form or JSON submits, signed receipt "
               "webhooks) with injectable faults, for smsdispatchd's HTTP carriers"};
  app.add_option("--host", o.host, "listen address");
  app.add_option("--port", o.port, "listen port, 0 = any free one");
  app.add_option("--port-file", o.port_file, "written with the port once listening");
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate: serve HTTPS");
  app.add_option("--tls-key", o.tls_key, "PEM key for --tls-cert");
  app.add_option("--username", o.username, "required basic auth user");
  app.add_option("--password", o.password, "required basic auth password");
  app.add_option("--latency-ms", o.latency_ms, "delay before each answer");
  app.add_option("--throttle-every", o.throttle_every, "every K-th request: 429");
  app.add_option("--retry-after-s", o.retry_after_s, "Retry-After of the 429s");
  app.add_option("--error-every", o.error_every, "every K-th request: 500");
  app.add_option("--hang-every", o.hang_every, "every K-th request: never answered");
  app.add_option("--reject-prefix", o.reject_prefix, "destinations refused with 400");
  app.add_option("--receipt-delay-ms", o.receipt_delay_ms, "delay before a receipt, -1 = none");
  app.add_option("--receipt-status", o.receipt_status, "status word receipts report");
  app.add_option("--webhook-copies", o.webhook_copies, "times each receipt is posted");
  app.add_option("--webhook-retries", o.webhook_retries,
                 "a webhook not answered 2xx is posted again (1 s apart) this often");
  std::string scheme = "form-hmac-sha1";
  app.add_option("--webhook-scheme", scheme, "standard-webhooks | form-hmac-sha1 | hmac-sha256")
      ->check(CLI::IsMember({"standard-webhooks", "form-hmac-sha1", "hmac-sha256"}));
  app.add_option("--webhook-secret", o.webhook_secret, "signing secret (whsec_... for standard)");
  app.add_option("--webhook-ca", o.webhook_ca, "CA of the listener receipts go to");
  app.add_option("--stats-file", o.stats_file, "JSON counters, written on SIGUSR1 and at exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  }
  o.webhook_scheme = scheme == "standard-webhooks" ? http::WebhookScheme::kStandardWebhooks
                     : scheme == "hmac-sha256"     ? http::WebhookScheme::kBodyHmacSha256
                                                   : http::WebhookScheme::kFormHmacSha1;
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    fprintf(stderr, "http-sim: --tls-cert and --tls-key go together\n");
    *exit_code = 2;
    return std::nullopt;
  }
  return o;
}

}  // namespace sd::http_sim
