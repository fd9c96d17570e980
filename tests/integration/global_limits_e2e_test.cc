// End to end: a fleet-wide limit (reach = "global", docs/limits.md "Fleet-wide limits") held by
// three real smsdispatchd processes of one deployment: one job stream, one consumer group, one
// outcome stream, one Redis. Each daemon alone would admit the whole rate (a local limit gives
// three daemons three times the budget); the global one must keep the fleet within the
// documented bound burst + rate*W/period + D*lease_units.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kRate = 20;  // per second: period_ms = 1000
constexpr int64_t kBurst = 20;
constexpr int64_t kLeaseUnits = 5;
constexpr int64_t kDaemons = 3;
// Offered load: 20 jobs every 100 ms for 3 s, ten times the rate.
constexpr int kRounds = 30;
constexpr int kPerRound = 20;
constexpr auto kRoundEvery = 100ms;

Cluster::Options FleetKeyLimitOptions() {
  Cluster::Options o;
  o.extra_config =
      "[[limits]]\nname = \"fleet_key\"\nscope = \"key\"\nrate = 20\nperiod_ms = 1000\n"
      "burst = 20\naction = \"reject\"\nreach = \"global\"\nlease_units = 5\n";
  return o;
}

const std::vector<std::string> kPeers = {"b", "c"};

std::string LogPath(Cluster& c, const std::string& peer) {
  return c.dir() + (peer.empty() ? "/daemon.log" : "/daemon-" + peer + ".log");
}

// Every daemon's log, for failure messages: a lease problem shows in one of them only.
std::string AllLogs(Cluster& c) {
  std::string all = "--- daemon.log\n" + c.DaemonLog();
  for (const std::string& p : kPeers) all += "--- daemon-" + p + ".log\n" + ReadFile(LogPath(c, p));
  return all;
}

bool AllReady(Cluster& c) {
  for (const std::string& p : std::vector<std::string>{"", "b", "c"}) {
    if (ReadFile(LogPath(c, p)).find("ready:") == std::string::npos) return false;
  }
  return true;
}

// Enqueues kPerRound jobs per round on a fixed schedule (a slow CLI start delays a round, it
// does not push the later ones back), each round to its own numbers so nothing but the key
// limit links them. Returns how many jobs were added.
int OfferTenTimesTheRate(Cluster& c) {
  const auto start = std::chrono::steady_clock::now();
  int added = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::this_thread::sleep_until(start + round * kRoundEvery);
    const std::string prefix =
        std::string("+49151") + (round < 10 ? "0" : "") + std::to_string(round);
    std::string out;
    const int st = c.Enqueue({"--count", std::to_string(kPerRound), "--to-prefix", prefix, "--from",
                              "ACME", "--text", "code 1234"},
                             &out);
    EXPECT_EQ(st, 0) << out;
    if (st == 0) added += kPerRound;
  }
  return added;
}

struct Tally {
  long long submitted = 0;
  long long rate_limited = 0;
};

Tally CountOutcomes(const std::vector<Cluster::Fields>& outcomes) {
  Tally t;
  for (const auto& o : outcomes) {
    if (o.at("status") == "submitted") {
      ++t.submitted;
    } else if (o.at("status") == "rejected" && o.at("reason") == "rate_limited") {
      ++t.rate_limited;
    } else {
      ADD_FAILURE() << "unexpected outcome " << o.at("status") << " " << o.at("reason") << " "
                    << o.at("detail");
    }
  }
  return t;
}

std::string StatsField(Cluster& c, const std::string& consumer, const std::string& field) {
  auto* r = static_cast<redisReply*>(
      redisCommand(c.redis(), "HGET sd:stats:%s %s", consumer.c_str(), field.c_str()));
  std::string v = r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "0";
  if (r != nullptr) freeReplyObject(r);
  return v;
}

// Outcomes do not name the daemon that wrote them, so the share of each daemon comes from its
// stats hash (published every second). For the record only: how the consumer group spreads
// entries is Redis' business, not the limit's.
void PrintPerDaemon(Cluster& c, long long submitted) {
  const std::vector<std::string> consumers = {"e2e", "e2e-b", "e2e-c"};
  const bool settled = WaitUntil(
      [&] {
        long long sum = 0;
        for (const auto& d : consumers) sum += std::stoll(StatsField(c, d, "submitted"));
        return sum == submitted;
      },
      5s);
  for (const auto& d : consumers) {
    std::cout << "[ fleet    ] " << d << ": submitted " << StatsField(c, d, "submitted")
              << ", rejected rate_limited " << StatsField(c, d, "rejected.rate_limited")
              << ", leased units " << StatsField(c, d, "limit.fleet_key.lease_granted_units")
              << ", leases denied " << StatsField(c, d, "limit.fleet_key.lease_denied")
              << (settled ? "" : " (stats not settled)") << "\n";
  }
}

TEST(GlobalLimitsE2E, ThreeDaemonsHoldOneFleetWideKeyLimit) {
  Cluster c(FleetKeyLimitOptions());  // starts Redis and the simulator
  c.StartDaemon();
  std::vector<std::unique_ptr<Process>> peers;
  for (const std::string& p : kPeers) peers.push_back(c.StartPeerDaemon(p));
  ASSERT_TRUE(WaitUntil([&] { return AllReady(c); }, 30s)) << AllLogs(c);

  const int64_t t0 = WallMs();
  const int jobs = OfferTenTimesTheRate(c);
  ASSERT_TRUE(OutcomesReach(c, jobs)) << AllLogs(c);
  const int64_t span_ms = WallMs() - t0;

  ExpectExactlyOneOutcomePerEntry(c);
  const Tally t = CountOutcomes(c.ReadStream("sd:outcomes"));
  // Every admission happened inside [t0, t0 + span_ms]. +1 for the floor of rate*W.
  const int64_t bound = kBurst + kRate * span_ms / 1000 + 1 + kDaemons * kLeaseUnits;
  std::cout << "[ fleet    ] offered " << jobs << " in " << span_ms << " ms: submitted "
            << t.submitted << ", rejected rate_limited " << t.rate_limited << ", bound " << bound
            << "\n";
  RecordProperty("submitted", static_cast<int>(t.submitted));
  RecordProperty("rejected_rate_limited", static_cast<int>(t.rate_limited));
  RecordProperty("span_ms", static_cast<int>(span_ms));
  EXPECT_LE(t.submitted, bound) << "the fleet admitted more than the global limit allows";
  EXPECT_GE(t.submitted, 1);
  EXPECT_GE(t.rate_limited, 1) << "ten times the rate, yet the limit never refused";
  EXPECT_EQ(t.submitted + t.rate_limited, jobs);
  PrintPerDaemon(c, t.submitted);

  for (size_t i = 0; i < peers.size(); ++i) {
    peers[i]->Signal(SIGTERM);
    EXPECT_EQ(peers[i]->Wait(30s), 0) << ReadFile(LogPath(c, kPeers[i]));
  }
  c.StopDaemon();
}

}  // namespace
}  // namespace sd::testing
