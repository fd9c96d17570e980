// smsdispatch quotas show|set|reset: the segment quotas every daemon enforces (docs/limits.md,
// "Quotas"). Definitions are the hash <prefix>quotas with its version counter (changed together
// in one MULTI/EXEC, so every daemon notices within about a second); the usage is one counter
// per subject and UTC day or month (<prefix>quota:{<subject>}:d:<YYYYMMDD> and :m:<YYYYMM>).
#include "core/quotas.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/key_record.h"
#include "core/log_safe.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch quotas show|set|reset [REDIS OPTIONS] [--key-prefix sd:] ...\n"
    "  show [--json]                                 quotas and this UTC day's and month's use\n"
    "  set (--key NAME | --tenant NAME) [--daily N] [--monthly N] [--members A,B,...]\n"
    "                                                set (or with --remove, delete) a quota\n"
    "  reset (--key NAME | --tenant NAME) [--period day|month|both]\n"
    "                                                start the current period's count at 0\n"
    "Quotas count segments (cost units with [[quota_cost]]), fleet-wide; a job over one is\n"
    "rejected with quota_exceeded.\n";

long long Int(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING ? std::stoll(std::string(r->str, r->len))
                                                       : 0;
}

std::string CounterKey(const std::string& prefix, const std::string& subject,
                       const std::string& period) {
  return prefix + "quota:{" + subject + "}:" + period;  // as adapters/redis/lease_agent
}

std::vector<QuotaDefinition> ReadAll(RedisClient& redis, const std::string& hash, bool* ok) {
  std::vector<QuotaDefinition> out;
  RedisReplyPtr all = redis.Command({"HGETALL", hash});
  *ok = all && all->type == REDIS_REPLY_ARRAY;
  for (size_t i = 0; *ok && i + 1 < all->elements; i += 2) {
    if (auto d = ParseQuota(ReplyStr(all->element[i]), ReplyStr(all->element[i + 1]))) {
      out.push_back(std::move(*d));
    }
  }
  return out;
}

std::string Use(long long used, int64_t quota) {
  if (quota <= 0) return std::to_string(used) + " (no quota)";
  return std::to_string(used) + " of " + std::to_string(quota) + " (" +
         std::to_string(used * 100 / quota) + " %)";
}

int Show(RedisClient& redis, const std::string& prefix, bool json) {
  bool ok = false;
  std::vector<QuotaDefinition> defs = ReadAll(redis, prefix + "quotas", &ok);
  if (!ok) {
    fprintf(stderr, "smsdispatch quotas: HGETALL failed: %s\n", redis.error().c_str());
    return kExitFailure;
  }
  const QuotaPeriods p = QuotaPeriodsAt(WallNowMs());
  nlohmann::json out = nlohmann::json::array();
  for (const QuotaDefinition& d : defs) {
    const long long day =
        Int(redis.Command({"GET", CounterKey(prefix, d.subject, "d:" + p.day)}).get());
    const long long month =
        Int(redis.Command({"GET", CounterKey(prefix, d.subject, "m:" + p.month)}).get());
    if (json) {
      out.push_back({{"subject", d.subject},
                     {"daily", d.daily},
                     {"monthly", d.monthly},
                     {"members", d.members},
                     {"day", p.day},
                     {"day_used", day},
                     {"month", p.month},
                     {"month_used", month}});
      continue;
    }
    std::string members;
    for (const std::string& m : d.members) members += (members.empty() ? "" : ",") + m;
    printf("%-28s day %s: %s  month %s: %s%s\n", d.subject.c_str(), p.day.c_str(),
           Use(day, d.daily).c_str(), p.month.c_str(), Use(month, d.monthly).c_str(),
           members.empty() ? "" : ("  keys " + members).c_str());
  }
  if (json) {
    printf("%s\n", out.dump().c_str());
  } else if (defs.empty()) {
    printf("no quotas set\n");
  }
  return kExitOk;
}

}  // namespace

namespace {

// The subject the options name; empty (and `why` set) when they do not name one.
std::string SubjectOf(const Args& args, std::string* why) {
  const bool key = args.Has("key");
  const bool tenant = args.Has("tenant");
  if (key == tenant) {
    *why = "name one of --key NAME or --tenant NAME";
    return "";
  }
  const std::string name(key ? KeyFamily(args.Get("key")) : args.Get("tenant"));
  if (!ValidQuotaName(name)) {
    *why = "a name is 1 to 64 of letters, digits, '_', '-' and '.'";
    return "";
  }
  return (key ? "key:" : "tenant:") + name;
}

// The new definition from --daily, --monthly and --members; nullopt (and `why`) when invalid
// or when a member already belongs to another tenant.
std::optional<QuotaDefinition> NewDefinition(Args& args, const std::string& subject,
                                             const std::vector<QuotaDefinition>& current,
                                             std::string* why) {
  QuotaDefinition d;
  d.subject = subject;
  const auto daily = args.Int("daily", 0, 0, kMaxQuota);
  const auto monthly = args.Int("monthly", 0, 0, kMaxQuota);
  if (!daily || !monthly) {
    *why = args.error();
    return std::nullopt;
  }
  d.daily = *daily;
  d.monthly = *monthly;
  std::string members = args.Get("members");
  if (!members.empty() && subject.starts_with("key:")) {
    *why = "--members: only a tenant has members";
    return std::nullopt;
  }
  const std::optional<QuotaDefinition> parsed = ParseQuota(subject, QuotaValue(d) + members);
  if (!parsed) {
    *why = "give --daily N and/or --monthly N (segments), and --members as key names A,B,...";
    return std::nullopt;
  }
  for (const QuotaDefinition& other : current) {
    if (other.subject == subject) continue;
    for (const std::string& m : parsed->members) {
      for (const std::string& o : other.members) {
        if (m == o) {
          *why = "--members: key '" + m + "' is already in " + other.subject;
          return std::nullopt;
        }
      }
    }
  }
  return parsed;
}

int Set(Args& args, RedisClient& redis, const std::string& prefix, const std::string& subject) {
  bool ok = false;
  const std::vector<QuotaDefinition> current = ReadAll(redis, prefix + "quotas", &ok);
  if (!ok) {
    fprintf(stderr, "smsdispatch quotas: HGETALL failed: %s\n", redis.error().c_str());
    return kExitFailure;
  }
  std::vector<std::string> change{"HDEL", prefix + "quotas", subject};
  std::string why;
  if (!args.Has("remove")) {
    const std::optional<QuotaDefinition> d = NewDefinition(args, subject, current, &why);
    if (!d) {
      fprintf(stderr, "smsdispatch quotas: %s\n%s", why.c_str(), args.Help().c_str());
      return kExitUsage;
    }
    change = {"HSET", prefix + "quotas", subject, QuotaValue(*d)};
  }
  if (!ChangeAndBumpVersion(redis, change, prefix + "quotas:version", &why)) {
    fprintf(stderr, "smsdispatch quotas: set failed: %s\n", why.c_str());
    return kExitFailure;
  }
  printf("%s %s\n", args.Has("remove") ? "removed" : "set", subject.c_str());
  return kExitOk;
}

int Reset(const Args& args, RedisClient& redis, const std::string& prefix,
          const std::string& subject) {
  const std::string period = args.Get("period", "both");
  if (period != "day" && period != "month" && period != "both") {
    fprintf(stderr, "smsdispatch quotas: --period is day, month or both\n");
    return kExitUsage;
  }
  const QuotaPeriods p = QuotaPeriodsAt(WallNowMs());
  std::vector<std::string> del{"DEL"};
  if (period != "month") del.push_back(CounterKey(prefix, subject, "d:" + p.day));
  if (period != "day") del.push_back(CounterKey(prefix, subject, "m:" + p.month));
  RedisReplyPtr r = redis.Command(del);
  if (!r || r->type != REDIS_REPLY_INTEGER) {
    fprintf(stderr, "smsdispatch quotas: reset failed: %s\n",
            r && r->type == REDIS_REPLY_ERROR ? r->str : redis.error().c_str());
    return kExitFailure;
  }
  printf("reset %s for %s (UTC day %s, month %s)\n", subject.c_str(), period.c_str(), p.day.c_str(),
         p.month.c_str());
  return kExitOk;
}

}  // namespace

int RunQuotas(int argc, char** argv) {
  Args args(
      kSynopsis,
      WithRedisOptions({{"key-prefix", "P", "the daemons' [redis] key_prefix (default sd:)"},
                        {"key", "NAME", "a key's quota (a key name or id: its family)"},
                        {"tenant", "NAME", "a tenant's quota (a named group of keys)"},
                        {"daily", "N", "set: segments (or cost units) per UTC day (0: none)"},
                        {"monthly", "N", "set: segments (or cost units) per UTC month (0: none)"},
                        {"members", "A,B", "set: the tenant's key names"},
                        {"remove", "", "set: delete the quota"},
                        {"period", "P", "reset: day, month or both (default both)"},
                        {"json", "", "show: one JSON array"}}));
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch quotas: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  const std::string verb = argc > 2 ? argv[2] : "";
  if (verb == "--help" || verb == "-h") {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  if (verb != "show" && verb != "set" && verb != "reset") return usage("show, set or reset?");
  if (!args.Parse(argc, argv, 3)) return usage(args.error());
  std::string why;
  const std::string subject = verb == "show" ? "" : SubjectOf(args, &why);
  if (verb != "show" && subject.empty()) return usage(why);
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch quotas: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string prefix = args.Get("key-prefix", "sd:");
  if (verb == "show") return Show(*redis, prefix, args.Has("json"));
  if (verb == "set") return Set(args, *redis, prefix, subject);
  return Reset(args, *redis, prefix, subject);
}

}  // namespace sd::cli
