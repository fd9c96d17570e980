#include "adapters/http/api_answers.h"

#include <nlohmann/json.hpp>

#include "core/outcome.h"
#include "core/safe_text.h"

namespace sd::http {

int ApiStatusFor(Reason reason) {
  switch (reason) {
    case Reason::kAuthRequired:
    case Reason::kUnknownKey:
    case Reason::kRevokedKey:
    case Reason::kKeyNotActive:
    case Reason::kBadSignature:
    case Reason::kAuthSchemeNotAllowed:
    case Reason::kClientCertRequired:
    case Reason::kClockSkew:
    case Reason::kReplay:
      return 401;
    case Reason::kIpNotAllowed:
    case Reason::kKindNotAllowed:
    case Reason::kSenderNotAllowed:
    case Reason::kCountryNotAllowed:
    case Reason::kOtpTemplateMismatch:
    case Reason::kUrlNotAllowed:
    case Reason::kNotMobile:
    case Reason::kPremiumNumber:
    case Reason::kHighRiskPrefix:
    case Reason::kBlockedContent:
    case Reason::kShortenerNotAllowed:
    case Reason::kLookalikeDomain:
    case Reason::kNoRoute:
    case Reason::kPumpingSuspected:
    case Reason::kOptedOut:
    case Reason::kQuietHours:
      return 403;
    case Reason::kIdempotencyConflict:
      return 409;
    case Reason::kRateLimited:
    case Reason::kQuotaExceeded:
      return 429;
    case Reason::kUnavailable:
      return 503;
    default:
      return 400;  // malformed, too_large, invalid_*, text_too_long, expired, ...
  }
}

std::string ApiErrorBody(Reason reason, std::string_view detail) {
  return nlohmann::json{{"status", "rejected"},
                        {"reason", ReasonName(reason)},
                        {"detail", PlainOrEscaped(detail, kMaxOutcomeDetailBytes)}}
      .dump();
}

HttpServerResponse ApiError(Reason reason, std::string_view detail, int64_t retry_after_s) {
  HttpServerResponse r;
  r.status = ApiStatusFor(reason);
  r.body = ApiErrorBody(reason, detail);
  if (retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

bool ValidJobId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string StatusField(const std::vector<std::pair<std::string, std::string>>& status,
                        std::string_view name) {
  for (const auto& [k, v] : status) {
    if (k == name) return v;
  }
  return "";
}

std::string ApiStatusBody(const std::string& id,
                          const std::vector<std::pair<std::string, std::string>>& status) {
  auto number = [](const std::string& v) -> nlohmann::json {
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    return end != nullptr && *end == '\0' && !v.empty() ? nlohmann::json(n) : nlohmann::json(v);
  };
  nlohmann::json j{{"id", id}};
  nlohmann::json receipt = nlohmann::json::object();
  for (const auto& [k, v] : status) {
    if (k == "fam" || k == "kid" || k == "entry") continue;
    if (k.rfind("receipt_", 0) == 0) {
      const std::string name = k.substr(8);
      receipt[name] = name == "ts" ? number(v) : nlohmann::json(PlainOrEscaped(v, 256));
    } else if (k == "created" || k == "segments" || k == "outcome_ts") {
      j[k] = number(v);
    } else if (!v.empty()) {
      j[k] = PlainOrEscaped(v, kMaxOutcomeDetailBytes);
    }
  }
  if (!receipt.empty()) j["receipt"] = std::move(receipt);
  return j.dump();
}

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string ApiClientAddress(const HttpServerRequest& request,
                             const std::vector<Cidr>& trusted_proxies) {
  if (trusted_proxies.empty() || !AddressAllowed(request.peer_address, trusted_proxies)) {
    return request.peer_address;
  }
  // A trusted proxy's PROXY header names the client of its TCP connection; from there the
  // X-Forwarded-For rules apply as if that client were the peer (it may be a proxy too).
  if (!request.proxied_address.empty() &&
      !AddressAllowed(request.proxied_address, trusted_proxies)) {
    return request.proxied_address;
  }
  // Several X-Forwarded-For fields are one list in order (RFC 9110, 5.3).
  std::string xff;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    if (!xff.empty()) xff += ',';
    xff += value;
  }
  if (xff.empty()) {
    return request.proxied_address.empty() ? request.peer_address : request.proxied_address;
  }
  std::vector<std::string> hops;
  size_t start = 0;
  while (start <= xff.size()) {
    const size_t comma = std::min(xff.find(',', start), xff.size());
    hops.push_back(Trim(std::string_view(xff).substr(start, comma - start)));
    start = comma + 1;
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!AddressAllowed(*it, trusted_proxies)) return *it;
  }
  return hops.front();
}

}  // namespace sd::http
