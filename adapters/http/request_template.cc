#include "adapters/http/request_template.h"

#include <array>
#include <nlohmann/json.hpp>

#include "adapters/crypto/base64.h"
#include "adapters/crypto/openssl_mac.h"
#include "adapters/http/form_codec.h"
#include "core/hex.h"

namespace sd::http {
namespace {

constexpr std::array<std::string_view, 11> kPlaceholders = {
    "to",     "to_digits",    "from",     "text",     "encoding", "client_ref",
    "job_id", "callback_url", "segments", "username", "secret"};

std::string ValueOf(std::string_view name, const RequestTemplate& t, const JobValues& job) {
  if (name == "to") return job.to;
  if (name == "to_digits") return job.to.substr(job.to.rfind('+') == 0 ? 1 : 0);
  if (name == "username") return t.username;
  if (name == "secret") return t.secret;
  if (name == "from") return job.from;
  if (name == "text") return job.text;
  if (name == "encoding") return job.ucs2 ? t.encoding_ucs2 : t.encoding_gsm7;
  if (name == "client_ref") return job.client_ref;
  if (name == "job_id") return job.job_id;
  if (name == "callback_url") return t.callback_url;
  if (name == "segments") return std::to_string(job.segments);
  return {};
}

// Walks `tmpl`, handing literal runs and placeholder names to the callbacks. False (with the
// offending name in `bad`) at an unknown or unterminated placeholder.
template <typename Literal, typename Placeholder>
bool Walk(std::string_view tmpl, Literal literal, Placeholder placeholder, std::string* bad) {
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      literal(tmpl.substr(i));
      break;
    }
    literal(tmpl.substr(i, open - i));
    if (open + 1 < tmpl.size() && tmpl[open + 1] == '{') {
      literal("{");
      i = open + 2;
      continue;
    }
    const size_t close = tmpl.find('}', open);
    const std::string_view name =
        close == std::string_view::npos ? tmpl.substr(open) : tmpl.substr(open + 1, close - open - 1);
    if (close == std::string_view::npos || !IsKnownPlaceholder(name)) {
      if (bad != nullptr) *bad = std::string(name);
      return false;
    }
    placeholder(name);
    i = close + 1;
  }
  return true;
}

std::string Expand(std::string_view tmpl, const RequestTemplate& t, const JobValues& job) {
  std::string out;
  Walk(
      tmpl, [&](std::string_view lit) { out.append(lit); },
      [&](std::string_view name) { out += ValueOf(name, t, job); }, nullptr);
  return out;
}


}  // namespace

JobValues ValuesOf(const SubmitRequest& req) {
  JobValues v;
  v.to = req.destination;
  v.from = req.sender;
  v.text = req.text_utf8;
  v.ucs2 = req.text.coding == DataCoding::kUcs2;
  v.client_ref = req.client_ref;
  v.job_id = req.job_id;
  v.segments = std::max(1, req.text.segments);
  return v;
}

bool IsKnownPlaceholder(std::string_view name) {
  for (std::string_view p : kPlaceholders) {
    if (p == name) return true;
  }
  return false;
}

std::string Validate(const RequestTemplate& t) {
  std::string bad;
  const auto nothing = [](std::string_view) {};
  if (!Walk(t.url, nothing, nothing, &bad)) return "url: unknown placeholder {" + bad + "}";
  for (const BodyField& f : t.fields) {
    if (!Walk(f.value, nothing, nothing, &bad)) {
      return "field \"" + f.name + "\": unknown placeholder {" + bad + "}";
    }
  }
  return "";
}

HttpRequest Build(const RequestTemplate& t, const JobValues& job, int64_t now_s) {
  HttpRequest r;
  r.method = t.method;
  r.url = Expand(t.url, t, job);
  r.connect_timeout_ms = t.connect_timeout_ms;
  r.total_timeout_ms = t.total_timeout_ms;
  if (t.body_format == BodyFormat::kJson) {
    nlohmann::json body = nlohmann::json::object();
    for (const BodyField& f : t.fields) {
      std::string v = Expand(f.value, t, job);
      if (!v.empty()) body[f.name] = std::move(v);
    }
    // Invalid UTF-8 is replaced rather than thrown on: the job's text was validated already.
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.headers.emplace_back("Content-Type", "application/json");
  } else {
    for (const BodyField& f : t.fields) {
      const std::string v = Expand(f.value, t, job);
      if (v.empty()) continue;
      if (!r.body.empty()) r.body += '&';
      r.body += FormEncode(f.name) + '=' + FormEncode(v);
    }
    r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  r.headers.emplace_back("Accept", "application/json");
  for (const auto& h : t.headers) r.headers.push_back(h);
  switch (t.auth) {
    case AuthScheme::kBasic:
      r.headers.emplace_back("Authorization", "Basic " + Base64Encode(t.username + ":" + t.secret));
      break;
    case AuthScheme::kBearer:
      r.headers.emplace_back("Authorization", "Bearer " + t.secret);
      break;
    case AuthScheme::kHmac: {
      const std::string ts = std::to_string(now_s);
      const Mac256 mac = OpenSslMac().HmacSha256(t.secret, ts + "." + r.body);
      r.headers.emplace_back(
          t.hmac_header,
          "t=" + ts + ",v1=" +
              HexEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size())));
      break;
    }
    case AuthScheme::kNone:
      break;
  }
  if (!t.idempotency_header.empty() && !job.job_id.empty()) {
    r.headers.emplace_back(t.idempotency_header, job.job_id);
  }
  return r;
}

}  // namespace sd::http
