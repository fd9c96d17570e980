// Security decisions across processes (keys, scopes and the policy core): two daemons
// on one key registry both stop a revoked key within a second, jobs queued before the
// revocation are stopped too, the master key comes from a systemd credential or the
// environment, every kind of security decision lands on the audit stream with the number
// masked and no text, and registry churn under load loses no job. Real redis-server, smsc-sim,
// smsdispatchd and CLI.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

std::string Get(const Cluster::Fields& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string("<none>") : it->second;
}

// A registry with a master key; keys made with the CLI, their secrets written to a producer
// key file so the CLI can sign with them.
class Registry {
 public:
  explicit Registry(Cluster& c)
      : c_(c),
        redis_("127.0.0.1:" + std::to_string(c.redis_port())),
        master_(c.dir() + "/master.key") {
    WriteFile(master_, master_hex() + "\n");
  }
  static std::string master_hex() { return std::string(64, 'd'); }
  const std::string& master_file() const { return master_; }

  // Creates a key; returns its id. `scopes` are `keys create` options.
  std::string Create(const std::string& name, const std::vector<std::string>& scopes = {}) {
    std::vector<std::string> args{
        "keys", "create", "--name", name, "--redis", redis_, "--master-key-file", master_};
    args.insert(args.end(), scopes.begin(), scopes.end());
    std::string out;
    EXPECT_EQ(c_.Cli(args, &out), 0) << out;
    const std::string id = CliField(out, "id");
    producer_keys_ +=
        "[[key]]\nid = \"" + id + "\"\nsecret = \"" + CliField(out, "secret_hex") + "\"\n";
    WriteFile(c_.dir() + "/producer.toml", producer_keys_);
    return id;
  }
  void Revoke(const std::string& id) {
    std::string out;
    ASSERT_EQ(
        c_.Cli({"keys", "revoke", "--id", id, "--redis", redis_, "--master-key-file", master_},
               &out),
        0)
        << out;
  }
  // Signs and enqueues with a registry key.
  int Enqueue(const std::string& id, const std::vector<std::string>& extra) {
    std::vector<std::string> args{
        "enqueue", "--redis", redis_, "--key-file", c_.dir() + "/producer.toml", "--key-id", id};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out;
    const int st = c_.Cli(args, &out);
    EXPECT_EQ(st, 0) << out;
    return st;
  }

 private:
  Cluster& c_;
  std::string redis_;
  std::string master_;
  std::string producer_keys_;
};

bool Ready(const std::string& log) { return log.find("ready:") != std::string::npos; }

TEST(SecurityEndToEnd, TwoDaemonsOnOneRegistryStopARevokedKeyWithinOneSecond) {
  Cluster::Options o;
  o.keys_extra = "registry = \"redis\"\n";  // the master key comes from outside the config
  Cluster c(o);
  Registry reg(c);
  const std::string id = reg.Create("acme");
  // Daemon A gets the master key as a systemd credential, daemon B from the environment
  // (EnvironmentFile=): both start-up paths of a real deployment.
  const std::string creds = c.dir() + "/credentials";
  ASSERT_EQ(system(("mkdir -p " + creds).c_str()), 0);
  WriteFile(creds + "/sd-master", Registry::master_hex() + "\n");
  // Relative password files are credentials too once CREDENTIALS_DIRECTORY is set.
  WriteFile(creds + "/smpp.password", ReadFile(c.dir() + "/smpp.password"));
  c.StartDaemon({{"CREDENTIALS_DIRECTORY", creds}});
  ASSERT_TRUE(WaitUntil([&] { return Ready(c.DaemonLog()); }, 30s)) << c.DaemonLog();
  auto b = c.StartSecondDaemon({{"SMSDISPATCH_MASTER_KEY", Registry::master_hex()}});
  const std::string b_log = c.dir() + "/daemon-b.log";
  ASSERT_TRUE(WaitUntil([&] { return Ready(ReadFile(b_log)); }, 30s)) << ReadFile(b_log);
  // The key made it into B's log neither way.
  EXPECT_EQ(ReadFile(b_log).find(Registry::master_hex()), std::string::npos);

  auto send = [&](const std::string& stream, int n, const std::string& prefix) {
    return reg.Enqueue(id, {"--stream", stream, "--count", std::to_string(n), "--to-prefix", prefix,
                            "--from", "ACME", "--text", "hello"});
  };
  ASSERT_EQ(send("sd:jobs", 1, "+4915100"), 0);
  ASSERT_EQ(send("sd:jobs-b", 1, "+4915101"), 0);
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes-b") >= 1; }, 30s))
      << ReadFile(b_log);
  EXPECT_EQ(c.ReadStream("sd:outcomes")[0].at("status"), "submitted");
  EXPECT_EQ(c.ReadStream("sd:outcomes-b")[0].at("status"), "submitted");

  // Jobs already queued when the key is revoked: B is stopped with 20 jobs waiting for it.
  b->Signal(SIGTERM);
  ASSERT_EQ(b->Wait(30s), 0) << ReadFile(b_log);
  ASSERT_EQ(send("sd:jobs-b", 20, "+4915102"), 0);

  reg.Revoke(id);
  std::this_thread::sleep_for(1s);
  // A second after the revocation the running daemon refuses the key...
  ASSERT_EQ(send("sd:jobs", 20, "+4915103"), 0);
  ASSERT_TRUE(OutcomesReach(c, 21)) << c.DaemonLog();
  // ...and B, started again, refuses the jobs that were queued before it.
  b = c.StartSecondDaemon({{"SMSDISPATCH_MASTER_KEY", Registry::master_hex()}});
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes-b") >= 21; }, 30s))
      << ReadFile(b_log);
  // B running, revoked a second ago for it too: its new jobs are refused as well.
  ASSERT_EQ(send("sd:jobs-b", 5, "+4915104"), 0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes-b") >= 26; }, 30s))
      << ReadFile(b_log);

  for (const std::string stream : {"sd:outcomes", "sd:outcomes-b"}) {
    const auto outs = c.ReadStream(stream);
    for (size_t i = 1; i < outs.size(); ++i) {
      EXPECT_EQ(outs[i].at("status") + ":" + outs[i].at("reason"), "rejected:revoked_key")
          << stream << " #" << i << " " << outs[i].at("detail");
    }
  }
  b->Signal(SIGTERM);
  EXPECT_EQ(b->Wait(30s), 0) << ReadFile(b_log);
  c.StopDaemon();
}

TEST(SecurityEndToEnd, EverySecurityDecisionIsAuditedWithTheNumberMaskedAndNoText) {
  Cluster::Options o;
  o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
  o.extra_config =
      "\n[content]\nrules_file = \"rules.toml\"\n\n"
      "[[limits]]\nname = \"per_number\"\nscope = \"destination\"\nrate = 1\nperiod_ms = "
      "3600000\nburst = 1\n"
      "action = \"reject\"\ncapacity = 1024\n";
  Cluster c(o);
  WriteFile(c.dir() + "/rules.toml",
            "[[rule]]\nid = \"crypto\"\naction = \"reject\"\nkeywords = [\"free bitcoin\"]\n",
            0644);
  Registry reg(c);
  const std::string otp = reg.Create(
      "otp", {"--kinds", "otp", "--senders", "ACME", "--countries", "DE", "--url-policy", "none"});
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return Ready(c.DaemonLog()); }, 30s)) << c.DaemonLog();
  const std::string secret_text = "free bitcoin at once 7391";
  struct Case {
    std::vector<std::string> args;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{"--to", "+4915111110001", "--from", "ACME", "--text", "Code 1", "--kind", "marketing"},
       "kind_not_allowed"},
      {{"--to", "+4915111110002", "--from", "OTHER", "--text", "Code 2", "--kind", "otp"},
       "sender_not_allowed"},
      {{"--to", "+447400123456", "--from", "ACME", "--text", "Code 3", "--kind", "otp"},
       "country_not_allowed"},
      {{"--to", "+4915111110004", "--from", "ACME", "--text", "see https://x.example.com/a",
        "--kind", "otp"},
       "url_not_allowed"},
      {{"--to", "+4915111110005", "--from", "ACME", "--text", secret_text, "--kind", "otp"},
       "blocked_content"},
      {{"--to", "+4915111110006", "--from", "ACME", "--text", "Code 6", "--kind", "otp"}, ""},
      {{"--to", "+4915111110006", "--from", "ACME", "--text", "Code 7", "--kind", "otp"},
       "rate_limited"},
  };
  for (const Case& k : cases) ASSERT_EQ(reg.Enqueue(otp, k.args), 0);
  // A forged signature: the harness's file key id with a wrong secret.
  ASSERT_EQ(c.Enqueue({"--to", "+4915111110008", "--from", "ACME", "--text", "x", "--corrupt",
                       "forged-signature"}),
            0);
  const long long n = static_cast<long long>(cases.size()) + 1;
  ASSERT_TRUE(OutcomesReach(c, n)) << c.DaemonLog();
  const auto outs = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outs.size(), static_cast<size_t>(n));
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(outs[i].at("reason"), cases[i].reason) << i << ": " << outs[i].at("detail");
  }
  EXPECT_EQ(outs.back().at("reason"), "bad_signature");

  // One audit event per refusal (the admitted job has none), each naming key and reason.
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:audit") >= n - 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // nothing more arrives
  const auto audit = c.ReadStream("sd:audit");
  std::map<std::string, Cluster::Fields> by_reason;
  for (const auto& a : audit) by_reason[Get(a, "reason")] = a;
  EXPECT_EQ(audit.size(), static_cast<size_t>(n - 1));
  for (const Case& k : cases) {
    if (k.reason.empty()) continue;
    ASSERT_EQ(by_reason.count(k.reason), 1u) << k.reason;
    const auto& a = by_reason[k.reason];
    EXPECT_EQ(Get(a, "action"), "rejected") << k.reason;
    EXPECT_EQ(Get(a, "kid"), otp) << k.reason;
    EXPECT_NE(Get(a, "job"), "") << k.reason;
  }
  ASSERT_EQ(by_reason.count("bad_signature"), 1u);
  // The same decisions as counters an operator reads without the logs: the daemon's stats
  // hash (every reason a field) and `smsdispatch stats`.
  auto stat = [&](const std::string& field) {
    redisReply* r =
        static_cast<redisReply*>(redisCommand(c.redis(), "HGET sd:stats:e2e %s", field.c_str()));
    std::string v =
        r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    if (r != nullptr) freeReplyObject(r);
    return v;
  };
  ASSERT_TRUE(WaitUntil([&] { return stat("rejected") == std::to_string(n - 1); }, 10s))
      << stat("rejected");
  for (const Case& k : cases) {
    if (!k.reason.empty()) {
      EXPECT_EQ(stat("rejected." + k.reason), "1") << k.reason;
    }
  }
  EXPECT_EQ(stat("rejected.bad_signature"), "1");
  EXPECT_EQ(stat("rejected.revoked_key"), "0");  // a fixed set of fields, zeros included
  EXPECT_EQ(stat("submitted"), "1");
  EXPECT_EQ(stat("carrier.sim.binds_bound"), "1");
  std::string cli;
  ASSERT_EQ(
      c.Cli({"stats", "--redis", "127.0.0.1:" + std::to_string(c.redis_port()), "--json"}, &cli), 0)
      << cli;
  EXPECT_NE(cli.find("\"rejected.kind_not_allowed\":\"1\""), std::string::npos) << cli;
  EXPECT_NE(cli.find("\"e2e\":{"), std::string::npos) << cli;
  for (const auto& a : audit) {
    for (const auto& [field, value] : a) {
      // Numbers are masked: no full destination anywhere in an event; no message text.
      EXPECT_EQ(value.find("+49151111100"), std::string::npos) << field << "=" << value;
      EXPECT_EQ(value.find("+447400123456"), std::string::npos) << field << "=" << value;
      EXPECT_EQ(value.find("bitcoin"), std::string::npos) << field << "=" << value;
      EXPECT_EQ(value.find("Code "), std::string::npos) << field << "=" << value;
    }
  }
  c.StopDaemon();
}

TEST(SecurityEndToEnd, KeysMadeRotatedAndRevokedUnderLoadLoseNoJob) {
  Cluster::Options o;
  o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
  o.max_inflight = 256;
  Cluster c(o);
  Registry reg(c);
  const std::string steady = reg.Create("steady");
  constexpr int kJobs = 3000;
  ASSERT_EQ(reg.Enqueue(steady, {"--count", std::to_string(kJobs), "--to-prefix", "+4915100",
                                 "--from", "ACME", "--text", "t"}),
            0);
  c.StartDaemon();
  int changes = 0;
  while (c.StreamLength("sd:outcomes") < kJobs && changes < 30) {
    // Every change is a new registry version the daemon reloads while jobs are in flight.
    const std::string other = reg.Create("churn" + std::to_string(changes));
    reg.Revoke(other);
    changes += 2;
  }
  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  c.StopDaemon();
  EXPECT_GE(changes, 2) << "the registry must change while jobs are in flight";
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    ASSERT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
  }
  EXPECT_EQ(c.PendingCount(), 0);
}

TEST(SecurityEndToEnd, ReceiptsArrivingAfterADaemonRestartStillMatch) {
  Cluster::Options o;
  o.receipt_delay_ms = 5000;  // the receipts come after the daemon that submitted has gone
  Cluster c(o);
  c.StartDaemon();
  constexpr int kJobs = 40;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(kJobs), "--to-prefix", "+4915100", "--from",
                       "ACME", "--text", "t"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, kJobs)) << c.DaemonLog();
  c.StopDaemon();
  // The receipts were not due yet: they cross the restart (at least one must, or this test
  // proves nothing).
  const long long before = c.StreamLength("sd:receipts");
  ASSERT_LT(before, kJobs);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= kJobs; }, 30s))
      << c.DaemonLog();
  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
  std::map<std::string, int> per_entry;
  for (const auto& r : c.ReadStream("sd:receipts")) ++per_entry[r.at("entry")];
  for (const auto& j : c.ReadStream("sd:jobs")) EXPECT_EQ(per_entry[j.at("_id")], 1) << j.at("_id");
}

}  // namespace
}  // namespace sd::testing
