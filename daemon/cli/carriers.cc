// smsdispatch carriers list|pause|resume|drain NAME: the operators' runtime control of carriers
// (docs/operations.md, "Runtime control"; core/carrier_control.h). A change is one MULTI/EXEC:
// the record in <prefix>carriers:control, its version counter, which every daemon polls
// (about a second), and an audit event on the audit stream, so a change is never made without
// its record. `list` shows what was asked and what each running daemon reports doing.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/carrier_control.h"
#include "core/log_safe.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/daemon_stats.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch carriers list [REDIS OPTIONS] [--key-prefix sd:] [--json]\n"
    "       smsdispatch carriers pause|resume|drain NAME [--note TEXT] [--by WHO] ...\n"
    "  list    what operators asked of each carrier, and what each running daemon does\n"
    "  pause   NAME takes no new jobs and sends nothing more; its routes fail over\n"
    "  drain   NAME takes no new jobs; it sends what already waits for it\n"
    "  resume  NAME takes jobs again\n"
    "Every daemon applies a change within about a second; each change is audited.\n";

constexpr size_t kMaxName = 64;

struct Names {
  std::string control, version, audit;
};

// The record (or its removal for resume), the version, and the audit event, together.
bool Change(RedisClient& redis, const Names& n, const std::string& carrier,
            const CarrierControlRecord& r, std::string* error) {
  const std::string state(CarrierControlName(r.state));
  redis.Append({"MULTI"});
  if (r.state == CarrierControl::kActive) {
    redis.Append({"HDEL", n.control, carrier});
  } else {
    redis.Append({"HSET", n.control, carrier, CarrierControlValue(r)});
  }
  redis.Append({"INCR", n.version});
  redis.Append({"XADD", n.audit, "*", "reason", "none", "action", "carrier_" + state, "entry", "",
                "job", "", "kid", "", "dest", "", "detail",
                "carrier " + carrier + " " + state + " by " + r.by + ": " + r.note, "ts",
                std::to_string(r.since_ms)});
  redis.Append({"EXEC"});
  RedisReplyPtr last;
  for (int i = 0; i < 5; ++i) last = redis.GetReply();
  if (!last || last->type != REDIS_REPLY_ARRAY || last->elements != 3) {
    *error = last && last->type == REDIS_REPLY_ERROR ? std::string(last->str) : redis.error();
    return false;
  }
  for (size_t i = 0; i < last->elements; ++i) {
    if (last->element[i]->type == REDIS_REPLY_ERROR) {
      *error = last->element[i]->str;
      return false;
    }
  }
  return true;
}

// "carrier.<name>.<field>" of one daemon's stats, "" when absent.
std::string Field(const std::map<std::string, std::string>& fields, const std::string& carrier,
                  const std::string& field) {
  auto it = fields.find("carrier." + carrier + "." + field);
  return it == fields.end() ? "" : it->second;
}

std::string DaemonState(const std::map<std::string, std::string>& fields,
                        const std::string& carrier) {
  for (const char* s : {"active", "paused", "draining", "reopening", "removed"}) {
    if (Field(fields, carrier, std::string("state_") + s) == "1") return s;
  }
  return "";
}

int List(RedisClient& redis, const Names& n, const std::string& key_prefix, bool json) {
  RedisReplyPtr all = redis.Command({"HGETALL", n.control});
  DaemonStats daemons;
  std::string error;
  if (!all || all->type != REDIS_REPLY_ARRAY ||
      !ReadDaemonStats(redis, key_prefix, &daemons, &error)) {
    fprintf(stderr, "smsdispatch carriers: reading Redis failed: %s\n",
            error.empty() ? redis.error().c_str() : error.c_str());
    return kExitFailure;
  }
  std::map<std::string, CarrierControlRecord> asked;
  for (size_t i = 0; i + 1 < all->elements; i += 2) {
    if (auto r = ParseCarrierControlValue(ReplyText(all->element[i + 1]))) {
      asked[ReplyText(all->element[i])] = *r;
    }
  }
  std::set<std::string> names;
  for (const auto& [name, r] : asked) names.insert(name);
  for (const auto& [consumer, fields] : daemons) {
    for (const auto& [k, v] : fields) {
      const size_t at = k.find(".state_");
      if (k.rfind("carrier.", 0) == 0 && at != std::string::npos && v == "1") {
        names.insert(k.substr(8, at - 8));
      }
    }
  }
  names.erase("test");  // the built-in test carrier is not operated
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& name : names) {
    const auto it = asked.find(name);
    const CarrierControlRecord r = it == asked.end() ? CarrierControlRecord{} : it->second;
    nlohmann::json per = nlohmann::json::object();
    if (!json) {
      printf("carrier %s: %s", LogSafe(name).c_str(),
             std::string(CarrierControlName(r.state)).c_str());
      if (it != asked.end()) {
        printf(" since %s by %s%s%s", FormatTime(r.since_ms).c_str(), LogSafe(r.by).c_str(),
               r.note.empty() ? "" : ": ", LogSafe(r.note).c_str());
      }
      printf("\n");
    }
    for (const auto& [consumer, fields] : daemons) {
      const std::string state = DaemonState(fields, name);
      if (state.empty()) continue;
      const std::string queued = Field(fields, name, "queued");
      const std::string at = Field(fields, name, "at_carrier");
      const std::string bound = Field(fields, name, "binds_bound");
      per[consumer] = {
          {"state", state}, {"queued", queued}, {"at_carrier", at}, {"binds_bound", bound}};
      if (!json) {
        printf("  daemon %-24s %-9s %s queued, %s at the carrier%s%s\n", LogSafe(consumer).c_str(),
               state.c_str(), queued.c_str(), at.c_str(), bound.empty() ? "" : ", binds bound ",
               bound.c_str());
      }
    }
    out[name] = {{"asked", std::string(CarrierControlName(r.state))},
                 {"since_ms", r.since_ms},
                 {"by", r.by},
                 {"note", r.note},
                 {"daemons", per}};
  }
  if (json) {
    printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (names.empty()) {
    printf("no carriers: no daemon reports any, and none was paused or drained\n");
  }
  return kExitOk;
}

}  // namespace

int RunCarriers(int argc, char** argv) {
  Args args(kSynopsis,
            WithRedisOptions({{"key-prefix", "P", "the daemons' [redis] key_prefix (default sd:)"},
                              {"audit-stream", "S", "the daemons' [redis] audit_stream (sd:audit)"},
                              {"note", "TEXT", "why (at most 200 characters)"},
                              {"by", "WHO", "who asks (default: the login name)"},
                              {"json", "", "list: one JSON object"}}));
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch carriers: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  const std::string verb = argc > 2 ? argv[2] : "";
  if (verb == "--help" || verb == "-h") {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  const auto state = verb == "pause"   ? CarrierControl::kPaused
                     : verb == "drain" ? CarrierControl::kDraining
                                       : CarrierControl::kActive;
  if (verb != "list" && verb != "pause" && verb != "resume" && verb != "drain") {
    return usage("list, pause, resume or drain?");
  }
  const std::string name = verb != "list" && argc > 3 ? argv[3] : "";
  if (verb != "list" && (name.empty() || name[0] == '-')) return usage(verb + " needs NAME");
  if (name.size() > kMaxName || LogSafe(name, kMaxName) != name) {
    return usage("NAME: at most 64 printable characters");
  }
  if (!args.Parse(argc, argv, verb == "list" ? 3 : 4)) return usage(args.error());
  const std::string note = args.Get("note");
  if (note.size() > kMaxCarrierControlNote || LogSafe(note, kMaxCarrierControlNote) != note) {
    return usage("--note: at most 200 printable characters");
  }
  const std::string by = args.Get("by", LoginName());
  if (by.size() > kMaxName || LogSafe(by, kMaxName) != by || by.find('|') != std::string::npos) {
    return usage("--by: at most 64 printable characters, no '|'");
  }
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch carriers: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string key_prefix = args.Get("key-prefix", "sd:");
  const Names n{key_prefix + "carriers:control", key_prefix + "carriers:control:version",
                args.Get("audit-stream", "sd:audit")};
  if (verb == "list") return List(*redis, n, key_prefix, args.Has("json"));
  if (!Change(*redis, n, name, CarrierControlRecord{state, WallNowMs(), by, note}, &error)) {
    fprintf(stderr, "smsdispatch carriers: %s failed: %s\n", verb.c_str(), error.c_str());
    return kExitFailure;
  }
  printf("carrier %s: %s (every daemon within about a second)\n", name.c_str(),
         std::string(CarrierControlName(state)).c_str());
  DaemonStats daemons;
  if (ReadDaemonStats(*redis, key_prefix, &daemons, &error)) {
    bool known = false;
    for (const auto& [consumer, fields] : daemons)
      known = known || !DaemonState(fields, name).empty();
    if (!known) {
      fprintf(stderr, "smsdispatch carriers: warning: no running daemon reports a carrier '%s'\n",
              name.c_str());
    }
  }
  return kExitOk;
}

}  // namespace sd::cli
