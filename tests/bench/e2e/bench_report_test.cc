// The report logic of smsdispatch-bench: exact percentiles, the sizing model (which limit
// binds), the SVGs (well-formed, one line per series or run) and the JSON fields a planner
// reads (backlog, daemons, intended latency, the simulator's sink ceiling).
#include "bench/e2e/bench_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sd::bench {
namespace {

TEST(ComputePercentiles, EmptyIsAllZero) {
  const Percentiles p = ComputePercentiles({});
  EXPECT_EQ(p.count, 0u);
  EXPECT_EQ(p.p50, 0);
  EXPECT_EQ(p.p99, 0);
  EXPECT_EQ(p.max, 0);
}

TEST(ComputePercentiles, OneValueIsEveryPercentile) {
  const Percentiles p = ComputePercentiles({7.5});
  EXPECT_EQ(p.count, 1u);
  EXPECT_EQ(p.p50, 7.5);
  EXPECT_EQ(p.p90, 7.5);
  EXPECT_EQ(p.p99, 7.5);
  EXPECT_EQ(p.p999, 7.5);
  EXPECT_EQ(p.max, 7.5);
}

TEST(ComputePercentiles, NearestRankOfUnsortedSamples) {
  // 1..100 shuffled: the q-th percentile is the smallest sample with at least q of them at
  // or below it, so exactly q*100 (p99.9 rounds up to the last sample).
  std::vector<double> v;
  for (int i = 0; i < 100; ++i) v.push_back(i * 37 % 100 + 1);  // 37 is coprime with 100
  std::vector<double> check = v;
  std::sort(check.begin(), check.end());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(check[i], i + 1);  // a permutation of 1..100
  const Percentiles p = ComputePercentiles(v);
  EXPECT_EQ(p.count, 100u);
  EXPECT_EQ(p.p50, 50);
  EXPECT_EQ(p.p90, 90);
  EXPECT_EQ(p.p99, 99);
  EXPECT_EQ(p.p999, 100);
  EXPECT_EQ(p.max, 100);

  // Ten samples: rank ceil(0.5 * 10) = 5, ceil(0.9 * 10) = 9, ceil(0.99 * 10) = 10.
  const Percentiles q = ComputePercentiles({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_EQ(q.p50, 5);
  EXPECT_EQ(q.p90, 9);
  EXPECT_EQ(q.p99, 10);
  // Two samples: the median is the lower one (nearest rank, no interpolation).
  EXPECT_EQ(ComputePercentiles({4, 2}).p50, 2);
}

// A report whose limits are given directly: window w per bind, binds, SMSC latency 1 ms,
// daemon and Redis CPU per job in µs, the Redis ceiling and the simulator's sink.
struct Limits {
  int window = 256, binds = 1, daemons = 1;
  double daemon_us = 20, redis_us = 40, ceiling = 90'000, sink = 200'000;
};

Report MakeReport(const Limits& l) {
  Report r;
  r.window = l.window;
  r.binds = l.binds;
  r.daemons = l.daemons;
  r.smsc_latency_ms = 1;
  r.ceiling.jobs_per_second = l.ceiling;
  r.sink.submits_per_second = l.sink;
  RunResult run;
  run.label = "max";
  run.jobs_per_second = 20'000;
  if (l.daemon_us > 0) run.usage["smsdispatchd"].cpu_ms_per_1000_jobs = l.daemon_us;
  if (l.redis_us > 0) run.usage["redis-server"].cpu_ms_per_1000_jobs = l.redis_us;
  r.runs.push_back(run);
  return r;
}

SizingLimit Binding(const Limits& l) {
  const Report r = MakeReport(l);
  return SizeRun(r, r.runs[0]).binding;
}

TEST(Sizing, EachRowFromItsInputs) {
  Limits l;
  l.daemons = 2;
  l.binds = 3;
  const Report r = MakeReport(l);
  const Sizing s = SizeRun(r, r.runs[0]);
  EXPECT_DOUBLE_EQ(s.carrier_jobs_per_s, 2 * 3 * 256 / 0.001);
  EXPECT_DOUBLE_EQ(s.cpu_jobs_per_s, 2 * 1e6 / 20);  // two daemons, a core each
  EXPECT_DOUBLE_EQ(s.redis_cpu_jobs_per_s, 1e6 / 40);
  EXPECT_DOUBLE_EQ(s.redis_jobs_per_s, 90'000);
  EXPECT_DOUBLE_EQ(s.sink_jobs_per_s, 200'000);
}

TEST(Sizing, TheLowestLimitBinds) {
  EXPECT_EQ(Binding({}), SizingLimit::kRedisCpu);  // 25,000 against 50,000 for the daemon

  Limits cpu;
  cpu.daemon_us = 80;  // 12,500 jobs/s on one core
  EXPECT_EQ(Binding(cpu), SizingLimit::kDaemonCpu);
  cpu.daemons = 4;  // 50,000 on four: Redis CPU binds again
  EXPECT_EQ(Binding(cpu), SizingLimit::kRedisCpu);

  Limits window;
  window.window = 4;  // 4 / 1 ms = 4,000 jobs/s
  EXPECT_EQ(Binding(window), SizingLimit::kCarrierWindow);

  Limits redis;
  redis.ceiling = 10'000;
  EXPECT_EQ(Binding(redis), SizingLimit::kRedis);

  Limits sink;
  sink.sink = 5'000;
  EXPECT_EQ(Binding(sink), SizingLimit::kSmscSimulator);
}

TEST(Sizing, ALimitNotMeasuredNeverBinds) {
  Limits none;
  none.daemon_us = 0;
  none.redis_us = 0;
  none.ceiling = 0;
  none.sink = 0;
  EXPECT_EQ(Binding(none), SizingLimit::kCarrierWindow);
}

TEST(Sizing, TheMarkdownNamesTheBindingRow) {
  Limits sink;
  sink.sink = 5'000;
  const std::string md = ToMarkdown(MakeReport(sink));
  EXPECT_NE(md.find("| SMSC simulator | 5000 |"), std::string::npos) << md;
  EXPECT_NE(
      md.find(std::string("The binding limit is **") + LimitName(SizingLimit::kSmscSimulator)),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("**< 2: the simulator may be what limits the runs**"), std::string::npos) << md;
}

// A minimal XML well-formedness check for the SVGs we write: every element closes in order,
// one root, attribute values quoted, no NaN or infinity in the numbers.
bool WellFormed(const std::string& x, std::string* why) {
  std::vector<std::string> open;
  int roots = 0;
  size_t i = 0;
  while ((i = x.find('<', i)) != std::string::npos) {
    const size_t end = x.find('>', i);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = x.substr(i + 1, end - i - 1);
    i = end + 1;
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return *why = "odd quotes: " + tag, false;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return *why = "mismatched </" + tag, false;
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    const std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return *why = "unclosed <" + open.back(), false;
  if (roots != 1) return *why = "roots: " + std::to_string(roots), false;
  for (const char* bad : {"nan", "inf"}) {
    if (x.find(bad) != std::string::npos) return *why = std::string("contains ") + bad, false;
  }
  return true;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

RunResult RatedRun(double rate, double p50, double p99) {
  RunResult run;
  run.offered_rate = rate;
  run.label = "rate " + std::to_string(static_cast<int>(rate)) + "/s";
  run.enqueue_to_submit.p50 = p50;
  run.enqueue_to_submit.p99 = p99;
  run.enqueue_to_receipt.p99 = p99 + 10;
  run.backlog = {{0.0, 0, 0, 0}, {0.5, 30, 10, 20}, {1.0, 0, 0, 0}};
  return run;
}

TEST(LatencySvg, NeedsTwoFixedRates) {
  Report r;
  EXPECT_EQ(LatencySvg(r), "");
  r.runs.push_back(RatedRun(1000, 1, 2));
  RunResult max;
  max.label = "max";
  r.runs.push_back(max);  // a max-rate run is not a point on the offered-load axis
  EXPECT_EQ(LatencySvg(r), "");
}

TEST(LatencySvg, WellFormedWithOneLinePerSeriesThroughEveryRate) {
  Report r;
  for (double rate : {1000.0, 2000.0, 4000.0})
    r.runs.push_back(RatedRun(rate, rate / 1000, rate / 500));
  const std::string svg = LatencySvg(r);
  std::string why;
  ASSERT_TRUE(WellFormed(svg, &why)) << why << "\n" << svg;
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(Count(svg, "<polyline"), 3u);  // submit p50, submit p99, receipt p99
  EXPECT_EQ(Count(svg, "<circle"), 9u);    // three series through three rates
  for (const char* name : {"submit p50", "submit p99", "receipt p99"}) {
    EXPECT_NE(svg.find(name), std::string::npos) << name;
  }
}

TEST(BacklogSvg, OneLinePerRunWithSamples) {
  Report r;
  EXPECT_EQ(BacklogSvg(r), "");
  r.runs.push_back(RatedRun(1000, 1, 2));
  r.runs.push_back(RatedRun(2000, 1, 2));
  RunResult empty;
  empty.label = "max";
  r.runs.push_back(empty);  // no samples: no line
  const std::string svg = BacklogSvg(r);
  std::string why;
  ASSERT_TRUE(WellFormed(svg, &why)) << why << "\n" << svg;
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find("rate 2000/s"), std::string::npos);
}

TEST(ToJson, BacklogDaemonsIntendedLatencyAndSinkCeiling) {
  Report r = MakeReport({});
  r.daemons = 2;
  r.sink = {1000, 1000, 1100, 1100, 0.01, 100'000, 110'000, 90'000};
  RunResult& run = r.runs[0];
  run.daemons = 2;
  run.daemon_usage = {{1.0, 11.0, 30.0}, {1.5, 9.0, 31.0}};
  run.backlog = {{0.05, 12, 3, 9}, {0.10, 40, 25, 15}, {0.15, 0, 0, 0}};
  run.intended_to_submit = ComputePercentiles({1, 2, 3, 40});
  const nlohmann::json j = nlohmann::json::parse(ToJson(r));

  EXPECT_EQ(j["sink_ceiling"]["submits_per_second"], 100'000);
  EXPECT_EQ(j["sink_ceiling"]["receipts_per_second"], 90'000);
  EXPECT_EQ(j["sink_ceiling"]["parts"], 1100);
  const auto& jr = j["runs"][0];
  EXPECT_DOUBLE_EQ(jr["ratio_sink_to_daemon"].get<double>(), 5.0);  // 100,000 / 20,000
  EXPECT_EQ(jr["sizing"]["smsc_simulator_limit_jobs_per_s"], 100'000);
  EXPECT_EQ(jr["sizing"]["binding"], LimitName(SizingLimit::kRedisCpu));

  EXPECT_EQ(jr["daemons"], 2);
  ASSERT_EQ(jr["daemon_usage"].size(), 2u);
  EXPECT_EQ(jr["daemon_usage"][1]["cpu_us_per_job"], 9.0);
  EXPECT_EQ(jr["daemon_usage"][0]["peak_rss_mib"], 30.0);

  ASSERT_EQ(jr["backlog"].size(), 3u);
  EXPECT_EQ(jr["backlog"][1]["outstanding"], 40);
  EXPECT_EQ(jr["backlog"][1]["lag"], 25);
  EXPECT_EQ(jr["backlog"][1]["pending"], 15);
  EXPECT_DOUBLE_EQ(jr["backlog"][1]["t"].get<double>(), 0.10);
  EXPECT_EQ(jr["backlog_peak"], 40);
  EXPECT_EQ(jr["backlog_final"], 0);
  EXPECT_EQ(jr["group_backlog_peak"], 40);

  EXPECT_EQ(jr["intended_to_submit"]["count"], 4);
  EXPECT_EQ(jr["intended_to_submit"]["p50_ms"], 2);
  EXPECT_EQ(jr["intended_to_submit"]["max_ms"], 40);
}

TEST(ToMarkdown, BacklogAndCoordinatedOmissionTables) {
  Report r;
  r.runs.push_back(RatedRun(1000, 1, 2));
  r.runs[0].enqueue_to_submit = ComputePercentiles({1, 1, 2});
  r.runs[0].intended_to_submit = ComputePercentiles({1, 5, 9});
  std::string md = ToMarkdown(r);
  // peak 30 at 0.5 s, final 0, lag + pending 30, lag 10
  EXPECT_NE(md.find("| rate 1000/s | 30 | 0.5 | 0 | 30 | 10 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| rate 1000/s | 1.0 | 2.0 | 2.0 | 2.0 | 5.0 | 9.0 | 9.0 | 9.0 |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("scheduled jobs"), std::string::npos) << md;
  r.runs[0].jobs = 900;
  r.runs[0].scheduled = 1000;
  md = ToMarkdown(r);
  EXPECT_NE(md.find("rate 1000/s: sent 900 of 1000 scheduled jobs"), std::string::npos) << md;
  EXPECT_NE(ToJson(r).find("\"scheduled_jobs\": 1000"), std::string::npos);
  // No schedule (max rate): no intended column to show.
  r.runs[0].scheduled = 0;
  r.runs[0].intended_to_submit = {};
  md = ToMarkdown(r);
  EXPECT_EQ(md.find("intended→submit"), std::string::npos) << md;
}

}  // namespace
}  // namespace sd::bench

namespace sd::bench {
namespace {

// Redis's lag is entries added minus the group's entries-read counter: NULL after deletions
// ahead of the group, and wrong after an AOF reload (40,704 with everything read).
TEST(CheckedLag, TrustsRedisOnlyWhereTheStreamAgrees) {
  EXPECT_EQ(CheckedLag(40'704, 0, 50'000, /*read_to_end=*/true), 0) << "all read: nothing unread";
  EXPECT_EQ(CheckedLag(-1, 0, 10, true), 0);
  EXPECT_EQ(CheckedLag(-1, 5, 100, false), -1) << "NULL: unknown";
  EXPECT_EQ(CheckedLag(96, 5, 100, false), -1) << "more unread than entries not pending";
  EXPECT_EQ(CheckedLag(95, 5, 100, false), 95);
  EXPECT_EQ(CheckedLag(7, 3, 100, false), 7);
}

TEST(CheckedLag, StreamIdsCompareAsNumbers) {
  EXPECT_TRUE(StreamIdAtOrAfter("1700000000000-5", "1700000000000-5"));
  EXPECT_TRUE(StreamIdAtOrAfter("1700000000000-10", "1700000000000-9"));
  EXPECT_TRUE(StreamIdAtOrAfter("1700000000001-0", "1700000000000-99"));
  EXPECT_FALSE(StreamIdAtOrAfter("999-0", "1000-0"));
  EXPECT_FALSE(StreamIdAtOrAfter("0-0", "1-0"));
  EXPECT_FALSE(StreamIdAtOrAfter("", "1-0")) << "a group that read nothing";
  EXPECT_FALSE(StreamIdAtOrAfter("5-x", "1-0"));
}

}  // namespace
}  // namespace sd::bench

namespace sd::bench {
namespace {

TEST(CommandStats, ParsesAndSubtracts) {
  const std::string before =
      "# Commandstats\r\n"
      "cmdstat_xadd:calls=100,usec=250,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n"
      "cmdstat_evalsha:calls=10,usec=3000,usec_per_call=300.00,rejected_calls=0,failed_calls=1\r\n";
  const std::string after =
      "# Commandstats\r\n"
      "cmdstat_xadd:calls=300,usec=750,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n"
      "cmdstat_evalsha:calls=10,usec=3000,usec_per_call=300.00,rejected_calls=0,failed_calls=1\r\n"
      "cmdstat_xack:calls=5,usec=10,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n";
  const auto b = ParseCommandStats(before);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.at("evalsha").calls, 10u);
  EXPECT_DOUBLE_EQ(b.at("evalsha").usec, 3000);
  const auto d = CommandStatsDelta(b, ParseCommandStats(after));
  ASSERT_EQ(d.size(), 2u);  // evalsha had no calls in between
  EXPECT_EQ(d.at("xadd").calls, 200u);
  EXPECT_DOUBLE_EQ(d.at("xadd").usec, 500);
  EXPECT_EQ(d.at("xack").calls, 5u);
}

TEST(CommandStats, ReportedPerJob) {
  Report r;
  r.streams_loop.jobs_per_second = 100'000;
  r.streams_loop.redis_cpu_us_per_job = 7.5;
  RunResult run;
  run.label = "max";
  run.jobs = 1000;
  run.jobs_per_second = 25'000;
  run.redis_commands["evalsha"] = CommandCost{20, 30'000};
  run.redis_commands["xreadgroup"] = CommandCost{4, 4'000};
  run.redis_commands["info"] = CommandCost{3, 30};  // below 0.05 µs/job: left out of the rows
  r.runs.push_back(run);
  const std::string md = ToMarkdown(r);
  EXPECT_NE(md.find("| max | evalsha | 0.020 | 1500.0 | 30.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| max | xreadgroup | 0.004 | 1000.0 | 4.00 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| max | info |"), std::string::npos) << md;
  EXPECT_NE(md.find("Bare Streams loop"), std::string::npos);
  const auto j = nlohmann::json::parse(ToJson(r));
  EXPECT_DOUBLE_EQ(j["runs"][0]["ratio_to_streams_loop"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["runs"][0]["redis_commands"]["evalsha"]["usec_per_job"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(j["streams_loop"]["redis_cpu_us_per_job"].get<double>(), 7.5);
}

}  // namespace
}  // namespace sd::bench
