// What recipients write, through the real simulator (as the SMSC), daemon and redis-server
// (docs/inbound.md): single and long messages in GSM 03.38, UCS-2 and Latin-1, split with a
// UDH or SAR TLVs, land on the inbound stream once each, decoded to UTF-8; each part is
// answered only once it is in Redis, so messages sent while the daemon is down (or killed
// before answering) are delivered again and not lost. The daemon runs as the least-privilege
// Redis user docs/redis.md gives.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, Cluster::Fields> ByFrom(const std::vector<Cluster::Fields>& in) {
  std::map<std::string, Cluster::Fields> out;
  for (const auto& f : in) out[f.at("from")] = f;
  return out;
}

TEST(InboundEndToEnd, WhatRecipientsWriteIsKeptOnceEachDecodedAndNothingIsLostWhileDown) {
  Cluster::Options o;
  o.acl_user = true;
  Cluster c(o);
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "1", "--to-prefix", "+4915100", "--from", "ACME", "--text", "x"}),
            0);  // one job through: the binds are up
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  c.InjectMo(
      "{\"from\": \"4917000001\", \"to\": \"4930555\", \"text\": \"STOP\"}\n"
      "{\"from\": \"4917000002\", \"to\": \"4930555\", \"coding\": \"ucs2\", \"parts\": 2,"
      " \"text\": \"\xd0\xa1\xd1\x82\xd0\xbe\xd0\xbf \xf0\x9f\x91\x8d ok\"}\n"
      "{\"from\": \"4917000003\", \"to\": \"ACME\", \"parts\": 3, \"sar\": true,"
      " \"text\": \"Price 5\xe2\x82\xac {ok} - please call me back tomorrow\"}\n"
      "{\"from\": \"4917000004\", \"to\": \"4930555\", \"coding\": \"latin1\","
      " \"text\": \"Caf\xc3\xa9\"}\n");
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:inbound") >= 4; }, 30s)) << c.DaemonLog();
  auto in = ByFrom(c.ReadStream("sd:inbound"));
  EXPECT_EQ(in["4917000001"].at("text"), "STOP");
  EXPECT_EQ(in["4917000001"].at("to"), "4930555");
  EXPECT_EQ(in["4917000001"].at("carrier"), "sim");
  EXPECT_EQ(in["4917000002"].at("text"), "\xd0\xa1\xd1\x82\xd0\xbe\xd0\xbf \xf0\x9f\x91\x8d ok");
  EXPECT_EQ(in["4917000002"].at("parts"), "2");
  EXPECT_EQ(in["4917000002"].at("coding"), "ucs2");
  EXPECT_EQ(in["4917000003"].at("text"), "Price 5\xe2\x82\xac {ok} - please call me back tomorrow");
  EXPECT_EQ(in["4917000003"].at("parts"), "3");
  EXPECT_EQ(in["4917000003"].at("to"), "ACME");
  EXPECT_EQ(in["4917000004"].at("text"), "Caf\xc3\xa9");
  for (auto& [from, f] : in) {
    EXPECT_EQ(f.count("missing"), 0u) << from;
    EXPECT_EQ(f.count("lossy"), 0u) << from;
  }
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 7; }, 10s))
      << "1 + 2 + 3 + 1 parts, each answered";

  // While no daemon is bound the SMSC keeps what recipients write, and delivers it on the
  // next bind: nothing is lost, nothing is written twice.
  c.KillDaemon();
  c.InjectMo(
      "{\"from\": \"4917000005\", \"to\": \"4930555\", \"text\": \"START\"}\n"
      "{\"from\": \"4917000006\", \"to\": \"4930555\", \"parts\": 2, \"text\": \"one two\"}\n");
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:inbound") >= 6; }, 30s)) << c.DaemonLog();
  in = ByFrom(c.ReadStream("sd:inbound"));
  EXPECT_EQ(in["4917000005"].at("text"), "START");
  EXPECT_EQ(in["4917000006"].at("text"), "one two");
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 10; }, 10s));

  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:inbound"), 6);
  EXPECT_EQ(c.SimulatorStats()["mo_bad_lines"], 0);
}

// With Redis gone nothing is answered: the part waits in the daemon (bounded) and in the SMSC,
// and is written and answered once Redis is back.
TEST(InboundEndToEnd, NothingIsAnsweredWhileRedisIsAway) {
  Cluster::Options o;
  o.appendonly = true;  // Redis is killed below; what it took must survive
  Cluster c(o);
  c.StartDaemon();
  c.InjectMo(R"({"from": "4917000001", "to": "4930555", "text": "STOP"})"
             "\n");
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 1; }, 30s)) << c.DaemonLog();
  c.KillRedis();
  c.InjectMo(R"({"from": "4917000007", "to": "4930555", "text": "HELP"})"
             "\n");
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_sent"] == 2; }, 10s));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(c.SimulatorStats()["mo_acked"], 1) << "answered before it was durable";
  c.StartRedis();
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["mo_acked"] == 2; }, 30s)) << c.DaemonLog();
  c.StopDaemon();
  const auto in = ByFrom(c.ReadStream("sd:inbound"));
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in.at("4917000007").at("text"), "HELP");
}

}  // namespace
}  // namespace sd::testing
