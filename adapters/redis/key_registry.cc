#include "adapters/redis/key_registry.h"

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {
namespace {

// KEYS[1] hash, KEYS[2] version counter; ARGV[1] channel, then (key id, expected, new)
// triples. Every expectation is checked before anything is written, so a conflict changes
// nothing. HGET of a missing field is false in Lua.
constexpr const char* kUpdateScript = R"lua(
local n = (#ARGV - 1) / 3
for i = 0, n - 1 do
  local id, expected = ARGV[2 + 3 * i], ARGV[3 + 3 * i]
  local cur = redis.call('HGET', KEYS[1], id)
  if expected == '' then
    if cur then return redis.error_reply('CONFLICT ' .. id .. ' already exists') end
  elseif cur ~= expected then
    return redis.error_reply('CONFLICT ' .. id .. ' changed meanwhile')
  end
end
for i = 0, n - 1 do
  redis.call('HSET', KEYS[1], ARGV[2 + 3 * i], ARGV[4 + 3 * i])
end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], v)
return v
)lua";

// KEYS[1] hash, KEYS[2] version counter. One script, so version and hash match.
constexpr const char* kLoadScript = R"lua(
local v = redis.call('GET', KEYS[2])
return {v or '0', redis.call('HGETALL', KEYS[1])}
)lua";

Error Bad(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

std::optional<uint64_t> ParseVersion(std::string_view s) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

KeyRegistryNames KeyRegistryNames::ForPrefix(std::string_view prefix) {
  const std::string p(prefix);
  return KeyRegistryNames{p + "keys", p + "keys:version", p + "keys:changed"};
}

std::vector<std::string> KeyRegistryUpdateCommand(const KeyRegistryNames& names,
                                                  const std::vector<KeyRecordWrite>& writes) {
  std::vector<std::string> argv{"EVAL",     kUpdateScript, "2",
                                names.hash, names.version, names.channel};
  for (const KeyRecordWrite& w : writes) {
    argv.push_back(w.key_id);
    argv.push_back(w.expected_sealed);
    argv.push_back(w.sealed);
  }
  return argv;
}

std::vector<std::string> KeyRegistryLoadCommand(const KeyRegistryNames& names) {
  return {"EVAL", kLoadScript, "2", names.hash, names.version};
}

Result<SealedRegistry> ParseKeyRegistryLoad(const redisReply* r) {
  if (r == nullptr) return Bad("connection lost while loading the key registry");
  if (r->type == REDIS_REPLY_ERROR) return Bad("loading the key registry: " + ReplyString(r));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
    return Bad("unexpected reply shape loading the key registry");
  }
  SealedRegistry out;
  const auto v = ParseVersion(ReplyString(r->element[0]));
  if (!v) return Bad("the key registry version is not a counter");
  out.version = *v;
  const redisReply* h = r->element[1];
  if (h->elements % 2 != 0) return Bad("odd HGETALL reply for the key registry");
  if (h->elements / 2 > kMaxRegistryKeys) {
    return Bad("the key registry holds more than " + std::to_string(kMaxRegistryKeys) + " keys");
  }
  out.fields.reserve(h->elements / 2);
  for (size_t i = 0; i < h->elements; i += 2) {
    if (h->element[i]->type != REDIS_REPLY_STRING ||
        h->element[i + 1]->type != REDIS_REPLY_STRING) {
      return Bad("non-string field in the key registry");
    }
    out.fields.emplace_back(ReplyString(h->element[i]), ReplyString(h->element[i + 1]));
  }
  return out;
}

Result<KeyRecord> OpenKeyRecord(const MasterKey& master, std::string_view key_id,
                                std::string_view sealed) {
  // The field name may be anything a Redis writer chose: quote a bounded, printable form.
  std::string shown;
  for (char c : key_id.substr(0, 64)) {
    shown.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  std::optional<std::string> plain = Open(master, key_id, sealed);
  if (!plain) {
    return Bad("key '" + shown +
               "': sealed record does not open (wrong master key, tampered, or moved from "
               "another key id)");
  }
  auto record = DecodeKeyRecord(*plain);
  // The decoded record keeps its own copy of the secret; this one is wiped.
  OPENSSL_cleanse(plain->data(), plain->size());
  if (!record) return Bad("key '" + shown + "': " + record.error().detail);
  if (record->id != key_id) return Bad("key '" + shown + "': record names another key id");
  return record;
}

Result<std::string> SealKeyRecord(const MasterKey& master, const KeyRecord& record) {
  if (auto problem = ValidateKeyRecord(record)) return Bad(*problem);
  std::string plain = EncodeKeyRecord(record);
  auto sealed = Seal(master, record.id, plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  return sealed;
}

Result<std::shared_ptr<const KeyRegistrySnapshot>> OpenKeyRegistry(const MasterKey& master,
                                                                   const SealedRegistry& sealed) {
  std::vector<KeyRecord> records;
  records.reserve(sealed.fields.size());
  for (const auto& [id, box] : sealed.fields) {
    auto r = OpenKeyRecord(master, id, box);
    if (!r) return r.error();
    records.push_back(std::move(r).value());
  }
  return KeyRegistrySnapshot::Build(sealed.version, std::move(records));
}

// ---- the watcher ----

KeyRegistryWatcher::KeyRegistryWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint,
                                       MasterKey master, KeyRegistryWatcherOptions options)
    : loop_(loop),
      master_(std::move(master)),
      options_(std::move(options)),
      commands_(loop, endpoint, "keys"),
      pubsub_(
          loop,
          [&endpoint] {
            RedisEndpoint e = endpoint;
            e.heartbeat_ms = 0;  // see RedisConnection::Subscribe; the poll covers it
            return e;
          }(),
          "keys-pubsub") {
  uv_timer_init(loop_, &poll_timer_);
  poll_timer_.data = this;
}

KeyRegistryWatcher::~KeyRegistryWatcher() = default;

void KeyRegistryWatcher::Start() {
  if (started_) return;
  started_ = true;
  commands_.SetOnReady([this] { Load(); });
  commands_.SetOnDown([this] {
    loading_ = false;  // the pending reply came back null
    poll_outstanding_ = false;
  });
  pubsub_.SetOnReady([this] {
    pubsub_.Subscribe(options_.names.channel, [this](redisReply* r) {
      // ["message", channel, payload]; the subscribe confirmation is ["subscribe", ...].
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
          ReplyString(r->element[0]) != "message") {
        return;
      }
      ++messages_;
      const auto v = ParseVersion(ReplyString(r->element[2]));
      if (v) OnVersion(*v);
    });
    // A change published while the subscriber was down is found by this check.
    Poll();
  });
  commands_.Start();
  pubsub_.Start();
  const auto every = static_cast<uint64_t>(std::max<int64_t>(options_.poll_interval_ms, 1));
  uv_timer_start(
      &poll_timer_, [](uv_timer_t* t) { static_cast<KeyRegistryWatcher*>(t->data)->Poll(); }, every,
      every);
}

void KeyRegistryWatcher::Poll() {
  if (closing_ || poll_outstanding_ || !commands_.ready()) return;
  poll_outstanding_ = commands_.Command({"GET", options_.names.version}, [this](redisReply* r) {
    poll_outstanding_ = false;
    if (r == nullptr || closing_) return;
    if (r->type == REDIS_REPLY_ERROR) {
      Problem("polling the key registry version: " + ReplyString(r));
      return;
    }
    ++polls_;
    const auto v =
        r->type == REDIS_REPLY_NIL ? std::optional<uint64_t>(0) : ParseVersion(ReplyString(r));
    if (!v) {
      Problem("the key registry version is not a counter");
      return;
    }
    OnVersion(*v);
  });
}

void KeyRegistryWatcher::OnVersion(uint64_t version) {
  last_seen_version_ = version;
  if (snapshot_ && snapshot_->version() == version) return;
  if (refused_version_ && *refused_version_ == version) return;
  Load();
}

void KeyRegistryWatcher::Load() {
  if (closing_) return;
  if (loading_) {
    reload_wanted_ = true;
    return;
  }
  loading_ = commands_.Command(KeyRegistryLoadCommand(options_.names),
                               [this](redisReply* r) { OnLoaded(r); });
}

void KeyRegistryWatcher::OnLoaded(redisReply* reply) {
  loading_ = false;
  if (closing_) return;
  if (reply == nullptr) return;  // connection lost: on_ready loads again
  auto sealed = ParseKeyRegistryLoad(reply);
  if (!sealed) {
    // Unusable as a whole (e.g. too many keys): like a bad record, reported once per version.
    ++failed_loads_;
    if (last_seen_version_) refused_version_ = *last_seen_version_;
    Problem(sealed.error().detail);
  } else if (!snapshot_ || snapshot_->version() != sealed->version) {
    auto snap = OpenKeyRegistry(master_, *sealed);
    if (!snap) {
      ++failed_loads_;
      refused_version_ = sealed->version;
      Problem("key registry version " + std::to_string(sealed->version) +
              " refused, keeping version " +
              (snapshot_ ? std::to_string(snapshot_->version()) : std::string("(none)")) + ": " +
              snap.error().detail);
    } else {
      // Revocation is one-way within this process: an id seen revoked stays revoked even if
      // a later registry shows it active (only a replayed old record can do that).
      std::shared_ptr<const KeyRegistrySnapshot> next = std::move(snap).value();
      std::vector<KeyRecord> patched;
      bool rolled_back = false;
      for (const RegisteredKey* k : next->All()) {
        KeyRecord r = k->record;
        if (r.revoked) {
          revoked_seen_.insert(r.id);
        } else if (revoked_seen_.count(r.id) > 0) {
          ++rollbacks_;
          rolled_back = true;
          Problem("key '" + r.id + "' was revoked and now shows as active; it stays revoked");
          r.revoked = true;
          r.revoked_at_ms = std::max<int64_t>(r.not_before_ms, 1);
        }
        patched.push_back(std::move(r));
      }
      if (rolled_back) {
        auto rebuilt = KeyRegistrySnapshot::Build(next->version(), std::move(patched));
        if (rebuilt) next = std::move(rebuilt).value();
      }
      refused_version_.reset();
      snapshot_ = std::move(next);
      ++loads_;
      if (on_snapshot_) on_snapshot_(snapshot_);
    }
  }
  if (reload_wanted_) {
    reload_wanted_ = false;
    Poll();
  }
}

void KeyRegistryWatcher::Problem(const std::string& why) {
  spdlog::warn("key registry: {}", Untrusted(why, kLogMessageMax));
  if (on_problem_) on_problem_(why);
}

void KeyRegistryWatcher::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  pending_closes_ = 3;
  auto one_closed = [this] {
    if (--pending_closes_ == 0 && closed_) {
      auto cb = std::move(closed_);
      closed_ = nullptr;
      cb();
    }
  };
  uv_timer_stop(&poll_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_timer_), [](uv_handle_t* h) {
    auto* self = static_cast<KeyRegistryWatcher*>(h->data);
    if (--self->pending_closes_ == 0 && self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();
    }
  });
  commands_.Close(false, one_closed);
  pubsub_.Close(false, one_closed);
}

}  // namespace sd::redis
