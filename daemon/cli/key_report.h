#pragma once
// smsdispatch keys report: per key version, what it is used for against what its scopes
// allow (docs/keys.md, "Key audit"), from the per-day usage counters the daemons keep in Redis
// (adapters/redis/usage_store.h): jobs by outcome over 1, 7 and 30 days, the countries, kinds
// and senders actually used with a narrower scope suggested, keys unused for N days and keys
// older than the rotation period.
#include <cstdint>
#include <string>
#include <vector>

#include "core/key_record.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {

struct KeyReportOptions {
  std::string prefix = "sd:";
  int64_t now_ms = 0;
  int64_t unused_days = 30;
  int64_t rotation_days = 90;
  bool json = false;
};

// Prints the report of `keys` (sorted as given); false when Redis fails (said on stderr).
bool PrintKeyReport(RedisClient& redis, const std::vector<const KeyRecord*>& keys,
                    const KeyReportOptions& o);

}  // namespace sd::cli
