// smsdispatch outcomes: summarises the outcome and receipt streams, optionally waiting until
// expected counts are there. The check at the end of every demo and load test.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/log_safe.h"
#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch outcomes [REDIS OPTIONS] [--outcomes-stream sd:outcomes]\n"
    "         [--receipts-stream sd:receipts] [--wait-for N [--wait-receipts M] --timeout-s T]\n"
    "         [--expect-entries FILE] [--json]\n"
    "Summarises outcomes (submitted, rejected by reason), receipts by status and duplicate\n"
    "outcomes. Exit 0 when the wait condition was met, no entry has two outcomes and every\n"
    "expected entry has one; else 1.\n";

// XRANGE page size: large pages for few round trips, small enough to keep replies modest.
constexpr size_t kPageSize = 1000;
// Polling interval while waiting: the CLI waits for a daemon, far from any hot path.
constexpr std::chrono::milliseconds kPollInterval(100);
constexpr int64_t kMaxTimeoutS = 24 * 3600;
constexpr size_t kMaxMissingListed = 10;  // the rest is a count

using Fields = std::unordered_map<std::string, std::string>;

struct Summary {
  uint64_t outcomes = 0;
  uint64_t submitted = 0;
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_reason;
  uint64_t receipts = 0;
  std::map<std::string, uint64_t> receipts_by_status;
  uint64_t duplicates = 0;  // outcomes beyond the first for the same job-stream entry
  std::vector<std::string> duplicate_entries;
  uint64_t expected = 0;
  uint64_t missing = 0;  // expected entries without an outcome
  std::vector<std::string> missing_entries;
};

std::string Str(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

// Reads a whole stream with XRANGE in pages; calls fn per entry. False on a Redis problem.
bool ScanStream(RedisClient& redis, const std::string& stream,
                const std::function<void(const Fields&)>& fn, std::string* error) {
  std::string start = "-";
  while (true) {
    RedisReplyPtr r =
        redis.Command({"XRANGE", stream, start, "+", "COUNT", std::to_string(kPageSize)});
    if (!r) {
      *error = "Redis: " + redis.error();
      return false;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
      *error =
          "XRANGE " + stream + ": " + (r->type == REDIS_REPLY_ERROR ? Str(r.get()) : "bad reply");
      return false;
    }
    std::string last;
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
          e->element[1]->type != REDIS_REPLY_ARRAY) {
        *error = "XRANGE " + stream + ": unexpected entry shape";
        return false;
      }
      last = Str(e->element[0]);
      Fields f;
      const redisReply* kv = e->element[1];
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[Str(kv->element[k])] = Str(kv->element[k + 1]);
      }
      f["_id"] = last;
      fn(f);
    }
    if (r->elements < kPageSize) return true;
    start = "(" + last;  // exclusive start (Redis >= 6.2)
  }
}

bool Summarise(RedisClient& redis, const std::string& outcomes, const std::string& receipts,
               const std::vector<std::string>& expected, Summary* s, std::string* error) {
  std::unordered_map<std::string, uint32_t> per_entry;
  auto get = [](const Fields& f, const char* k) {
    auto it = f.find(k);
    return it == f.end() ? std::string("(none)") : it->second;
  };
  const bool ok_outcomes = ScanStream(
      redis, outcomes,
      [&](const Fields& f) {
        ++s->outcomes;
        const std::string entry = get(f, "entry");
        if (++per_entry[entry] == 2) s->duplicate_entries.push_back(entry);
        if (per_entry[entry] > 1) ++s->duplicates;
        if (get(f, "status") == "submitted") {
          ++s->submitted;
        } else {
          ++s->rejected;
          ++s->rejected_by_reason[get(f, "reason")];
        }
      },
      error);
  if (!ok_outcomes) return false;
  const bool ok_receipts = ScanStream(
      redis, receipts,
      [&](const Fields& f) {
        ++s->receipts;
        ++s->receipts_by_status[get(f, "status")];
      },
      error);
  if (!ok_receipts) return false;
  s->expected = expected.size();
  for (const auto& e : expected) {
    if (per_entry.count(e) == 0) {
      ++s->missing;
      if (s->missing_entries.size() < kMaxMissingListed) s->missing_entries.push_back(e);
    }
  }
  return true;
}

std::optional<uint64_t> StreamLength(RedisClient& redis, const std::string& stream) {
  RedisReplyPtr r = redis.Command({"XLEN", stream});
  if (!r || r->type != REDIS_REPLY_INTEGER) return std::nullopt;
  return static_cast<uint64_t>(r->integer);
}

bool ReadExpected(const std::string& path, std::vector<std::string>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const size_t e = line.find_first_of(" \t\r", b);
    out->push_back(line.substr(b, e == std::string::npos ? e : e - b));
  }
  return !in.bad();
}

void PrintText(const Summary& s, bool waited, bool met) {
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  printf("outcomes: %llu (submitted %llu, rejected %llu)\n", u(s.outcomes), u(s.submitted),
         u(s.rejected));
  for (const auto& [reason, n] : s.rejected_by_reason) {
    printf("  rejected %-24s %llu\n", LogSafe(reason).c_str(), u(n));
  }
  printf("receipts: %llu\n", u(s.receipts));
  for (const auto& [status, n] : s.receipts_by_status) {
    printf("  %-33s %llu\n", LogSafe(status).c_str(), u(n));
  }
  printf("duplicate outcomes (an entry with more than one): %llu\n", u(s.duplicates));
  for (const auto& e : s.duplicate_entries) printf("  duplicate: %s\n", LogSafe(e).c_str());
  if (s.expected > 0) {
    printf("expected entries: %llu, without an outcome: %llu\n", u(s.expected), u(s.missing));
    for (const auto& e : s.missing_entries) printf("  missing: %s\n", LogSafe(e).c_str());
  }
  if (waited) {
    printf("%s\n", met ? "complete: the expected outcomes and receipts are present"
                       : "INCOMPLETE: timed out before the expected outcomes/receipts arrived");
  }
}

// Cheap XLEN polls until both streams hold the counts (true) or the timeout passes (false);
// nullopt when Redis fails. The caller scans the streams once afterwards.
std::optional<bool> WaitForCounts(RedisClient& redis, const std::string& outcomes,
                                  const std::string& receipts, int64_t want, int64_t want_receipts,
                                  int64_t timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    const auto o = StreamLength(redis, outcomes);
    const auto r = StreamLength(redis, receipts);
    if (!o || !r) return std::nullopt;
    const bool met =
        *o >= static_cast<uint64_t>(want) && *r >= static_cast<uint64_t>(want_receipts);
    if (met || std::chrono::steady_clock::now() >= deadline) return met;
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::vector<OptionSpec> OutcomesOptions() {
  return WithRedisOptions({
      {"outcomes-stream", "NAME", "the outcome stream (default sd:outcomes)"},
      {"receipts-stream", "NAME", "the receipt stream (default sd:receipts)"},
      {"wait-for", "N", "poll until at least N outcomes exist"},
      {"wait-receipts", "M", "... and at least M receipts"},
      {"timeout-s", "T", "give up waiting after T seconds (default 60)"},
      {"expect-entries", "FILE",
       "entry ids (first word of each line, as written by enqueue --entries-out); reports "
       "those without an outcome"},
      {"json", "", "print the summary as one JSON object"},
  });
}

}  // namespace

int RunOutcomes(int argc, char** argv) {
  Args args(kSynopsis, OutcomesOptions());
  auto usage = [&args](const std::string& why) {
    fprintf(stderr, "smsdispatch outcomes: %s\n%s", why.c_str(), args.Help().c_str());
    return kExitUsage;
  };
  if (!args.Parse(argc, argv, 2)) return usage(args.error());
  if (args.Has("help")) {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  const auto want = args.Int("wait-for", 0, 0, INT64_MAX);
  const auto want_receipts = args.Int("wait-receipts", 0, 0, INT64_MAX);
  const auto timeout_s = args.Int("timeout-s", 60, 0, kMaxTimeoutS);
  if (!want || !want_receipts || !timeout_s) return usage(args.error());
  if (args.Has("wait-receipts") && !args.Has("wait-for")) {
    return usage("--wait-receipts goes with --wait-for");
  }
  std::vector<std::string> expected;
  if (args.Has("expect-entries") && !ReadExpected(args.Get("expect-entries"), &expected)) {
    fprintf(stderr, "smsdispatch outcomes: cannot read %s\n", args.Get("expect-entries").c_str());
    return kExitFailure;
  }
  std::string error;
  bool usage_error = false;
  std::optional<RedisClient> redis = RedisClient::Connect(args, &error, &usage_error);
  if (!redis) {
    if (usage_error) return usage(error);
    fprintf(stderr, "smsdispatch outcomes: %s\n", error.c_str());
    return kExitFailure;
  }
  const std::string outcomes = args.Get("outcomes-stream", "sd:outcomes");
  const std::string receipts = args.Get("receipts-stream", "sd:receipts");
  const bool waited = args.Has("wait-for");
  bool met = true;
  if (waited) {
    std::optional<bool> m =
        WaitForCounts(*redis, outcomes, receipts, *want, *want_receipts, *timeout_s);
    if (!m) {
      fprintf(stderr, "smsdispatch outcomes: XLEN failed: %s\n", redis->error().c_str());
      return kExitFailure;
    }
    met = *m;
  }
  Summary s;
  if (!Summarise(*redis, outcomes, receipts, expected, &s, &error)) {
    fprintf(stderr, "smsdispatch outcomes: %s\n", error.c_str());
    return kExitFailure;
  }
  const bool ok = met && s.duplicates == 0 && s.missing == 0;
  if (args.Has("json")) {
    nlohmann::json j{{"outcomes", s.outcomes},
                     {"submitted", s.submitted},
                     {"rejected", s.rejected},
                     {"rejected_by_reason", s.rejected_by_reason},
                     {"receipts", s.receipts},
                     {"receipts_by_status", s.receipts_by_status},
                     {"duplicate_outcomes", s.duplicates},
                     {"duplicate_entries", s.duplicate_entries},
                     {"ok", ok}};
    if (waited) j["wait_met"] = met;
    if (s.expected > 0) {
      j["expected_entries"] = s.expected;
      j["missing_entries"] = s.missing;
      j["missing_sample"] = s.missing_entries;
    }
    // Fields come from the streams: invalid UTF-8 is replaced rather than thrown on.
    printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    PrintText(s, waited, met);
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace sd::cli
