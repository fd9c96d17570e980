#pragma once
// Ready-made request and response shapes for the two commonest public SMS REST API shapes, so
// an operator configures a URL and credentials instead of every field (docs/http.md):
//
//   "messages-form": a Messages resource taking a form POST (To, From, Body, StatusCallback)
//                    with basic auth, answering {"sid": ...} or {"code", "message"}; receipts
//                    posted as forms (MessageSid, MessageStatus, ErrorCode) signed with
//                    HMAC-SHA1 in X-Twilio-Signature; replies as forms (From, To, Body);
//   "messages-json": a JSON POST (from, to without '+', text, type, client-ref, callback,
//                    api_key/api_secret in the body) answering
//                    {"messages": [{"message-id", "status", "error-text"}]}, status "0" meaning
//                    accepted, "1" throttled, "5" a temporary error; receipts posted as JSON
//                    (messageId, status, err-code), replies as JSON (msisdn, to, text),
//                    signed per [carrier.webhook] (no default scheme fits every provider of
//                    this shape: the config names one).
//
// "custom" starts from nothing. A config's own keys override a preset's.
#include <optional>
#include <string_view>
#include <vector>

#include "adapters/http/receipt_webhook.h"
#include "adapters/http/request_template.h"
#include "adapters/http/submit_response.h"
#include "adapters/http/webhook_auth.h"

namespace sd::http {

struct Preset {
  RequestTemplate request;
  ResponseShape response;
  // Delivery-receipt webhooks: the body's shape, and how the provider signs them.
  ReceiptWebhookShape receipts;
  // Replies recipients send (POST /v1/inbound/<carrier>), signed like the receipts.
  InboundWebhookShape inbound;
  WebhookScheme webhook_scheme = WebhookScheme::kStandardWebhooks;
  std::string webhook_header;  // lower-case; "" = the scheme's default
};

// nullopt for an unknown name.
std::optional<Preset> PresetNamed(std::string_view name);
std::vector<std::string_view> PresetNames();

}  // namespace sd::http
