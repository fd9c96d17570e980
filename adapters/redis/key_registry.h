#pragma once
// The key registry in Redis, shared by every daemon (docs/keys.md):
//
//   <prefix>keys           hash: key id -> sealed key record (adapters/crypto/sealed_box.h)
//   <prefix>keys:version   counter, incremented by every change in the same script
//   <prefix>keys:changed   channel: the new version is published after every change
//
// Writers (the CLI) change the registry only through the update script, which checks what
// each field held before (so a concurrent revoke is never overwritten), writes, increments the
// version and publishes it atomically. The watcher (daemons) loads the whole registry at start,
// reloads when a change is published, and polls the version so that a lost message (pub/sub
// is fire-and-forget) delays a change by one poll interval at most.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/crypto/sealed_box.h"
#include "adapters/redis/redis_connection.h"
#include "core/key_record.h"
#include "core/result.h"

struct redisReply;

namespace sd::redis {

struct KeyRegistryNames {
  std::string hash;
  std::string version;
  std::string channel;
  // prefix "sd:" gives sd:keys, sd:keys:version, sd:keys:changed.
  static KeyRegistryNames ForPrefix(std::string_view prefix);
};

// A registry of more keys than this is a mistake (or an attack on daemon memory).
inline constexpr size_t kMaxRegistryKeys = 10'000;

// One field change for the update script.
struct KeyRecordWrite {
  std::string key_id;
  std::string expected_sealed;  // what the field must hold now; "" = must not exist (create)
  std::string sealed;           // the new sealed record
};

// EVAL argv of the update script. Returns the new version (integer) or an error reply
// "CONFLICT <key id> ..." when a field did not hold what was expected (nothing is written).
std::vector<std::string> KeyRegistryUpdateCommand(const KeyRegistryNames& names,
                                                  const std::vector<KeyRecordWrite>& writes);
// EVAL argv that reads the version and the whole hash atomically: reply
// [version (string), [field, value, ...]].
std::vector<std::string> KeyRegistryLoadCommand(const KeyRegistryNames& names);

// The registry as read from Redis, still sealed.
struct SealedRegistry {
  uint64_t version = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // key id -> sealed record
};
// Parses the load script's reply; the error names what was wrong (never a value).
Result<SealedRegistry> ParseKeyRegistryLoad(const redisReply* reply);

// Opens one sealed record (AAD = key id) and decodes it; the record's id must equal key_id.
Result<KeyRecord> OpenKeyRecord(const MasterKey& master, std::string_view key_id,
                                std::string_view sealed);
// Seals a record under its own id.
Result<std::string> SealKeyRecord(const MasterKey& master, const KeyRecord& record);
// Opens every record and builds the snapshot. Any bad record fails the whole registry: a
// daemon keeps its previous snapshot rather than run on a partial one.
Result<std::shared_ptr<const KeyRegistrySnapshot>> OpenKeyRegistry(const MasterKey& master,
                                                                   const SealedRegistry& sealed);

struct KeyRegistryWatcherOptions {
  KeyRegistryNames names = KeyRegistryNames::ForPrefix("sd:");
  // How often the version is polled. With 250 ms, a change whose message was lost reaches the
  // daemon within 250 ms + one load round trip; the requirement is 1 s for a revocation.
  int64_t poll_interval_ms = 250;
};

// Keeps an up-to-date KeyRegistrySnapshot on the loop. Two connections: commands (with the
// heartbeat) and pub/sub (SUBSCRIBE takes a connection over).
class KeyRegistryWatcher {
 public:
  using SnapshotFn = std::function<void(std::shared_ptr<const KeyRegistrySnapshot>)>;
  using ProblemFn = std::function<void(const std::string& why)>;

  KeyRegistryWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint, MasterKey master,
                     KeyRegistryWatcherOptions options = {});
  // Close() must have completed before destruction.
  ~KeyRegistryWatcher();
  KeyRegistryWatcher(const KeyRegistryWatcher&) = delete;
  KeyRegistryWatcher& operator=(const KeyRegistryWatcher&) = delete;

  // Called with every new snapshot (the first one after the initial load, then one per
  // registry version), on the loop.
  void SetOnSnapshot(SnapshotFn fn) { on_snapshot_ = std::move(fn); }
  // Called when a registry version could not be used (bad record, wrong master key, rollback
  // of a revocation); the previous snapshot stays in force. Never contains a secret.
  void SetOnProblem(ProblemFn fn) { on_problem_ = std::move(fn); }
  void Start();
  void Close(std::function<void()> done);

  // The snapshot in force; null until the first successful load.
  const std::shared_ptr<const KeyRegistrySnapshot>& snapshot() const { return snapshot_; }

  uint64_t loads() const { return loads_; }                // snapshots built
  uint64_t failed_loads() const { return failed_loads_; }  // versions refused
  uint64_t messages() const { return messages_; }          // change messages received
  uint64_t polls() const { return polls_; }                // version polls answered
  uint64_t rollbacks() const { return rollbacks_; }        // un-revocations refused
  // Keys this process has seen revoked (it only grows: revocation is one-way).
  size_t revocations_seen() const { return revoked_seen_.size(); }

 private:
  void Poll();
  void OnVersion(uint64_t version);
  void Load();
  void OnLoaded(redisReply* reply);
  void Problem(const std::string& why);

  uv_loop_t* loop_;
  MasterKey master_;
  KeyRegistryWatcherOptions options_;
  RedisConnection commands_;
  RedisConnection pubsub_;
  uv_timer_t poll_timer_;
  bool started_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> closed_;
  // One load at a time; a change noticed meanwhile loads again when it returns.
  bool loading_ = false;
  bool reload_wanted_ = false;
  bool poll_outstanding_ = false;
  std::shared_ptr<const KeyRegistrySnapshot> snapshot_;
  // The version that was refused: not loaded again until the version moves on, so a bad
  // record is reported once per change, not once per poll.
  std::optional<uint64_t> refused_version_;
  std::optional<uint64_t> last_seen_version_;  // from the latest poll or message
  // Ids this process has seen revoked. Revocation is one-way: a later registry that shows
  // one of them unrevoked (a Redis writer replaying an old sealed record) is refused.
  std::unordered_set<std::string> revoked_seen_;
  SnapshotFn on_snapshot_;
  ProblemFn on_problem_;
  uint64_t loads_ = 0;
  uint64_t failed_loads_ = 0;
  uint64_t messages_ = 0;
  uint64_t polls_ = 0;
  uint64_t rollbacks_ = 0;
};

}  // namespace sd::redis
