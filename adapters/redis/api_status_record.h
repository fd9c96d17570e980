// The HTTPS API's status record of a job (docs/api.md, "Redis"): one string per job,
// `sd:api:st:<job id>`, of fields "<name>:<length>:<value>" in the order written. The API
// writes it with the job (SET … PX, which also guards the request's signature against replay);
// the commit and receipt scripts append the outcome's and the receipt's fields (APPEND), so a
// later value of a name replaces an earlier one. One key and one call per write, where a hash
// needed HSET and PEXPIRE at creation and EXISTS before each update. Records made before this
// format are hashes under `sd:api:msg:<job id>`, read and updated while they last.
#pragma once

#include <string>
#include <string_view>

#include "core/ports.h"

namespace sd::redis {

inline constexpr std::string_view kApiStatusPrefix = "api:st:";
inline constexpr std::string_view kApiLegacyStatusPrefix = "api:msg:";

// Appends one field. `name` is one of ours ([a-z_]+, no ':'); `value` any bytes.
void AppendStatusField(std::string& out, std::string_view name, std::string_view value);

// The fields in the order first written, each with its latest value. False when the bytes
// end inside a field or a length does not parse (what came before is kept in `out`).
bool DecodeStatusRecord(std::string_view record, ApiStatus& out);

}  // namespace sd::redis
