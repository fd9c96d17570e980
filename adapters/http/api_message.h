#pragma once
// The JSON bodies of POST /v1/messages and POST /v1/messages/batch (docs/api.md, "Messages").
// Strict like the job map: known fields only, each of its type, nothing nested deeper than the
// shape allows (checked on the bytes before the parser builds anything). The job's own rules
// (number, sender, text, lengths, validity) are the decision's: this only turns JSON into the
// fields of a job.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace sd::http {

struct ApiMessage {
  std::string to;
  std::string from;
  std::string text;
  JobKind kind = JobKind::kTransactional;
  std::string client_ref;
  int64_t validity_s = 0;  // 0: not given
  int64_t expires_ms = 0;  // 0: not given (at most one of the two)
  int64_t send_at_ms = 0;  // 0: now; a validity counts from it
};

// One message object. Errors are malformed (with the field named), never quoting a value.
Result<ApiMessage> ParseApiMessage(std::string_view body);

// {"messages": [ {...}, ... ]}: at most `max_items` items. The whole body fails for bad JSON,
// a wrong shape or too many items; each item is parsed on its own, so one bad item fails only
// itself.
Result<std::vector<Result<ApiMessage>>> ParseApiBatch(std::string_view body, size_t max_items);

}  // namespace sd::http
