// smsdispatch stats: prints the counters every running daemon publishes as the hash
// <prefix>stats:<consumer> (daemon/lib/stats_report.h, docs/redis.md), so an operator or a
// monitoring script reads rejections by reason, receipts and carrier state without parsing logs.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/log_safe.h"
#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/daemon_stats.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch stats [REDIS OPTIONS] [--key-prefix sd:] [--json]\n"
    "Prints the counters each running daemon publishes every stats_interval_ms as the hash\n"
    "<key-prefix>stats:<consumer> (it expires after three intervals, so only live daemons\n"
    "show). Exit 0 when at least one daemon reported, 1 when none did.\n";

}  // namespace

int RunStats(int argc, char** argv) {
  Args args(kSynopsis,
            WithRedisOptions({{"key-prefix", "P", "the daemons' [redis] key_prefix (default sd:)"},
                              {"json", "", "one JSON object: consumer -> field -> value"}}));
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch stats: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  if (!args.Parse(argc, argv, 2)) return usage(args.error());
  if (args.Has("help")) {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch stats: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string prefix = args.Get("key-prefix", "sd:") + "stats:";
  DaemonStats daemons;
  if (!ReadDaemonStats(*redis, args.Get("key-prefix", "sd:"), &daemons, &error)) {
    fprintf(stderr, "smsdispatch stats: %s\n", error.c_str());
    return kExitFailure;
  }

  if (args.Has("json")) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [consumer, fields] : daemons) out[consumer] = fields;
    // Fields come from Redis: invalid UTF-8 is replaced rather than thrown on.
    printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (const auto& [consumer, fields] : daemons) {
      printf("daemon %s\n", LogSafe(consumer).c_str());
      for (const auto& [k, v] : fields) {
        printf("  %-40s %s\n", LogSafe(k).c_str(), LogSafe(v).c_str());
      }
    }
  }
  if (daemons.empty()) {
    fprintf(stderr, "smsdispatch stats: no daemon has published stats under %s*\n", prefix.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace sd::cli
