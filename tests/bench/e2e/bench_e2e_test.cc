// smsdispatch-bench's parts that need no processes: the --mix parser, the texts it makes
// and their segment counts (checked against core's encoder), the daemon configuration and
// simulator command line of a run (--binds), the simulator's stats, and the report.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <map>
#include <set>
#include <string>

#include "bench/e2e/bench_report.h"
#include "bench/e2e/message_mix.h"
#include "bench/e2e/run_setup.h"
#include "core/sms_text.h"

namespace sd::bench {
namespace {

TEST(MessageMix, ParsesSharesAndNormalises) {
  std::string error;
  auto m = ParseMix("70:20:10", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_DOUBLE_EQ(m->gsm, 0.7);
  EXPECT_DOUBLE_EQ(m->ucs2, 0.2);
  EXPECT_DOUBLE_EQ(m->long_text, 0.1);
  EXPECT_EQ(MixLabel(*m), "70:20:10");

  m = ParseMix("1:1:2", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_DOUBLE_EQ(m->long_text, 0.5);
  EXPECT_EQ(MixLabel(*m), "25:25:50");
  m = ParseMix("0.5:0:0", &error);
  ASSERT_TRUE(m) << error;
  EXPECT_DOUBLE_EQ(m->gsm, 1.0);
}

TEST(MessageMix, RefusesWhatIsNotThreeNonNegativeShares) {
  for (const char* bad : {"", "70:30", "70:20:10:0", "a:b:c", "70:20:", ":20:10", "-10:60:50",
                          "0:0:0", "70:20:10x", "inf:1:1", "nan:1:1"}) {
    std::string error;
    EXPECT_FALSE(ParseMix(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

// Every text says truthfully what it is: its kind's coding and core's segment count.
void ExpectHonest(const MixedText& t) {
  auto enc = EncodeText(t.text);
  ASSERT_TRUE(enc.ok()) << t.text;
  EXPECT_EQ(enc->segments, t.segments) << t.text;
  switch (t.kind) {
    case TextKind::kGsm:
      EXPECT_EQ(enc->coding, DataCoding::kGsm7) << t.text;
      EXPECT_EQ(t.segments, 1) << t.text;
      break;
    case TextKind::kUcs2:
      EXPECT_EQ(enc->coding, DataCoding::kUcs2) << t.text;
      EXPECT_EQ(t.segments, 1) << t.text;
      break;
    case TextKind::kLong:
      EXPECT_GE(t.segments, 2) << t.text;
      EXPECT_LE(t.segments, 4) << t.text;
      break;
  }
}

TEST(TextMaker, LongTextsCoverTwoToFourSegmentsInBothCodings) {
  TextMaker maker(MessageMix{0, 0, 1}, 7);
  std::set<std::pair<int, DataCoding>> seen;
  for (const MixedText& t : maker.long_pool()) {
    ExpectHonest(t);
    seen.insert({t.segments, EncodeText(t.text)->coding});
  }
  EXPECT_EQ(seen.size(), 6u);  // {2,3,4} x {GSM, UCS-2}
  // The GSM ones use the extension table, the UCS-2 ones a surrogate pair.
  bool escape = false, pair = false;
  for (const MixedText& t : maker.long_pool()) {
    escape =
        escape || t.text.find("€") != std::string::npos || t.text.find('{') != std::string::npos;
    pair = pair || t.text.find("🙂") != std::string::npos;
  }
  EXPECT_TRUE(escape);
  EXPECT_TRUE(pair);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(maker.Next().kind, TextKind::kLong);
}

TEST(TextMaker, FollowsTheSharesAndCountsSegments) {
  TextMaker maker(*ParseMix("70:20:10", nullptr), 42);
  MixCounts counts;
  uint64_t segments = 0;
  constexpr int kJobs = 20'000;
  for (int i = 0; i < kJobs; ++i) {
    const MixedText t = maker.Next();
    ExpectHonest(t);
    if (::testing::Test::HasFailure()) return;
    segments += static_cast<uint64_t>(t.segments);
    counts.Add(t);
  }
  EXPECT_EQ(counts.jobs(), static_cast<uint64_t>(kJobs));
  EXPECT_EQ(counts.segments, segments);
  // A fixed seed: deterministic, so these bounds are about the shares, not about luck.
  EXPECT_NEAR(static_cast<double>(counts.gsm) / kJobs, 0.7, 0.02);
  EXPECT_NEAR(static_cast<double>(counts.ucs2) / kJobs, 0.2, 0.02);
  EXPECT_NEAR(static_cast<double>(counts.long_texts) / kJobs, 0.1, 0.02);
  EXPECT_GT(counts.segments, counts.jobs() + counts.long_texts);  // long ones have >= 2
}

TEST(TextMaker, SameSeedSameTexts) {
  const MessageMix mix = *ParseMix("50:25:25", nullptr);
  TextMaker a(mix, 3), b(mix, 3), c(mix, 4);
  bool differs = false;
  for (int i = 0; i < 200; ++i) {
    const MixedText x = a.Next(), y = b.Next(), z = c.Next();
    EXPECT_EQ(x.text, y.text);
    differs = differs || x.text != z.text;
  }
  EXPECT_TRUE(differs);
}

TEST(TextMaker, OnlyGsmByDefault) {
  TextMaker maker(MessageMix{}, 1);
  EXPECT_TRUE(maker.long_pool().empty());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(maker.Next().kind, TextKind::kGsm);
}

RunSetup SetupWithBinds(int binds) {
  RunSetup s;
  s.redis_port = 6390;
  s.sim_port = 2790;
  s.binds = binds;
  return s;
}

TEST(RunSetup, OneBindWritesNoBindsKey) {
  const std::string text = DaemonConfigText(SetupWithBinds(1));
  EXPECT_EQ(text.find("binds"), std::string::npos) << text;
  const toml::table t = toml::parse(text);
  EXPECT_EQ(t["carrier"][0]["port"].value<int64_t>(), 2790);
  EXPECT_EQ(t["carrier"][0]["window"].value<int64_t>(), 256);
  EXPECT_EQ(t["redis"]["port"].value<int64_t>(), 6390);
}

TEST(RunSetup, SeveralBindsGoIntoTheCarrierAndLimitTheSimulator) {
  const std::string text = DaemonConfigText(SetupWithBinds(4));
  const toml::table t = toml::parse(text);
  EXPECT_EQ(t["carrier"][0]["binds"].value<int64_t>(), 4) << text;
  EXPECT_EQ(t["carrier"][0]["name"].value<std::string>(), "sim");
  const auto argv = SimArguments(SetupWithBinds(4), "/tmp/run");
  std::map<std::string, std::string> args;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) args[argv[i]] = argv[i + 1];
  EXPECT_EQ(args["--max-binds"], "4");
  EXPECT_EQ(args["--system-id"], "bench");
  EXPECT_EQ(args["--stats-file"], "/tmp/run/sim.json");
}

TEST(RunSetup, MaxUnsettledGoesIntoTheCarrierOnlyWhenSet) {
  RunSetup s = SetupWithBinds(1);
  EXPECT_EQ(DaemonConfigText(s).find("max_unsettled"), std::string::npos);
  s.max_unsettled = 0;
  const toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["carrier"][0]["max_unsettled"].value<int64_t>(), 0);
}

TEST(RunSetup, LingerGoesIntoTheRedisSectionOnlyWhenSet) {
  RunSetup s = SetupWithBinds(1);
  EXPECT_EQ(DaemonConfigText(s).find("linger"), std::string::npos);
  s.linger_ms = 2;
  const toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["redis"]["read_linger_ms"].value<int64_t>(), 2);
  EXPECT_EQ(t["redis"]["write_linger_ms"].value<int64_t>(), 2);
}

TEST(RunSetup, PlainWritesGoIntoTheRedisSectionOnlyWhenSet) {
  RunSetup s = SetupWithBinds(1);
  EXPECT_EQ(DaemonConfigText(s).find("plain_writes"), std::string::npos);
  s.plain_writes = true;
  const toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["redis"]["plain_writes"].value<bool>(), true);
}

TEST(RunSetup, UnixSocketRedis) {
  RunSetup s = SetupWithBinds(1);
  s.redis_unix = true;
  const toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["redis"]["unix_socket"].value<std::string>(), "redis.sock");
}

TEST(RunSetup, AClusterGivesSeedsShardsAndEveryNameShardZerosTag) {
  RunSetup s = SetupWithBinds(1);
  s.cluster_ports = {7000, 7001, 7002};
  const std::string text = DaemonConfigText(s);
  const toml::table t = toml::parse(text);
  EXPECT_FALSE(t["redis"]["port"].value<int64_t>().has_value()) << text;
  EXPECT_EQ(t["redis"]["shards"].value<int64_t>(), 3);
  const toml::array* seeds = t["redis"]["cluster"].as_array();
  ASSERT_NE(seeds, nullptr);
  ASSERT_EQ(seeds->size(), 3u);
  EXPECT_EQ((*seeds)[2].value<std::string>(), "127.0.0.1:7002");
  for (const char* name :
       {"key_prefix", "jobs_stream", "outcomes_stream", "receipts_stream", "dead_letter_stream",
        "quarantine_stream", "audit_stream", "delayed_set"}) {
    EXPECT_EQ(t["redis"][name].value<std::string>().value_or("").rfind("sd:{0}:", 0), 0u) << name;
  }
  EXPECT_EQ(t["inbound"]["stream"].value<std::string>(), "sd:{0}:inbound");
}

TEST(RunSetup, EachDaemonItsConsumerAndTheSimulatorAdmitsAllTheirBinds) {
  RunSetup s = SetupWithBinds(2);
  s.daemons = 3;
  s.consumer = "bench2";
  const toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["daemon"]["consumer"].value<std::string>(), "bench2");
  EXPECT_EQ(t["carrier"][0]["binds"].value<int64_t>(), 2);  // per daemon
  const auto argv = SimArguments(s, "/tmp/run");
  std::map<std::string, std::string> args;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) args[argv[i]] = argv[i + 1];
  EXPECT_EQ(args["--max-binds"], "6");
}

TEST(RunSetup, AGivenRedisByHostOrSocket) {
  RunSetup s = SetupWithBinds(1);
  s.redis_host = "127.0.0.2";
  toml::table t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["redis"]["host"].value<std::string>(), "127.0.0.2");
  EXPECT_FALSE(t["redis"]["unix_socket"]);
  s.redis_unix = true;
  s.redis_socket = "/run/redis/redis.sock";  // wins over the run's own socket
  t = toml::parse(DaemonConfigText(s));
  EXPECT_EQ(t["redis"]["unix_socket"].value<std::string>(), "/run/redis/redis.sock");
  s.redis_port = 0;  // only the socket: no port to name
  t = toml::parse(DaemonConfigText(s));
  EXPECT_FALSE(t["redis"]["port"]);
}

TEST(RunSetup, SimStatsAreTheTopLevelCounters) {
  const auto stats =
      ParseSimStats(R"({"accepted_submits":12,"receipts_sent":12,"bound_trx":2,"sessions":[)"
                    R"({"session_id":1,"session_accepted":7}]})");
  EXPECT_EQ(stats.at("accepted_submits"), 12);
  EXPECT_EQ(stats.at("bound_trx"), 2);
  EXPECT_EQ(stats.count("session_accepted"), 0u);
  EXPECT_TRUE(ParseSimStats("{\"a\":").empty());
  EXPECT_TRUE(ParseSimStats("").empty());
}

TEST(Report, ShowsTheMixSegmentsAndBothReceiptCounts) {
  Report r;
  r.binds = 2;
  r.window = 10;
  r.smsc_latency_ms = 1;
  RunResult run;
  run.label = "max";
  run.jobs = 10;
  run.outcomes = 10;
  run.submitted = 9;
  run.rejected = 1;
  run.rejected_by_reason["text_too_long"] = 1;
  run.jobs_gsm = 7;
  run.jobs_ucs2 = 2;
  run.jobs_long = 1;
  run.segments_generated = 12;
  run.segments_submitted = 9;
  run.smsc_segments = 9;
  run.smsc_receipts = 9;
  run.receipts = 8;
  run.receipts_unmatched = 1;
  run.binds_open = 2;
  r.runs.push_back(run);
  const std::string json = ToJson(r);
  EXPECT_NE(json.find("\"generated\": 12"), std::string::npos) << json;
  EXPECT_NE(json.find("\"smsc_receipts\": 9"), std::string::npos) << json;
  EXPECT_NE(json.find("\"receipts_unmatched\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"text_too_long\": 1"), std::string::npos) << json;
  const std::string md = ToMarkdown(r);
  EXPECT_NE(md.find("| max | 10 (7 / 2 / 1) | 12 | 9 | 9 | 9 | 8 | 1 | 1 (text_too_long 1) | 2 |"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace sd::bench
