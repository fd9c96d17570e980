#include "daemon/cli/redis_client.h"

#include <sys/time.h>

#include <utility>

#include "daemon/lib/config.h"

namespace sd::cli {
namespace {

// Long enough for a busy Redis, short enough that a wrong address fails while the operator
// still waits for it.
constexpr timeval kConnectTimeout{5, 0};
// XADD and XRANGE answer in milliseconds; this bounds a hang on a wedged server.
constexpr timeval kCommandTimeout{30, 0};

}  // namespace

std::vector<OptionSpec> WithRedisOptions(std::vector<OptionSpec> options) {
  const char* group = "Redis options";
  options.push_back({"redis", "HOST:PORT", "Redis over TCP (default 127.0.0.1:6379)", group});
  options.push_back({"redis-unix", "PATH", "Redis over a Unix socket instead", group});
  options.push_back({"redis-cluster", "HOST:PORT,...",
                     "Redis Cluster seed nodes instead: the command goes to the master of the "
                     "slot of its names (hash-tagged, e.g. sd:{0}:)",
                     group});
  options.push_back({"user", "USER", "ACL user (needs --password-file)", group});
  options.push_back(
      {"password-file", "FILE", "file holding the Redis password (mode 0600)", group});
  return options;
}

std::optional<RedisClient> RedisClient::Connect(const Args& args, std::string* error,
                                                bool* usage_error, const std::string& slot_name) {
  *usage_error = true;
  if (args.Has("redis") + args.Has("redis-unix") + args.Has("redis-cluster") > 1) {
    *error = "--redis, --redis-unix and --redis-cluster exclude each other";
    return std::nullopt;
  }
  if (args.Has("redis-cluster")) return ConnectToCluster(args, error, usage_error, slot_name);
  if (args.Has("user") && !args.Has("password-file")) {
    *error = "--user needs --password-file";
    return std::nullopt;
  }
  redisContext* c = nullptr;
  std::string where;
  if (args.Has("redis-unix")) {
    where = args.Get("redis-unix");
    c = redisConnectUnixWithTimeout(where.c_str(), kConnectTimeout);
  } else {
    where = args.Get("redis", "127.0.0.1:6379");
    const auto colon = where.rfind(':');
    const std::optional<int64_t> port =
        colon == std::string::npos ? std::nullopt : ParseInt(where.substr(colon + 1));
    if (colon == 0 || !port || *port < 1 || *port > 65535) {
      *error = "--redis must be HOST:PORT with a port in [1, 65535], not '" + where + "'";
      return std::nullopt;
    }
    c = redisConnectWithTimeout(where.substr(0, colon).c_str(), static_cast<int>(*port),
                                kConnectTimeout);
  }
  *usage_error = false;
  return Open(c, where, args, error);
}

std::optional<RedisClient> RedisClient::Open(redisContext* c, const std::string& where,
                                             const Args& args, std::string* error) {
  if (c == nullptr || c->err) {
    *error = "cannot connect to Redis at " + where + ": " + (c ? c->errstr : "out of memory");
    if (c != nullptr) redisFree(c);
    return std::nullopt;
  }
  RedisClient client(c);
  redisSetTimeout(c, kCommandTimeout);
  if (args.Has("password-file")) {
    auto pw = ReadSecretFile(args.Get("password-file"));
    if (auto* e = std::get_if<ConfigError>(&pw)) {
      *error = e->ToString();
      return std::nullopt;
    }
    std::vector<std::string> auth{"AUTH"};
    if (args.Has("user")) auth.push_back(args.Get("user"));
    auth.push_back(std::move(std::get<std::string>(pw)));
    RedisReplyPtr r = client.Command(auth);
    if (!r) {
      *error = "Redis AUTH: " + client.error();
      return std::nullopt;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      // Redis' error text names no password.
      *error = "Redis AUTH failed: " + std::string(r->str, r->len);
      return std::nullopt;
    }
  }
  return client;
}

void RedisClient::Append(const std::vector<std::string>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> l;
  p.reserve(argv.size());
  l.reserve(argv.size());
  for (const auto& a : argv) {
    p.push_back(a.data());
    l.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), p.data(), l.data());
}

RedisReplyPtr RedisClient::GetReply() {
  void* raw = nullptr;
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) return nullptr;
  return RedisReplyPtr(static_cast<redisReply*>(raw));
}

RedisReplyPtr RedisClient::Command(const std::vector<std::string>& argv) {
  Append(argv);
  return GetReply();
}

std::string ReplyStr(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len)
                                                       : std::string();
}

bool ChangeAndBumpVersion(RedisClient& redis, const std::vector<std::string>& change,
                          const std::string& version_key, std::string* error) {
  redis.Append({"MULTI"});
  redis.Append(change);
  redis.Append({"INCR", version_key});
  redis.Append({"EXEC"});
  RedisReplyPtr last;
  for (int i = 0; i < 4; ++i) last = redis.GetReply();
  if (!last || last->type != REDIS_REPLY_ARRAY || last->elements != 2 ||
      last->element[0]->type == REDIS_REPLY_ERROR) {
    if (last && last->type == REDIS_REPLY_ARRAY && last->elements == 2) {
      *error = last->element[0]->str;
    } else {
      *error = last && last->type == REDIS_REPLY_ERROR ? std::string(last->str) : redis.error();
    }
    return false;
  }
  return true;
}

}  // namespace sd::cli
