#pragma once
// How a configured HTTP carrier turns one job into one request: the URL and method, a body
// (form-urlencoded or flat JSON) whose fields are mapped from the job, the credentials
// (basic, bearer, or an HMAC signature header) and an idempotency header carrying the job id,
// so that a retry after a lost response cannot send twice at providers that honour it.
// Nothing here does I/O; the carrier sends what Build returns.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/http_exchange.h"
#include "core/ports.h"

namespace sd::http {

enum class BodyFormat : uint8_t { kForm, kJson };
enum class AuthScheme : uint8_t { kNone, kBasic, kBearer, kHmac };

// One body field: its name at the provider and its value, a template in which {to} (E.164
// with '+'), {to_digits} (without it), {from}, {text}, {encoding}, {client_ref}, {job_id},
// {callback_url}, {segments}, {username} and {secret} (credentials some APIs take in the body)
// are replaced (anything else is literal; "{{" is a literal "{"). A field whose value comes
// out empty is left out (no "StatusCallback=" when no callback URL is configured).
struct BodyField {
  std::string name;
  std::string value;
};

struct RequestTemplate {
  std::string method = "POST";
  std::string url;
  BodyFormat body_format = BodyFormat::kForm;
  std::vector<BodyField> fields;
  std::vector<std::pair<std::string, std::string>> headers;  // static extra headers
  AuthScheme auth = AuthScheme::kNone;
  std::string username;  // basic
  std::string secret;    // basic password, bearer token or HMAC key; never logged
  // HMAC: header `hmac_header` = "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t.body)>".
  std::string hmac_header = "X-Signature";
  std::string idempotency_header;  // "" = the provider has none
  std::string callback_url;        // where the provider posts receipts ({callback_url})
  // {encoding}: what the provider calls GSM 03.38 text and UCS-2 text.
  std::string encoding_gsm7 = "text";
  std::string encoding_ucs2 = "unicode";
  int64_t connect_timeout_ms = 5'000;
  int64_t total_timeout_ms = 15'000;
};

// The values a template may use, from the job as the dispatcher hands it to a carrier.
struct JobValues {
  std::string to;
  std::string from;
  std::string text;  // UTF-8
  bool ucs2 = false;
  std::string client_ref;
  std::string job_id;
  int segments = 1;
};
JobValues ValuesOf(const SubmitRequest& req);

// Placeholders a template may name; Validate refuses others.
bool IsKnownPlaceholder(std::string_view name);
// "" when usable, else the problem ("field \"Body\": unknown placeholder {txt}").
std::string Validate(const RequestTemplate& t);

// The request for one job. `now_s` is the HMAC timestamp (Unix seconds).
HttpRequest Build(const RequestTemplate& t, const JobValues& job, int64_t now_s);

}  // namespace sd::http
