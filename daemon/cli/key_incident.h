#pragma once
// smsdispatch keys revoke --incident: after revoking a key, what it did in the last hours, from
// what Redis already holds (docs/keys.md, "When a key leaks"): its outcomes (jobs by status and
// reason, first and last), the jobs behind them (countries, number prefixes, senders, kinds)
// and the audit stream (refused attempts by reason, and the client addresses the HTTPS API
// recorded). Read-only; bounded by the streams' own trimming.
#include <cstdint>
#include <string>

#include "daemon/cli/redis_client.h"

namespace sd::cli {

struct IncidentQuery {
  std::string key_id;  // exactly this version
  int64_t since_ms = 0;
  std::string jobs_stream = "sd:jobs";
  std::string outcomes_stream = "sd:outcomes";
  std::string audit_stream = "sd:audit";
  bool json = false;
};

// Prints the report on stdout; false (with the reason on stderr) when Redis fails.
bool PrintIncident(RedisClient& redis, const IncidentQuery& q);

}  // namespace sd::cli
