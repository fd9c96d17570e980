#include "adapters/http/callback_event.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace sd::http {
namespace {

constexpr size_t kMaxValueBytes = 512;  // stream values are bounded already; this is a backstop

constexpr std::string_view kOutcomeFields[] = {"entry",   "job",     "kid",        "ref",
                                               "status",  "reason",  "detail",     "carrier",
                                               "message_id", "segments", "ts"};
constexpr std::string_view kReceiptFields[] = {
    "entry",  "job",            "ref", "kid", "carrier", "message_id",     "status",
    "carrier_status", "err",    "ts",  "parts", "delivered_parts"};

bool Numeric(std::string_view name) {
  return name == "segments" || name == "ts" || name == "parts" || name == "delivered_parts";
}

const std::string* Field(const StatusEntry& e, std::string_view name) {
  for (const auto& [k, v] : e.fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string Rfc3339(int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf, n) + frac;
}

}  // namespace

std::string_view CallbackKeyId(const StatusEntry& e) {
  const std::string* job = Field(e, "job");
  const std::string* kid = Field(e, "kid");
  if (job == nullptr || job->empty() || kid == nullptr) return {};
  return *kid;
}

std::string CallbackEventId(const StatusEntry& e) {
  return (e.receipt ? "msg_r_" : "msg_o_") + e.id;
}

std::optional<int64_t> EntryTimeMs(std::string_view id) {
  int64_t ms = 0;
  const char* end = id.data() + id.size();
  const auto [p, ec] = std::from_chars(id.data(), end, ms);
  if (ec != std::errc() || p == id.data() || (p != end && *p != '-') || ms < 0) {
    return std::nullopt;
  }
  return ms;
}

std::string CallbackBody(const StatusEntry& e) {
  nlohmann::json data = nlohmann::json::object();
  auto copy = [&](std::string_view name) {
    const std::string* v = Field(e, name);
    if (v == nullptr) return;
    const std::string value = v->substr(0, kMaxValueBytes);
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (Numeric(name) && ec == std::errc() && p == value.data() + value.size() && !value.empty()) {
      data[std::string(name)] = n;
    } else {
      data[std::string(name)] = value;
    }
  };
  if (e.receipt) {
    for (std::string_view f : kReceiptFields) copy(f);
  } else {
    for (std::string_view f : kOutcomeFields) copy(f);
  }
  const std::string* status = Field(e, "status");
  const std::string type = e.receipt ? "message.receipt"
                           : status != nullptr && *status == "submitted" ? "message.submitted"
                                                                         : "message.rejected";
  nlohmann::json body{{"type", type},
                      {"timestamp", Rfc3339(EntryTimeMs(e.id).value_or(0))},
                      {"data", std::move(data)}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sd::http
