#include "daemon/cli/daemon_stats.h"

namespace sd::cli {
namespace {
// SCAN page size: a deployment has a handful of daemons; the keyspace may be large.
constexpr const char* kScanCount = "1000";
}  // namespace

std::string ReplyText(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

bool ReadDaemonStats(RedisClient& redis, const std::string& key_prefix, DaemonStats* out,
                     std::string* error) {
  const std::string prefix = key_prefix + "stats:";
  std::string cursor = "0";
  do {
    RedisReplyPtr page =
        redis.Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", kScanCount});
    if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) {
      *error = "SCAN failed: " +
               (page && page->type == REDIS_REPLY_ERROR ? ReplyText(page.get()) : redis.error());
      return false;
    }
    cursor = ReplyText(page->element[0]);
    const redisReply* keys = page->element[1];
    for (size_t i = 0; keys->type == REDIS_REPLY_ARRAY && i < keys->elements; ++i) {
      const std::string key = ReplyText(keys->element[i]);
      RedisReplyPtr h = redis.Command({"HGETALL", key});
      if (!h || h->type != REDIS_REPLY_ARRAY) continue;  // expired between SCAN and HGETALL
      auto& fields = (*out)[key.substr(prefix.size())];
      for (size_t j = 0; j + 1 < h->elements; j += 2) {
        fields[ReplyText(h->element[j])] = ReplyText(h->element[j + 1]);
      }
      if (fields.empty()) out->erase(key.substr(prefix.size()));
    }
  } while (cursor != "0");
  return true;
}

}  // namespace sd::cli
