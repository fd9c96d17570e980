// Status callbacks through real processes (docs/api.md, "Status callbacks"): the daemon POSTs
// each outcome and receipt of a key with a callback URL to an HTTPS receiver written in Python
// from the Standard Webhooks specification (callback_receiver.py), which verifies every
// request on its own; the Python and Node libraries verify the same requests. Failed
// deliveries are retried with the same webhook-id, survive kill -9 of the daemon, follow a
// secret rotation, and end on the dead-letter stream when the receiver keeps failing.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class CallbacksEndToEnd : public ::testing::Test {
 protected:
  void Boot(const std::string& callbacks_lines, int fail_first = 0) {
    dir_ = std::make_unique<TempDir>("sd-callbacks-e2e");
    secrets_ = dir_->File("secrets");
    out_ = dir_->File("requests.jsonl");
    fail_all_ = dir_->File("fail-all");
    WriteFile(secrets_, "");
    receiver_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3",
                                 SD_SOURCE_DIR "/tests/integration/callback_receiver.py",
                                 "--cert", pki_.server().cert, "--key", pki_.server().key,
                                 "--secrets-file", secrets_, "--out", out_, "--port-file",
                                 dir_->File("port"), "--fail-first", std::to_string(fail_first),
                                 "--fail-all-file", fail_all_},
        dir_->File("receiver.log"));
    ASSERT_TRUE(WaitUntil([&] { return !ReadFile(dir_->File("port")).empty(); }, 20s))
        << ReadFile(dir_->File("receiver.log"));
    port_ = std::stoi(ReadFile(dir_->File("port")));
    Cluster::Options o;
    o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
    o.extra_config = "\n[callbacks]\nca_file = \"" + pki_.ca() + "\"\n" + callbacks_lines;
    c_ = std::make_unique<Cluster>(o);
    redis_ = "127.0.0.1:" + std::to_string(c_->redis_port());
    master_ = c_->dir() + "/master.key";
    WriteFile(master_, std::string(64, 'd') + "\n");
  }

  // Creates a key (with the receiver as its callback when `callback`); writes it, and a forged
  // copy with a wrong secret, to producer key files.
  std::string MakeKey(const std::string& name, bool callback) {
    std::vector<std::string> args{"keys", "create", "--name", name, "--redis", redis_,
                                  "--master-key-file", master_};
    if (callback) {
      args.insert(args.end(),
                  {"--callback-url", "https://localhost:" + std::to_string(port_) + "/hook"});
    }
    std::string out;
    EXPECT_EQ(c_->Cli(args, &out), 0) << out;
    const std::string id = CliField(out, "id");
    if (callback) {
      callback_secret_ = CliField(out, "callback_secret");
      EXPECT_EQ(callback_secret_.rfind("whsec_", 0), 0u) << out;
      WriteFile(secrets_, callback_secret_ + "\n");
    }
    WriteFile(c_->dir() + "/" + name + ".toml",
              "[[key]]\nid = \"" + id + "\"\nsecret = \"" + CliField(out, "secret_hex") + "\"\n");
    WriteFile(c_->dir() + "/" + name + "-forged.toml",
              "[[key]]\nid = \"" + id + "\"\nsecret = \"" + std::string(64, 'e') + "\"\n");
    return id;
  }

  void Send(const std::string& key_file, const std::string& id, int n, int first = 0) {
    for (int i = first; i < first + n; ++i) {
      std::string out;
      ASSERT_EQ(c_->Cli({"enqueue", "--redis", redis_, "--key-file", c_->dir() + "/" + key_file,
                         "--key-id", id, "--to", "+4915100" + std::to_string(100000 + i),
                         "--from", "SHOP", "--text", "order " + std::to_string(i)},
                        &out),
                0)
          << out;
    }
  }

  std::vector<json> Requests() const {
    std::vector<json> out;
    std::istringstream in(ReadFile(out_));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }

  // Webhook ids the daemon owes the key: its jobs' outcomes (those decoded) and receipts.
  std::set<std::string> Owed(const std::string& kid) {
    std::set<std::string> ids;
    for (const auto& e : c_->ReadStream("sd:outcomes")) {
      if (e.at("kid") == kid && !e.at("job").empty()) ids.insert("msg_o_" + e.at("_id"));
    }
    for (const auto& e : c_->ReadStream("sd:receipts")) {
      if (e.at("kid") == kid) ids.insert("msg_r_" + e.at("_id"));
    }
    return ids;
  }

  std::set<std::string> Delivered() const {
    std::set<std::string> ids;
    for (const json& r : Requests()) {
      if (r["status"] == 204) ids.insert(r["headers"]["webhook-id"].get<std::string>());
    }
    return ids;
  }

  bool AllDelivered(const std::string& kid, size_t at_least) {
    const std::set<std::string> owed = Owed(kid);
    if (owed.size() < at_least) return false;
    const std::set<std::string> got = Delivered();
    return std::includes(got.begin(), got.end(), owed.begin(), owed.end());
  }

  // Both libraries verify every delivered request under each of `secrets`.
  void LibrariesVerify(const std::vector<std::string>& secrets) {
    std::vector<std::vector<std::string>> runs{
        {"/usr/bin/python3", SD_SOURCE_DIR "/tests/integration/verify_callbacks.py", out_},
        {"/usr/bin/node", SD_SOURCE_DIR "/tests/integration/verify_callbacks.js", out_}};
    for (auto& argv : runs) {
      argv.insert(argv.end(), secrets.begin(), secrets.end());
      const std::string log = dir_->File("verify.out");
      unlink(log.c_str());
      Process p(argv, log, {{"NODE_PATH", SD_CLIENTS_NODE_MODULES}});
      EXPECT_EQ(p.Wait(60s), 0) << argv[1] << ": " << ReadFile(log);
      EXPECT_EQ(ReadFile(log).find("NOT VERIFIED"), std::string::npos) << ReadFile(log);
    }
  }

  TestPki pki_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Process> receiver_;
  std::unique_ptr<Cluster> c_;
  std::string secrets_, out_, fail_all_, redis_, master_, callback_secret_;
  int port_ = 0;
};

TEST_F(CallbacksEndToEnd, SignedRetriedAtLeastOnceThroughKill9AndRotation) {
  Boot("retry_initial_ms = 100\nretry_max_ms = 500\nclaim_idle_s = 10\n", /*fail_first=*/3);
  const std::string shop = MakeKey("shop", true);
  const std::string quiet = MakeKey("quiet", false);
  c_->StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c_->DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c_->DaemonLog();
  Send("shop.toml", shop, 10);
  Send("quiet.toml", quiet, 2, 100);
  Send("shop-forged.toml", shop, 1, 200);  // bad_signature: nobody may learn of it by callback
  ASSERT_TRUE(OutcomesReach(*c_, 13)) << c_->DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return AllDelivered(shop, 20); }, 60s))
      << Requests().size() << " requests\n" << c_->DaemonLog();
  const std::set<std::string> owed = Owed(shop);
  EXPECT_EQ(owed.size(), 20u);  // 10 outcomes, 10 receipts; not the forged one
  size_t refused = 0, failed = 0;
  std::set<std::string> failed_ids;
  for (const json& r : Requests()) {
    const std::string id = r["headers"]["webhook-id"];
    EXPECT_TRUE(owed.count(id)) << "a callback nobody is owed: " << id;
    if (r["status"] == 401) ++refused;
    if (r["status"] == 503) ++failed, failed_ids.insert(id);
    // The body is the stream entry's: its job, key and type agree.
    const json body = json::parse(r["body"].get<std::string>());
    EXPECT_EQ(body["data"]["kid"], shop);
    EXPECT_EQ(body["type"], id.rfind("msg_r_", 0) == 0 ? "message.receipt" : "message.submitted");
  }
  EXPECT_EQ(refused, 0u);  // the independent verifier accepted every signature
  EXPECT_EQ(failed, 3u);
  for (const std::string& id : failed_ids) EXPECT_TRUE(Delivered().count(id)) << id;
  LibrariesVerify({callback_secret_});

  // kill -9 while the receiver fails: the events stay pending on the streams' group, and the
  // restarted daemon delivers them (same ids) once the receiver is back.
  WriteFile(fail_all_, "");
  Send("shop.toml", shop, 5, 20);
  ASSERT_TRUE(OutcomesReach(*c_, 18));
  ASSERT_TRUE(WaitUntil(
      [&] {
        size_t n = 0;
        for (const json& r : Requests()) n += r["status"] == 500;
        return n >= 3;
      },
      30s));
  c_->KillDaemon();
  unlink(fail_all_.c_str());
  c_->StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return AllDelivered(shop, 30); }, 60s)) << c_->DaemonLog();

  // Rotation: both secrets sign until it is finished; the receiver knows only the new one.
  std::string out;
  ASSERT_EQ(c_->Cli({"keys", "set", "--name", "shop", "--rotate-callback-secret", "--redis",
                     redis_, "--master-key-file", master_},
                    &out),
            0)
      << out;
  const std::string old_secret = callback_secret_;
  const std::string new_secret = CliField(out, "callback_secret");
  ASSERT_EQ(new_secret.rfind("whsec_", 0), 0u) << out;
  WriteFile(secrets_, new_secret + "\n");
  const std::string version = CliField(out, "registry_version");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return c_->DaemonLog().find("key registry version " + version + ":") != std::string::npos;
      },
      10s));
  const size_t before = Requests().size();
  Send("shop.toml", shop, 3, 40);
  ASSERT_TRUE(WaitUntil([&] { return AllDelivered(shop, 36); }, 60s)) << c_->DaemonLog();
  const auto all = Requests();
  for (size_t i = before; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["status"], 204);
    const std::string sigs = all[i]["headers"]["webhook-signature"];
    EXPECT_EQ(std::count(sigs.begin(), sigs.end(), ' '), 1) << sigs;
  }
  // Requests made since the rotation verify under either secret, with both libraries.
  std::string tail;
  for (size_t i = before; i < all.size(); ++i) tail += all[i].dump() + "\n";
  WriteFile(out_ + ".all", ReadFile(out_));
  WriteFile(out_, tail);
  LibrariesVerify({new_secret, old_secret});
  c_->StopDaemon();
}

TEST_F(CallbacksEndToEnd, DeadLetteredWhenTheReceiverKeepsFailing) {
  Boot("retry_for_s = 2\nretry_initial_ms = 100\nretry_max_ms = 300\n");
  const std::string shop = MakeKey("shop", true);
  WriteFile(fail_all_, "");
  c_->StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c_->DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c_->DaemonLog();
  Send("shop.toml", shop, 3);
  ASSERT_TRUE(OutcomesReach(*c_, 3));
  ASSERT_TRUE(WaitUntil([&] { return c_->StreamLength("sd:callbacks:dead") >= 6; }, 60s))
      << c_->DaemonLog();
  const auto dead = c_->ReadStream("sd:callbacks:dead");
  std::set<std::string> dead_ids;
  for (const auto& d : dead) {
    EXPECT_NE(d.at("failure").find("HTTP 500"), std::string::npos) << d.at("failure");
    dead_ids.insert((d.at("event_stream") == "sd:receipts" ? "msg_r_" : "msg_o_") +
                    d.at("event_id"));
    EXPECT_EQ(d.at("kid"), shop);  // the event's own fields come along
  }
  EXPECT_EQ(dead_ids, Owed(shop));
  // Nothing is left pending in the group: each event ended on the dead-letter stream.
  auto* r = static_cast<redisReply*>(
      redisCommand(c_->redis(), "XPENDING sd:outcomes sd-callbacks"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->element[0]->integer, 0);
  freeReplyObject(r);
  c_->StopDaemon();
}

}  // namespace
}  // namespace sd::testing
