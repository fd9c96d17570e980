// smsdispatch blocks list|add|lift: the SMS-pumping blocks every daemon enforces
// (docs/operations.md, "Blocks"): the hash <prefix>blocks and its version counter, changed
// together in one MULTI/EXEC so every daemon notices within its poll (about a second).
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/block_list.h"
#include "core/key_record.h"
#include "core/log_safe.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch blocks list|add|lift [REDIS OPTIONS] [--key-prefix sd:] ...\n"
    "  list                                        blocks in force (--json: one object)\n"
    "  add --prefix +NNN [--key NAME] [--duration 1h] [--note TEXT]\n"
    "                                              refuse jobs to the prefix (of one key)\n"
    "  lift --prefix +NNN [--key NAME]             end a block now\n"
    "Every daemon sees a change within about a second; refused jobs get pumping_suspected.\n";

int List(RedisClient& redis, const std::string& hash, bool json) {
  RedisReplyPtr all = redis.Command({"HGETALL", hash});
  if (!all || all->type != REDIS_REPLY_ARRAY) {
    fprintf(stderr, "smsdispatch blocks: HGETALL failed: %s\n", redis.error().c_str());
    return kExitFailure;
  }
  const int64_t now = WallNowMs();
  nlohmann::json out = nlohmann::json::array();
  size_t shown = 0;
  for (size_t i = 0; i + 1 < all->elements; i += 2) {
    auto b = ParseBlock(ReplyStr(all->element[i]), ReplyStr(all->element[i + 1]));
    if (!b || b->until_ms <= now) continue;
    ++shown;
    if (json) {
      out.push_back({{"prefix", b->prefix},
                     {"key", b->key_family},
                     {"until_ms", b->until_ms},
                     {"created_ms", b->created_ms},
                     {"rule", b->rule},
                     {"note", b->note}});
      continue;
    }
    printf("%-16s key %-20s until %s  by %s  %s\n", b->prefix.c_str(),
           b->key_family.empty() ? "(every key)" : LogSafe(b->key_family).c_str(),
           FormatTime(b->until_ms).c_str(), LogSafe(b->rule).c_str(), LogSafe(b->note).c_str());
  }
  if (json) {
    printf("%s\n", out.dump().c_str());
  } else if (shown == 0) {
    printf("no blocks in force\n");
  }
  return kExitOk;
}

}  // namespace

int RunBlocks(int argc, char** argv) {
  Args args(kSynopsis,
            WithRedisOptions({{"key-prefix", "P", "the daemons' [redis] key_prefix (default sd:)"},
                              {"prefix", "+NNN", "the destination prefix ('+', 1 to 15 digits)"},
                              {"key", "NAME", "only this key's jobs (a key name or id)"},
                              {"duration", "D", "add: how long, e.g. 30m, 24h (default 1h)"},
                              {"note", "TEXT", "add: why (at most 200 characters)"},
                              {"json", "", "list: one JSON array"}}));
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch blocks: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  const std::string verb = argc > 2 ? argv[2] : "";
  if (verb == "--help" || verb == "-h") {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  if (verb != "list" && verb != "add" && verb != "lift") return usage("list, add or lift?");
  if (!args.Parse(argc, argv, 3)) return usage(args.error());
  const std::string prefix = args.Get("prefix");
  if (verb != "list" && !ValidBlockPrefix(prefix)) {
    return usage("--prefix must be '+' and 1 to 15 digits");
  }
  const std::string family(KeyFamily(args.Get("key")));
  if (!family.empty() && !ValidKeyName(family)) return usage("--key: not a key name");
  const std::string note = args.Get("note");
  if (note.size() > kMaxBlockNote || LogSafe(note, kMaxBlockNote) != note) {
    return usage("--note: at most 200 printable characters");
  }
  const auto duration = ParseDurationMs(args.Get("duration", "1h"));
  if (!duration || *duration <= 0 || *duration > 30LL * 86'400'000) {
    return usage("--duration: e.g. 30m, 24h, at most 30d");
  }
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch blocks: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string key_prefix = args.Get("key-prefix", "sd:");
  const std::string hash = key_prefix + "blocks";
  if (verb == "list") return List(*redis, hash, args.Has("json"));
  Block b{prefix, family, WallNowMs() + *duration, WallNowMs(), "operator", note};
  const std::vector<std::string> change =
      verb == "add" ? std::vector<std::string>{"HSET", hash, BlockField(b), BlockValue(b)}
                    : std::vector<std::string>{"HDEL", hash, BlockField(b)};
  if (!ChangeAndBumpVersion(*redis, change, key_prefix + "blocks:version", &error)) {
    fprintf(stderr, "smsdispatch blocks: %s failed: %s\n", verb.c_str(), error.c_str());
    return kExitFailure;
  }
  printf("%s %s%s%s\n", verb == "add" ? "blocked" : "lifted", prefix.c_str(),
         family.empty() ? " for every key" : (" for key " + family).c_str(),
         verb == "add" ? (" until " + FormatTime(b.until_ms)).c_str() : "");
  return kExitOk;
}

}  // namespace sd::cli
