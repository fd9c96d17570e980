#pragma once
// A synchronous hiredis connection for the CLI: connect by --redis HOST:PORT or --redis-unix
// PATH, AUTH from a mode-checked password file, binary-safe commands, pipelining.
#include <hiredis/hiredis.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/cli/args.h"

namespace sd::cli {

struct RedisContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
struct RedisReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// `options` and the ones every Redis-using subcommand accepts (listed under "Redis options").
std::vector<OptionSpec> WithRedisOptions(std::vector<OptionSpec> options);

class RedisClient {
 public:
  // Connects as the options say. nullopt with *error set on a usage or connection problem;
  // *usage_error tells the two apart (exit 2 versus 1).
  // `slot_name`: with --redis-cluster, the name whose slot's master to connect to (default:
  // --stream, else --key-prefix).
  static std::optional<RedisClient> Connect(const Args& args, std::string* error, bool* usage_error,
                                            const std::string& slot_name = "");

  // One command, one round trip. Null on a connection error (see error()).
  RedisReplyPtr Command(const std::vector<std::string>& argv);
  // Pipelining: queue commands, then read their replies in order.
  void Append(const std::vector<std::string>& argv);
  RedisReplyPtr GetReply();

  std::string error() const { return ctx_ && ctx_->err ? ctx_->errstr : "connection lost"; }

 private:
  explicit RedisClient(redisContext* c) : ctx_(c) {}
  // A connected context (or a failed one, freed here): timeouts, then AUTH as the options say.
  static std::optional<RedisClient> Open(redisContext* c, const std::string& where,
                                         const Args& args, std::string* error);
  // --redis-cluster (redis_cluster_client.cc): the master of the slot of the command's names.
  static std::optional<RedisClient> ConnectToCluster(const Args& args, std::string* error,
                                                     bool* usage_error,
                                                     const std::string& slot_name);
  std::unique_ptr<redisContext, RedisContextDeleter> ctx_;
};

// A string reply's bytes; "" for a reply of any other type (or none).
std::string ReplyStr(const redisReply* r);

// The pattern of the watched hashes every daemon polls (blocks, quotas): MULTI, `change`
// (an HSET or HDEL), INCR `version_key`, EXEC, in one round trip, so a daemon that sees the new
// version reads the change. False with *error (Redis' own words) when it was not applied.
bool ChangeAndBumpVersion(RedisClient& redis, const std::vector<std::string>& change,
                          const std::string& version_key, std::string* error);

}  // namespace sd::cli
