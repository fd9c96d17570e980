#pragma once
// A Redis hash every daemon keeps a copy of, with a version counter bumped in the same
// MULTI/EXEC as each change (pumping blocks, carrier control): Poll() reads the counter
// (one GET) and, when it moved, the hash (one HGETALL), which goes to `on_loaded`. Used on
// the owner's RedisConnection, from its poll timer and its ready handler.
#include <hiredis/hiredis.h>

#include <functional>
#include <optional>
#include <string>

#include "adapters/redis/redis_connection.h"

namespace sd::redis {

class HashWatch {
 public:
  // `on_loaded` gets HGETALL's reply (null or an error reply on failure; the hash is then
  // read again on the next poll) and answers whether it took it.
  using LoadedFn = std::function<bool(redisReply*)>;

  HashWatch(RedisConnection& conn, std::string hash, std::string version_key, LoadedFn on_loaded)
      : conn_(conn),
        hash_(std::move(hash)),
        version_key_(std::move(version_key)),
        on_loaded_(std::move(on_loaded)) {}

  void Poll();
  // The connection came back (read the hash again: it may have changed meanwhile) or went.
  void Reset() { version_.reset(); }
  void Down() { poll_outstanding_ = load_outstanding_ = false; }
  const std::string& hash() const { return hash_; }
  const std::string& version_key() const { return version_key_; }

 private:
  void Load();

  RedisConnection& conn_;
  std::string hash_;
  std::string version_key_;
  LoadedFn on_loaded_;
  bool poll_outstanding_ = false;
  bool load_outstanding_ = false;
  std::optional<long long> version_;  // last version whose hash was read
};

}  // namespace sd::redis
