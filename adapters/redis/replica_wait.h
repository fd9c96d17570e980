#pragma once
// `WAIT n timeout` until n replicas have what a connection wrote ([redis] wait_replicas,
// docs/redis.md "Replication and failover"), for the stores that write on a connection of
// their own (the HTTPS API's, recipients' messages, fleet-wide leases). The job store gates
// its batches itself (replica_gate.cc): it must also re-send writes a lost connection took.
#include <cstdint>
#include <functional>
#include <string>

#include "adapters/redis/redis_connection.h"

namespace sd::redis {

struct ReplicaWait {
  enum class Outcome : uint8_t {
    kReplicated,  // n replicas have every write the connection sent before the WAIT
    kGaveUp,      // fewer, and `again` said stop asking
    kLost,        // the connection went (or was down): nothing says any replica has them
    kRefused,     // an error reply (an ACL without WAIT): `error` quotes it
  };
  Outcome outcome = Outcome::kLost;
  std::string error;
};

// Sends WAIT `replicas` `timeout_ms` on `conn` and asks again while fewer answer and `again()`
// says to; `answered(short)` sees every numeric answer first (for counters). `done` runs once.
void WaitForReplicas(RedisConnection& conn, int64_t replicas, int64_t timeout_ms,
                     std::function<bool()> again, std::function<void(bool short_answer)> answered,
                     std::function<void(ReplicaWait)> done);

}  // namespace sd::redis
