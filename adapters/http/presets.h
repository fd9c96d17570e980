#pragma once
// Ready-made request and response shapes for the two commonest public SMS REST API shapes, so
// an operator configures a URL and credentials instead of every field (docs/http.md):
//
//   "messages-form": a Messages resource taking a form POST (To, From, Body, StatusCallback)
//                    with basic auth, answering {"sid": ...} or {"code", "message"};
//   "messages-json": a JSON POST (from, to without '+', text, type, client-ref, callback,
//                    api_key/api_secret in the body) answering
//                    {"messages": [{"message-id", "status", "error-text"}]}, status "0" meaning
//                    accepted, "1" throttled, "5" a temporary error.
//
// "custom" starts from nothing. A config's own keys override a preset's.
#include <optional>
#include <string_view>
#include <vector>

#include "adapters/http/request_template.h"
#include "adapters/http/submit_response.h"

namespace sd::http {

struct Preset {
  RequestTemplate request;
  ResponseShape response;
};

// nullopt for an unknown name.
std::optional<Preset> PresetNamed(std::string_view name);
std::vector<std::string_view> PresetNames();

}  // namespace sd::http
