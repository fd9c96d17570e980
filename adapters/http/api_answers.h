#pragma once
// What the HTTPS API answers (docs/api.md, "Errors"): the HTTP status for each reason code, the
// JSON bodies, and the address a request comes from when it passed a trusted proxy.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/http_server.h"
#include "core/cidr.h"
#include "core/reason.h"

namespace sd::http {

// 400 for what the producer must fix, 401 for authentication, 403 for what the key or the
// policy forbids, 409, 413, 429 and 503 as their names say.
int ApiStatusFor(Reason reason);

// {"status":"rejected","reason":...,"detail":...}; the detail escaped and bounded.
std::string ApiErrorBody(Reason reason, std::string_view detail);
HttpServerResponse ApiError(Reason reason, std::string_view detail, int64_t retry_after_s = 0);

// The client's address: the TCP peer, unless the peer is one of `trusted_proxies`; then the
// X-Forwarded-For list is read from the right, skipping trusted proxies, and the first other
// entry is the client (the leftmost when all are trusted). Entries are taken as written, so a
// malformed one matches no allowlist (fails closed). A PROXY protocol header from a trusted
// peer comes first: its source address is the client unless it is a trusted proxy itself.
// GET /v1/messages/<id>: a job id as the API makes them (1-64 of A-Z a-z 0-9 - _ . :).
bool ValidJobId(std::string_view id);
// The value of `name` in a status record, "" when absent.
std::string StatusField(const std::vector<std::pair<std::string, std::string>>& status,
                        std::string_view name);
// The JSON answer for a status record: id, status (queued, submitted, rejected), created, and
// when known the outcome (reason, detail, carrier, message_id, segments, outcome_ts) and the
// latest receipt {status, ts, err}. Values were bounded and escaped when the outcome and the
// receipt were written.
std::string ApiStatusBody(const std::string& id,
                          const std::vector<std::pair<std::string, std::string>>& status);

std::string ApiClientAddress(const HttpServerRequest& request,
                             const std::vector<Cidr>& trusted_proxies);

}  // namespace sd::http
