#pragma once
// What a status callback carries (docs/api.md, "Status callbacks"): an outcome or receipt
// entry of the streams as a Standard Webhooks event, and who gets it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ports.h"

namespace sd::http {

// The key whose callback gets `entry`, or "" when nobody should: an entry without a job id
// (the job was never decoded, so its signature was never verified and anyone could have made
// it name the key), and a trimmed entry (no fields).
std::string_view CallbackKeyId(const StatusEntry& entry);

// The event's webhook-id: "msg_o_<entry id>" for an outcome, "msg_r_<entry id>" for a
// receipt. The same for every attempt and every daemon: receivers de-duplicate by it.
std::string CallbackEventId(const StatusEntry& entry);

// When the entry was written: the milliseconds of its id ("<ms>-<seq>"); nullopt if the id is
// not of that form.
std::optional<int64_t> EntryTimeMs(std::string_view entry_id);

// The JSON body: {"type": "message.submitted" | "message.rejected" | "message.receipt",
// "timestamp": RFC 3339 UTC of the entry's time, "data": {the entry's documented fields}}.
// Only documented fields are copied (docs/jobs.md §6, §7), each bounded; segments, ts,
// parts and delivered_parts as numbers, the rest as strings (invalid UTF-8 replaced).
std::string CallbackBody(const StatusEntry& entry);

}  // namespace sd::http
