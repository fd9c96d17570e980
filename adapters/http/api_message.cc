#include "adapters/http/api_message.h"

#include <nlohmann/json.hpp>

#include "core/safe_text.h"

namespace sd::http {
namespace {

using nlohmann::json;

Error Bad(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

// Deepest nesting of arrays and objects in `body`, strings skipped; stops counting past `cap`
// so a body of 64 KiB of '[' costs one pass and no parser stack.
int NestingDepth(std::string_view body, int cap) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > cap) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

Result<json> ParseJson(std::string_view body, int max_depth) {
  if (NestingDepth(body, max_depth) > max_depth) return Bad("JSON nested too deeply");
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("body is not JSON");
  return j;
}

std::optional<JobKind> KindFromName(const std::string& k) {
  if (k == "otp") return JobKind::kOtp;
  if (k == "transactional") return JobKind::kTransactional;
  if (k == "marketing") return JobKind::kMarketing;
  return std::nullopt;
}

std::optional<Error> StringField(const json& v, const std::string& name, std::string* out) {
  if (!v.is_string()) return Bad(name + " must be a string");
  *out = v.get<std::string>();
  return std::nullopt;
}

std::optional<Error> IntField(const json& v, const std::string& name, int64_t max, int64_t* out) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > uint64_t(max)) {
    return Bad(name + " must be an integer from 1 to " + std::to_string(max));
  }
  *out = static_cast<int64_t>(v.get<uint64_t>());
  return std::nullopt;
}

std::optional<Error> Field(const std::string& key, const json& v, ApiMessage* m) {
  if (key == "to") return StringField(v, key, &m->to);
  if (key == "from") return StringField(v, key, &m->from);
  if (key == "text") return StringField(v, key, &m->text);
  if (key == "client_ref") return StringField(v, key, &m->client_ref);
  if (key == "kind") {
    std::string k;
    if (auto e = StringField(v, key, &k)) return e;
    auto kind = KindFromName(k);
    if (!kind) return Bad("kind must be otp, transactional or marketing");
    m->kind = *kind;
    return std::nullopt;
  }
  if (key == "validity_s") return IntField(v, key, 30 * 86'400, &m->validity_s);
  if (key == "expires_at") return IntField(v, key, int64_t{1} << 53, &m->expires_ms);
  if (key == "send_at") return IntField(v, key, int64_t{1} << 53, &m->send_at_ms);
  return Bad("unknown field '" + EscapeBytes(key, 32) + "'");
}

Result<ApiMessage> FromObject(const json& o) {
  if (!o.is_object()) return Bad("a message must be a JSON object");
  ApiMessage m;
  for (const auto& [key, value] : o.items()) {
    if (auto e = Field(key, value, &m)) return *std::move(e);
  }
  for (const char* required : {"to", "from", "text", "kind"}) {
    if (!o.contains(required)) return Bad(std::string("missing field '") + required + "'");
  }
  if (m.validity_s != 0 && m.expires_ms != 0) return Bad("give validity_s or expires_at, not both");
  return m;
}

}  // namespace

Result<ApiMessage> ParseApiMessage(std::string_view body) {
  auto j = ParseJson(body, 1);
  if (!j) return j.error();
  return FromObject(*j);
}

Result<std::vector<Result<ApiMessage>>> ParseApiBatch(std::string_view body, size_t max_items) {
  auto j = ParseJson(body, 3);
  if (!j) return j.error();
  if (!j->is_object() || j->size() != 1 || !j->contains("messages") ||
      !(*j)["messages"].is_array()) {
    return Bad("a batch is {\"messages\": [ ... ]}");
  }
  const json& items = (*j)["messages"];
  if (items.empty()) return Bad("messages is empty");
  if (items.size() > max_items) {
    return Error{Reason::kTooLarge, "at most " + std::to_string(max_items) + " messages per batch"};
  }
  std::vector<Result<ApiMessage>> out;
  out.reserve(items.size());
  for (const json& item : items) out.push_back(FromObject(item));
  return out;
}

}  // namespace sd::http
