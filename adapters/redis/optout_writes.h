#pragma once
// How opt-out changes are written (docs/redis.md, "Opt-outs"), shared by the inbound store (a
// keyword reply, in the same script as the message) and `smsdispatch optouts`: the four keys
// and the argument block adapters/redis/lua/optout_helpers.lua reads.
#include <cstdint>
#include <string>
#include <vector>

#include "core/optout.h"

namespace sd::redis {

struct OptOutKeys {
  std::string hash;     // <prefix>optouts: field "<scope>|<number>", value core/optout.h
  std::string version;  // <prefix>optouts:version, bumped by every change made
  std::string log;      // <prefix>optouts:log: one entry per change (v, op, field)
  std::string audit;    // the audit stream

  static OptOutKeys For(const std::string& key_prefix, const std::string& audit_stream);
  void AppendTo(std::vector<std::string>* keys) const;
};

inline constexpr int64_t kOptOutLogMaxlen = 100'000;

// Who made a change and why, for the stored value and the audit event.
struct OptOutOrigin {
  std::string source;  // "mo:<carrier>", "cli:<who>", "import"
  std::string note;    // the keyword, or the operator's note (bounded by the caller)
  int64_t now_ms = 0;
};

// Appends the block: log maxlen, audit maxlen, the count, then each change with its audit
// event (reason opted_out, action optout_added/optout_removed, the number masked), or with
// none when `audit_each` is false (an import: its caller audits it once).
void AppendOptOutBlock(const std::vector<OptOutChange>& changes, const OptOutOrigin& origin,
                       int64_t audit_maxlen, std::vector<std::string>* argv,
                       bool audit_each = true);

}  // namespace sd::redis
