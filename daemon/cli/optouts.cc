// smsdispatch optouts list|add|remove|import (docs/inbound.md, "Opt-outs"): the opt-outs every
// daemon enforces. Changes go through the same script as a recipient's STOP (the hash, the
// version, the change log and the audit stream in one step), so every daemon applies them
// within about half a second.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/optout_writes.h"
#include "core/addresses.h"
#include "core/log_safe.h"
#include "core/optout.h"
#include "core/optout_csv.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch optouts list|add|remove|import [REDIS OPTIONS] [--key-prefix sd:] ...\n"
    "  list [--number +N] [--scope S] [--limit N] [--json]   opt-outs in force\n"
    "  add --number +N (--sender ID | --group NAME | --all) [--note TEXT] [--by WHO]\n"
    "  remove --number +N (--sender ID | --group NAME | --all) [--by WHO]\n"
    "  import --file F.csv (--sender ID | --group NAME | --all) [--skip-bad] [--note TEXT]\n"
    "Scopes: --sender one sender id or number, --group a [[optouts.group]] of the daemons'\n"
    "config, --all every sender. Every daemon applies a change within about a second; each\n"
    "change is audited (an import as one event).\n";

constexpr size_t kImportBatch = 1000;
constexpr int64_t kMaxImportBytes = 512LL << 20;

std::string Str(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len)
                                                       : std::string();
}

// The scope the options name; "" with *why set when they name none or more than one.
std::string ScopeFrom(const Args& args, std::string* why) {
  const int named =
      (args.Has("sender") ? 1 : 0) + (args.Has("group") ? 1 : 0) + (args.Has("all") ? 1 : 0);
  if (named != 1) {
    *why = "name exactly one of --sender, --group or --all";
    return "";
  }
  if (args.Has("all")) return std::string(kScopeAll);
  if (args.Has("group")) {
    const std::string g = args.Get("group");
    if (!ValidOptOutGroupName(g)) *why = "--group: 1 to 32 of a-z, 0-9, _ and -";
    return why->empty() ? "g:" + g : "";
  }
  const std::string s = args.Get("sender");
  if (!IsValidSender(s)) {
    *why = "--sender: a sender id (up to 11 letters, digits, spaces) or a number";
    return "";
  }
  return "s:" + NormalizeSender(s);
}

// The file's numbers, or the exit code when it cannot be read or has bad lines.
std::optional<std::vector<std::string>> ReadImport(const std::string& path, bool skip_bad,
                                                   int* exit_code) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxImportBytes) {
    fprintf(stderr, "smsdispatch optouts: %s: not a readable file of at most 512 MiB\n",
            path.c_str());
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const OptOutCsv csv = ParseOptOutCsv(text.str());
  for (const std::string& p : csv.problems) fprintf(stderr, "%s:%s\n", path.c_str(), p.c_str());
  if (csv.problem_count > csv.problems.size()) {
    fprintf(stderr, "%s: ... %zu more\n", path.c_str(), csv.problem_count - csv.problems.size());
  }
  if (csv.problem_count > 0 && !skip_bad) {
    fprintf(stderr,
            "smsdispatch optouts: %zu of %zu lines have no usable number; nothing imported "
            "(fix them, or --skip-bad to import the rest)\n",
            csv.problem_count, csv.lines);
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  return csv.numbers;
}

// The changes, in batches, through the opt-out script. Returns the changes made, or -1.
long long Apply(RedisClient& redis, const redis::OptOutKeys& keys,
                const std::vector<OptOutChange>& changes, const redis::OptOutOrigin& origin,
                bool audit_each, std::string* error) {
  long long made = 0;
  for (size_t at = 0; at < changes.size(); at += kImportBatch) {
    const auto first = changes.begin() + static_cast<std::ptrdiff_t>(at);
    const std::vector<OptOutChange> batch(
        first, first + static_cast<std::ptrdiff_t>(std::min(kImportBatch, changes.size() - at)));
    std::vector<std::string> argv = {"EVAL", redis::kOptOutsScript.body, "4"};
    keys.AppendTo(&argv);
    redis::AppendOptOutBlock(batch, origin, 1'000'000, &argv, audit_each);
    RedisReplyPtr r = redis.Command(argv);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
      *error = r && r->type == REDIS_REPLY_ERROR ? std::string(r->str) : redis.error();
      return -1;
    }
    made += r->integer;
  }
  return made;
}

// One audit event for a whole import (an event per number would flood the audit stream).
void AuditImport(RedisClient& redis, const redis::OptOutKeys& keys, const std::string& detail,
                 int64_t now_ms) {
  RedisReplyPtr r =
      redis.Command({"XADD", keys.audit, "*", "reason", "opted_out", "action", "optouts_imported",
                     "entry", "", "job", "", "kid", "", "dest", "", "detail", LogSafe(detail, 256),
                     "ts", std::to_string(now_ms)});
  if (!r || r->type != REDIS_REPLY_STRING) {
    fprintf(stderr, "smsdispatch optouts: warning: the import's audit event was not written\n");
  }
}

// add, remove, import.
int Change(RedisClient& redis, const redis::OptOutKeys& keys, const std::string& verb,
           const std::string& scope, const Args& args, const redis::OptOutOrigin& origin) {
  std::vector<OptOutChange> changes;
  if (verb == "import") {
    int code = kExitOk;
    auto numbers = ReadImport(args.Get("file"), args.Has("skip-bad"), &code);
    if (!numbers) return code;
    for (std::string& n : *numbers) changes.push_back({true, scope, std::move(n)});
  } else {
    changes.push_back({verb == "add", scope, args.Get("number")});
  }
  std::string error;
  const long long made = Apply(redis, keys, changes, origin, verb != "import", &error);
  if (made < 0) {
    fprintf(stderr, "smsdispatch optouts: %s failed: %s\n", verb.c_str(), error.c_str());
    return kExitFailure;
  }
  if (verb == "import") {
    AuditImport(redis, keys,
                "imported " + std::to_string(made) + " new of " + std::to_string(changes.size()) +
                    " numbers for " + scope + " from " + LogSafe(args.Get("file"), 100) + " by " +
                    origin.source,
                origin.now_ms);
    printf("imported %lld new opt-out(s) of %zu number(s) for %s (%zu already opted out)\n", made,
           changes.size(), scope.c_str(), changes.size() - static_cast<size_t>(made));
    return kExitOk;
  }
  printf("%s %s for %s%s (every daemon within about a second)\n",
         verb == "add" ? "opted out" : "opted in", changes[0].number.c_str(), scope.c_str(),
         made == 0 ? (verb == "add" ? ": already opted out" : ": was not opted out") : "");
  return kExitOk;
}

int List(RedisClient& redis, const std::string& hash, const Args& args, bool json) {
  std::string match = "*";
  if (args.Has("scope") && args.Has("number")) {
    match = args.Get("scope") + "|" + args.Get("number");
  } else if (args.Has("scope")) {
    match = args.Get("scope") + "|*";
  } else if (args.Has("number")) {
    match = "*|" + args.Get("number");
  }
  const int64_t limit = args.Has("limit") ? std::atoll(args.Get("limit").c_str()) : 1000;
  nlohmann::json out = nlohmann::json::array();
  int64_t shown = 0, total = 0;
  std::string cursor = "0";
  do {
    RedisReplyPtr page = redis.Command({"HSCAN", hash, cursor, "MATCH", match, "COUNT", "1000"});
    if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) {
      fprintf(stderr, "smsdispatch optouts: HSCAN failed: %s\n", redis.error().c_str());
      return kExitFailure;
    }
    cursor = Str(page->element[0]);
    const redisReply* items = page->element[1];
    for (size_t i = 0; i + 1 < items->elements; i += 2) {
      auto r = ParseOptOut(Str(items->element[i]), Str(items->element[i + 1]));
      if (!r) continue;
      ++total;
      if (shown >= limit) continue;
      ++shown;
      if (json) {
        out.push_back({{"scope", r->scope},
                       {"number", r->number},
                       {"since_ms", r->created_ms},
                       {"source", r->source},
                       {"note", r->note}});
      } else {
        printf("%-16s %-22s since %s  %s  %s\n", r->number.c_str(), r->scope.c_str(),
               FormatTime(r->created_ms).c_str(), LogSafe(r->source).c_str(),
               LogSafe(r->note).c_str());
      }
    }
  } while (cursor != "0");
  if (json) {
    printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    printf("%lld opt-out(s)%s\n", static_cast<long long>(total),
           shown < total ? (", " + std::to_string(shown) + " shown (--limit)").c_str() : "");
  }
  return kExitOk;
}

}  // namespace

int RunOptOuts(int argc, char** argv) {
  Args args(
      kSynopsis,
      WithRedisOptions({{"key-prefix", "P", "the daemons' [redis] key_prefix (default sd:)"},
                        {"audit-stream", "S", "the daemons' [redis] audit_stream (sd:audit)"},
                        {"number", "+N", "the recipient's number (E.164)"},
                        {"sender", "ID", "the scope: one sender id or number"},
                        {"group", "NAME", "the scope: an [[optouts.group]]"},
                        {"all", "", "the scope: every sender"},
                        {"scope", "S", "list: only this scope (*, g:NAME, s:ID)"},
                        {"file", "F", "import: the CSV file"},
                        {"skip-bad", "", "import: import the good lines of a file with bad ones"},
                        {"note", "TEXT", "why (at most 200 characters)"},
                        {"by", "WHO", "who (default: the login name)"},
                        {"limit", "N", "list: at most N shown (default 1000)"},
                        {"json", "", "list: one JSON array"}}));
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch optouts: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  const std::string verb = argc > 2 ? argv[2] : "";
  if (verb == "--help" || verb == "-h") {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  if (verb != "list" && verb != "add" && verb != "remove" && verb != "import") {
    return usage("list, add, remove or import?");
  }
  if (!args.Parse(argc, argv, 3)) return usage(args.error());
  const std::string note = args.Get("note");
  if (note.size() > kMaxOptOutNote || LogSafe(note, kMaxOptOutNote) != note ||
      note.find('|') != std::string::npos) {
    return usage("--note: at most 200 printable characters, no '|'");
  }
  const std::string by = args.Get("by", LoginName());
  if (by.size() > 64 || LogSafe(by, 64) != by || by.find('|') != std::string::npos) {
    return usage("--by: at most 64 printable characters, no '|'");
  }
  const std::string number = args.Get("number");
  if ((verb == "add" || verb == "remove" || args.Has("number")) && !IsE164(number)) {
    return usage("--number: '+' and 1 to 15 digits (E.164)");
  }
  if (args.Has("scope") && !ValidOptOutScope(args.Get("scope"))) {
    return usage("--scope: *, g:NAME or s:ID");
  }
  std::string why;
  const std::string scope = verb == "list" ? "" : ScopeFrom(args, &why);
  if (!why.empty()) return usage(why);
  if (verb == "import" && !args.Has("file")) return usage("import needs --file");
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch optouts: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string key_prefix = args.Get("key-prefix", "sd:");
  const auto keys = redis::OptOutKeys::For(key_prefix, args.Get("audit-stream", "sd:audit"));
  if (verb == "list") return List(*redis, keys.hash, args, args.Has("json"));
  return Change(*redis, keys, verb, scope, args, {"cli:" + by, note, WallNowMs()});
}

}  // namespace sd::cli
