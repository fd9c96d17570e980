#pragma once
// Properties of the listener's parsers on any bytes, shared by the libFuzzer targets
// (http_request_fuzzer.cc, webhook_fuzzer.cc trap on a violation) and their corpus replays in
// the normal test run. Each returns the first violated property, or "".
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/http/form_codec.h"
#include "adapters/http/receipt_webhook.h"
#include "adapters/http/request_parser.h"
#include "adapters/http/webhook_auth.h"
#include "core/safe_text.h"

namespace sd::http::fuzz {

inline constexpr size_t kMaxHeaders = 1024;
inline constexpr size_t kMaxBody = 4096;

// The bytes as one connection's stream, cut into two reads where the first byte says: every
// request that comes out stays within the limits and has a method; an error is 400, 413 or
// 431 and ends parsing; nothing is consumed twice or beyond the input.
inline std::string CheckRequestStream(std::string_view data) {
  const size_t cut = data.empty() ? 0 : static_cast<unsigned char>(data[0]) % (data.size() + 1);
  HttpRequestParser parser(kMaxHeaders, kMaxBody);
  std::string pending;
  size_t requests = 0;
  for (std::string_view read : {data.substr(0, cut), data.substr(cut)}) {
    pending.append(read);
    for (int guard = 0; guard < 10'000; ++guard) {
      size_t used = 0;
      const HttpRequestParser::Result r = parser.Parse(pending, &used);
      if (used > pending.size()) return "consumed more than it was given";
      pending.erase(0, used);
      if (r == HttpRequestParser::Result::kError) {
        const int s = parser.error_status();
        if (s != 400 && s != 413 && s != 431) return "error status not 400/413/431";
        if (parser.error().empty()) return "error without a reason";
        return "";
      }
      if (r == HttpRequestParser::Result::kNeedMore) {
        if (!pending.empty()) return "needs more but left bytes unconsumed";
        break;
      }
      const HttpServerRequest req = parser.TakeRequest();
      ++requests;
      if (req.method.empty()) return "a request without a method";
      if (req.body.size() > kMaxBody) return "body over the limit";
      size_t header_bytes = req.target.size();
      for (const auto& [n, v] : req.headers) {
        header_bytes += n.size() + v.size();
        for (char c : n) {
          if (c >= 'A' && c <= 'Z') return "header name not lower-case";
        }
      }
      if (header_bytes > kMaxHeaders) return "headers over the limit";
      if (pending.empty()) break;
    }
  }
  (void)requests;
  return "";
}

// The bytes as a webhook body, in both receipt shapes and under each signature scheme: a
// receipt that comes out has a plain id of at most 128 bytes and bounded, printable words;
// an unsigned request never verifies.
inline std::string CheckWebhookBody(std::string_view body) {
  if (auto form = ParseForm(body); form && form->size() > 256) return "form over 256 pairs";
  ReceiptWebhookShape form_shape;
  form_shape.id_field = "MessageSid";
  form_shape.status_field = "MessageStatus";
  form_shape.error_field = "ErrorCode";
  ReceiptWebhookShape json_shape;
  json_shape.format = BodyFormat::kJson;
  json_shape.id_field = "/messageId";
  json_shape.status_field = "/status";
  json_shape.error_field = "/err-code";
  for (const ReceiptWebhookShape* shape : {&form_shape, &json_shape}) {
    auto r = ParseReceiptWebhook(*shape, body);
    if (auto* w = std::get_if<WebhookReceipt>(&r)) {
      if (w->message_id.empty() || w->message_id.size() > 128 || !IsPlainText(w->message_id)) {
        return "receipt id not plain text of 1 to 128 bytes";
      }
      for (const std::string* word : {&w->carrier_status, &w->error_code}) {
        if (word->size() > 32 || !IsPlainText(*word)) return "status or error not bounded text";
      }
    } else if (std::get<std::string>(r).empty()) {
      return "refused without a reason";
    }
  }
  // The same bytes as a reply (inbound webhook): addresses plain and bounded, text bounded.
  InboundWebhookShape form_in{BodyFormat::kForm, "From", "To", "Body"};
  InboundWebhookShape json_in{BodyFormat::kJson, "/msisdn", "/to", "/text"};
  for (const InboundWebhookShape* shape : {&form_in, &json_in}) {
    auto r = ParseInboundWebhook(*shape, body);
    if (auto* m = std::get_if<WebhookInbound>(&r)) {
      for (const std::string* a : {&m->from, &m->to}) {
        if (a->empty() || a->size() > 21 || !IsPlainText(*a)) return "reply address unbounded";
      }
      if (m->text.size() > 65'536) return "reply text unbounded";
    } else if (std::get<std::string>(r).empty()) {
      return "reply refused without a reason";
    }
  }
  HttpServerRequest req;
  req.body = std::string(body);
  for (WebhookScheme scheme : {WebhookScheme::kStandardWebhooks, WebhookScheme::kFormHmacSha1,
                               WebhookScheme::kBodyHmacSha256}) {
    WebhookAuth auth;
    auth.scheme = scheme;
    auth.secrets = {"fuzz-secret"};
    if (VerifyWebhook(auth, req, 0).ok) return "an unsigned request verified";
  }
  // The body as signature headers of a request: parsing them must not trust them.
  req.headers = {{"webhook-id", std::string(body.substr(0, 64))},
                 {"webhook-timestamp", std::string(body.substr(0, 12))},
                 {"webhook-signature", std::string(body)},
                 {"x-twilio-signature", std::string(body)},
                 {"x-signature", std::string(body)}};
  (void)DecodeWhsec(std::string(body));
  return "";
}

}  // namespace sd::http::fuzz
