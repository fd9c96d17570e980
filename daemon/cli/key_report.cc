#include "daemon/cli/key_report.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/log_safe.h"
#include "core/usage_tally.h"
#include "daemon/cli/keys.h"

namespace sd::cli {
namespace {

constexpr int kDays = 30;
constexpr int64_t kDayMs = 86'400'000;

using Tally = std::map<std::string, uint64_t>;

struct Usage {
  uint64_t jobs_1d = 0, jobs_7d = 0, jobs_30d = 0;
  Tally outcomes, countries, kinds, senders;
  int64_t last_used = 0;
};

std::string Str(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
}

// One day's hash into `u`; `day` 0 is today.
void Add(const redisReply* r, int day, Usage* u) {
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
    const std::string f = Str(r->element[i]);
    const int64_t n = std::atoll(Str(r->element[i + 1]).c_str());
    if (f == "last_used") {
      u->last_used = std::max(u->last_used, n);
      continue;
    }
    const size_t colon = f.find(':');
    const std::string kind = f.substr(0, colon), value = f.substr(colon + 1);
    const auto c = static_cast<uint64_t>(n);
    if (kind == "outcome") {
      u->outcomes[value] += c;
      if (day < 1) u->jobs_1d += c;
      if (day < 7) u->jobs_7d += c;
      u->jobs_30d += c;
    } else if (kind == "country") {
      u->countries[value] += c;
    } else if (kind == "kind") {
      u->kinds[value] += c;
    } else if (kind == "sender") {
      u->senders[value] += c;
    }
  }
}

std::vector<std::string> Names(const Tally& t) {
  std::vector<std::string> v;
  for (const auto& [k, n] : t) v.push_back(k);
  return v;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + LogSafe(x, 64);
  return s;
}

// "--countries DE,FR" when the key allows more than it uses (or anything), else "".
std::string Narrower(const char* option, const std::vector<std::string>& allowed,
                     const Tally& used) {
  if (used.empty()) return "";
  const std::vector<std::string> names = Names(used);
  if (!allowed.empty() && allowed.size() <= names.size()) return "";
  return std::string("--") + option + " " + Join(names);
}

std::vector<std::string> AllowedKinds(uint8_t bits) {
  std::vector<std::string> v;
  for (JobKind k : {JobKind::kOtp, JobKind::kTransactional, JobKind::kMarketing}) {
    if (bits & KindBit(k)) v.emplace_back(JobKindName(k));
  }
  return v;
}

nlohmann::json Entry(const KeyRecord& r, const Usage& u, const KeyReportOptions& o) {
  const std::vector<std::string> kinds = AllowedKinds(r.scopes.kinds);
  nlohmann::json suggest = nlohmann::json::array();
  for (const std::string& s :
       {Narrower("countries", r.scopes.countries, u.countries),
        Narrower("kinds", kinds.size() == 3 ? std::vector<std::string>{} : kinds, u.kinds),
        Narrower("senders", r.scopes.senders, u.senders)}) {
    if (!s.empty()) suggest.push_back(s);
  }
  const bool active = !r.revoked && (r.not_after_ms == 0 || r.not_after_ms > o.now_ms);
  nlohmann::json flags = nlohmann::json::array();
  if (active && (u.last_used == 0 || o.now_ms - u.last_used > o.unused_days * kDayMs)) {
    flags.push_back("unused for " + std::to_string(o.unused_days) + " days");
  }
  if (active && o.now_ms - r.created_ms > o.rotation_days * kDayMs) {
    flags.push_back("older than the rotation period (" + std::to_string(o.rotation_days) +
                    " days): rotate");
  }
  return {{"id", r.id},
          {"state", r.revoked ? "revoked" : active ? "active" : "expired"},
          {"mode", r.test_mode ? "test" : "live"},
          {"created", FormatTime(r.created_ms)},
          {"last_used", FormatTime(u.last_used)},
          {"jobs", {{"1d", u.jobs_1d}, {"7d", u.jobs_7d}, {"30d", u.jobs_30d}}},
          {"outcomes_30d", u.outcomes},
          {"countries_30d", u.countries},
          {"kinds_30d", u.kinds},
          {"senders_30d", u.senders},
          {"suggest", suggest},
          {"flags", flags}};
}

void PrintText(const nlohmann::json& e) {
  auto tally = [](const nlohmann::json& t) {
    std::string s;
    for (const auto& [k, n] : t.items()) s += (s.empty() ? "" : ", ") + LogSafe(k, 64) + " " + n.dump();
    return s.empty() ? std::string("-") : s;
  };
  printf("%s (%s, %s, created %s, last used %s)\n", e["id"].get<std::string>().c_str(),
         e["state"].get<std::string>().c_str(), e["mode"].get<std::string>().c_str(),
         e["created"].get<std::string>().c_str(), e["last_used"].get<std::string>().c_str());
  printf("  jobs 1d/7d/30d: %s/%s/%s; outcomes: %s\n", e["jobs"]["1d"].dump().c_str(),
         e["jobs"]["7d"].dump().c_str(), e["jobs"]["30d"].dump().c_str(),
         tally(e["outcomes_30d"]).c_str());
  printf("  countries: %s; kinds: %s; senders: %s\n", tally(e["countries_30d"]).c_str(),
         tally(e["kinds_30d"]).c_str(), tally(e["senders_30d"]).c_str());
  for (const auto& s : e["suggest"]) printf("  narrower scope: %s\n", s.get<std::string>().c_str());
  for (const auto& f : e["flags"]) printf("  ! %s\n", f.get<std::string>().c_str());
}

}  // namespace

bool PrintKeyReport(RedisClient& redis, const std::vector<const KeyRecord*>& keys,
                    const KeyReportOptions& o) {
  for (const KeyRecord* r : keys) {
    for (int d = 0; d < kDays; ++d) {
      redis.Append({"HGETALL", o.prefix + "usage:" + r->id + ":" + UsageDay(o.now_ms - d * kDayMs)});
    }
  }
  nlohmann::json all = nlohmann::json::array();
  for (const KeyRecord* r : keys) {
    Usage u;
    for (int d = 0; d < kDays; ++d) {
      RedisReplyPtr reply = redis.GetReply();
      if (!reply) {
        fprintf(stderr, "smsdispatch keys: Redis: %s\n", redis.error().c_str());
        return false;
      }
      Add(reply.get(), d, &u);
    }
    all.push_back(Entry(*r, u, o));
  }
  if (o.json) {
    printf("%s\n", all.dump().c_str());
    return true;
  }
  for (const auto& e : all) PrintText(e);
  return true;
}

}  // namespace sd::cli
