#include "daemon/cli/key_incident.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "adapters/policy/phone_number_checker.h"
#include "core/envelope.h"
#include "core/log_safe.h"
#include "daemon/cli/keys.h"

namespace sd::cli {
namespace {

using Fields = std::map<std::string, std::string>;
using Tally = std::map<std::string, uint64_t>;
constexpr size_t kPage = 1000;
constexpr size_t kMaxEntries = 2'000'000;  // far above any stream's trim length

std::string Str(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

// Entries of `stream` from `since_ms` on (stream ids are their ms), page by page.
bool ReadSince(RedisClient& redis, const std::string& stream, int64_t since_ms,
               std::vector<std::pair<std::string, Fields>>* out) {
  std::string start = std::to_string(since_ms) + "-0";
  for (;;) {
    RedisReplyPtr r = redis.Command({"XRANGE", stream, start, "+", "COUNT", std::to_string(kPage)});
    if (!r || r->type != REDIS_REPLY_ARRAY) {
      fprintf(stderr, "smsdispatch keys: XRANGE %s: %s\n", stream.c_str(),
              r ? LogSafe(Str(r.get()), 200).c_str() : redis.error().c_str());
      return false;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
      Fields f;
      const redisReply* kv = e->element[1];
      for (size_t k = 0; kv->type == REDIS_REPLY_ARRAY && k + 1 < kv->elements; k += 2) {
        f[Str(kv->element[k])] = Str(kv->element[k + 1]);
      }
      out->emplace_back(Str(e->element[0]), std::move(f));
    }
    if (r->elements < kPage || out->size() >= kMaxEntries) return true;
    start = "(" + out->back().first;
  }
}

struct Report {
  Tally outcomes, countries, prefixes, senders, kinds, refused, addresses;
  uint64_t jobs = 0, refused_total = 0;
  int64_t first_ms = 0, last_ms = 0;
};

// The jobs of `entries` (the outcomes' entry ids), one pipelined XRANGE each.
void TallyJobs(RedisClient& redis, const std::string& stream,
               const std::vector<std::string>& entries, Report* rep) {
  for (const std::string& e : entries) redis.Append({"XRANGE", stream, e, e});
  for (size_t i = 0; i < entries.size(); ++i) {
    RedisReplyPtr r = redis.GetReply();
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 1) continue;
    const redisReply* kv = r->element[0]->element[1];
    for (size_t k = 0; kv->type == REDIS_REPLY_ARRAY && k + 1 < kv->elements; k += 2) {
      if (Str(kv->element[k]) != "job") continue;
      auto job = DecodeJob(Str(kv->element[k + 1]));
      if (!job.ok()) continue;
      const NumberInfo n = PhoneNumberChecker::LookupUncached(job->destination);
      ++rep->countries[n.region.empty() ? "??" : n.region];
      ++rep->prefixes[job->destination.substr(0, 5)];
      ++rep->senders[job->sender];
      ++rep->kinds[std::string(JobKindName(job->kind))];
    }
  }
}

// The client address an API refusal recorded ("https api from <addr>: ..."), else "".
std::string AddressOf(const std::string& detail) {
  constexpr std::string_view kFrom = "https api from ";
  if (detail.rfind(kFrom, 0) != 0) return "";
  const size_t end = detail.find(": ", kFrom.size());
  return detail.substr(kFrom.size(), end == std::string::npos ? 64 : end - kFrom.size());
}

nlohmann::json Top(const Tally& t, size_t n = 20) {
  std::vector<std::pair<std::string, uint64_t>> v(t.begin(), t.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [k, c] : v) j.push_back({LogSafe(k, 64), c});
  return j;
}

std::string Line(const nlohmann::json& top) {
  std::string s;
  for (const auto& kv : top) {
    s += (s.empty() ? "" : ", ") + kv[0].get<std::string>() + " " + std::to_string(kv[1].get<uint64_t>());
  }
  return s.empty() ? "-" : s;
}

}  // namespace

bool PrintIncident(RedisClient& redis, const IncidentQuery& q) {
  std::vector<std::pair<std::string, Fields>> outcomes, audit;
  if (!ReadSince(redis, q.outcomes_stream, q.since_ms, &outcomes) ||
      !ReadSince(redis, q.audit_stream, q.since_ms, &audit)) {
    return false;
  }
  Report rep;
  std::vector<std::string> entries;
  for (const auto& [id, f] : outcomes) {
    if (f.count("kid") == 0 || f.at("kid") != q.key_id) continue;
    ++rep.jobs;
    const std::string reason = f.count("reason") ? f.at("reason") : "";
    ++rep.outcomes[f.count("status") ? f.at("status") + (reason.empty() ? "" : ":" + reason) : "?"];
    const int64_t ts = std::atoll(id.c_str());
    rep.first_ms = rep.first_ms == 0 ? ts : std::min(rep.first_ms, ts);
    rep.last_ms = std::max(rep.last_ms, ts);
    if (f.count("entry") && !f.at("entry").empty()) entries.push_back(f.at("entry"));
  }
  TallyJobs(redis, q.jobs_stream, entries, &rep);
  for (const auto& [id, f] : audit) {
    if (f.count("kid") == 0 || f.at("kid") != q.key_id) continue;
    ++rep.refused_total;
    ++rep.refused[f.count("reason") ? f.at("reason") : "?"];
    const std::string addr = AddressOf(f.count("detail") ? f.at("detail") : "");
    if (!addr.empty()) ++rep.addresses[addr];
  }
  const nlohmann::json j{{"key_id", q.key_id},          {"since", FormatTime(q.since_ms)},
                         {"jobs", rep.jobs},            {"first", FormatTime(rep.first_ms)},
                         {"last", FormatTime(rep.last_ms)}, {"outcomes", Top(rep.outcomes)},
                         {"countries", Top(rep.countries)}, {"prefixes", Top(rep.prefixes)},
                         {"senders", Top(rep.senders)}, {"kinds", Top(rep.kinds)},
                         {"refused", rep.refused_total}, {"refused_by_reason", Top(rep.refused)},
                         {"refused_from", Top(rep.addresses)}};
  if (q.json) {
    printf("%s\n", j.dump().c_str());
    return true;
  }
  printf("incident report for %s since %s\n", q.key_id.c_str(), FormatTime(q.since_ms).c_str());
  printf("  jobs: %llu, first %s, last %s\n", static_cast<unsigned long long>(rep.jobs),
         FormatTime(rep.first_ms).c_str(), FormatTime(rep.last_ms).c_str());
  printf("  outcomes: %s\n", Line(j["outcomes"]).c_str());
  printf("  countries: %s\n  prefixes: %s\n", Line(j["countries"]).c_str(),
         Line(j["prefixes"]).c_str());
  printf("  senders: %s\n  kinds: %s\n", Line(j["senders"]).c_str(), Line(j["kinds"]).c_str());
  printf("  refused attempts (audit): %llu: %s\n  refused from: %s\n",
         static_cast<unsigned long long>(rep.refused_total), Line(j["refused_by_reason"]).c_str(),
         Line(j["refused_from"]).c_str());
  return true;
}

}  // namespace sd::cli
