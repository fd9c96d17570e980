#pragma once
// http-sim's command line: an SMS provider's REST API with the faults a real one has.
#include <cstdint>
#include <optional>
#include <string>

#include "adapters/http/webhook_auth.h"

namespace sd::http_sim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string port_file;
  std::string tls_cert;  // with tls_key: HTTPS; else plain HTTP (loopback only)
  std::string tls_key;
  std::string username;  // with password: requests must carry this basic auth
  std::string password;
  int64_t latency_ms = 0;        // before each answer
  int64_t throttle_every = 0;    // every K-th request: 429 with Retry-After
  int64_t retry_after_s = 1;
  int64_t error_every = 0;       // every K-th request: 500
  int64_t hang_every = 0;        // every K-th request: no answer (the client times out)
  std::string reject_prefix;     // destinations starting with it: 400 with a provider code
  int64_t receipt_delay_ms = 50;  // -1: no receipts
  std::string receipt_status = "delivered";
  int64_t webhook_copies = 1;     // each receipt posted this many times (redelivery)
  int64_t webhook_retries = 5;    // a webhook not answered 2xx is posted again, 1 s apart
  http::WebhookScheme webhook_scheme = http::WebhookScheme::kFormHmacSha1;
  std::string webhook_secret;  // raw key (standard-webhooks: the whsec_ text)
  std::string webhook_ca;      // CA to verify the daemon's listener with
  std::string stats_file;      // written on SIGUSR1 and at exit; GET /stats answers it too
};

// Parses argv; on a usage error prints it and returns nullopt (exit code in *exit_code).
std::optional<Options> ParseOptions(int argc, char** argv, int* exit_code);

}  // namespace sd::http_sim
