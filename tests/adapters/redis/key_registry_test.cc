// The key registry in a real Redis: writes through the update script, daemons' watchers see
// creations and revocations (within 1 s even when the pub/sub message is lost), records are
// sealed at rest, and a bad record never replaces a good snapshot.
#include "adapters/redis/key_registry.h"

#include <gtest/gtest.h>

#include <chrono>

#include "adapters/crypto/random.h"
#include "core/hex.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

using std::chrono::milliseconds;

MasterKey Master(uint8_t seed) {
  std::array<uint8_t, kMasterKeyBytes> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(seed * 31 + i);
  return MasterKey(b);
}

KeyRecord Record(const std::string& id) {
  KeyRecord r;
  r.id = id;
  r.secret = RandomBytes(32);
  r.created_ms = 1'000;
  r.not_before_ms = 1'000;
  r.scopes.kinds = KindBit(JobKind::kOtp);
  r.scopes.otp_template = "Your code is {code}";
  return r;
}

class KeyRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }

  RedisEndpoint Endpoint() {
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    e.reconnect_initial_ms = 20;
    e.reconnect_max_ms = 100;
    return e;
  }

  // Runs the update script on the admin client; returns the reply's text.
  std::string Update(const std::vector<KeyRecordWrite>& writes) {
    testing::ReplyPtr r = server_.Command(KeyRegistryUpdateCommand(names_, writes));
    return ReplyString(r.get());
  }

  std::string Sealed(const KeyRecord& r, const MasterKey& m) {
    auto s = SealKeyRecord(m, r);
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : std::string();
  }

  std::string Field(const std::string& id) {
    return ReplyString(server_.Command({"HGET", names_.hash, id}).get());
  }

  void CloseAll(testing::UvTestLoop& loop, std::vector<KeyRegistryWatcher*> watchers) {
    int closed = 0;
    for (KeyRegistryWatcher* w : watchers) w->Close([&] { ++closed; });
    EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
    EXPECT_EQ(closed, static_cast<int>(watchers.size()));
  }

  testing::RedisServer server_;
  KeyRegistryNames names_ = KeyRegistryNames::ForPrefix("sd:");
  MasterKey master_ = Master(1);
};

TEST_F(KeyRegistryTest, ScriptsCreateConflictAndLoad) {
  const KeyRecord a = Record("acme-otp.v1");
  const std::string sealed = Sealed(a, master_);
  EXPECT_EQ(Update({{a.id, "", sealed}}), "1");
  // Creating it again conflicts and changes nothing.
  EXPECT_NE(Update({{a.id, "", Sealed(a, master_)}}).find("CONFLICT acme-otp.v1"),
            std::string::npos);
  EXPECT_NE(Update({{a.id, "not what is there", Sealed(a, master_)}}).find("CONFLICT"),
            std::string::npos);
  EXPECT_EQ(Field(a.id), sealed);
  EXPECT_EQ(ReplyString(server_.Command({"GET", names_.version}).get()), "1");

  testing::ReplyPtr r = server_.Command(KeyRegistryLoadCommand(names_));
  auto loaded = ParseKeyRegistryLoad(r.get());
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  EXPECT_EQ(loaded->version, 1u);
  auto snap = OpenKeyRegistry(master_, *loaded);
  ASSERT_TRUE(snap.ok()) << snap.error().detail;
  ASSERT_NE((*snap)->Find(a.id), nullptr);
  EXPECT_EQ((*snap)->Find(a.id)->record.secret, a.secret);
}

TEST_F(KeyRegistryTest, PlainRedisReaderSeesNoSecret) {
  const KeyRecord a = Record("acme-otp.v1");
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  testing::ReplyPtr all = server_.Command({"HGETALL", names_.hash});
  const testing::FieldList pairs = testing::ReplyPairs(all.get());
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].first, a.id);
  const std::string& stored = pairs[0].second;
  EXPECT_EQ(stored.find(a.secret), std::string::npos);
  EXPECT_EQ(stored.find(a.secret.substr(0, 8)), std::string::npos);
  EXPECT_EQ(stored.find(HexEncode(a.secret).substr(0, 16)), std::string::npos);
  EXPECT_EQ(stored.find("Your code is"), std::string::npos);  // scopes are sealed too
  // And a sealed record cannot be moved to another key id.
  EXPECT_FALSE(OpenKeyRecord(master_, "acme-otp.v2", stored).ok());
  EXPECT_FALSE(OpenKeyRecord(Master(2), a.id, stored).ok());
}

TEST_F(KeyRegistryTest, WatcherSeesCreationThroughPubSub) {
  testing::UvTestLoop loop;
  KeyRegistryWatcherOptions opts;
  opts.poll_interval_ms = 60'000;  // only the message can deliver the change in time
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_, opts);
  std::vector<uint64_t> versions;
  w.SetOnSnapshot(
      [&](std::shared_ptr<const KeyRegistrySnapshot> s) { versions.push_back(s->version()); });
  w.Start();
  // Wait until the server has the subscription, or the message could go to nobody.
  auto subscribed = [&] {
    testing::ReplyPtr r = server_.Command({"PUBSUB", "NUMSUB", names_.channel});
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer == 1;
  };
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() != nullptr && subscribed(); }));
  EXPECT_EQ(w.snapshot()->version(), 0u);
  EXPECT_EQ(w.snapshot()->size(), 0u);
  const KeyRecord a = Record("acme-otp.v1");
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  ASSERT_TRUE(
      loop.RunUntil([&] { return w.snapshot()->Find(a.id) != nullptr; }, milliseconds(10'000)));
  EXPECT_GE(w.messages(), 1u);
  EXPECT_EQ(w.snapshot()->version(), 1u);
  EXPECT_EQ(w.snapshot()->Find(a.id)->record.secret, a.secret);
  EXPECT_EQ(versions, (std::vector<uint64_t>{0, 1}));
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, RevocationReachesASecondWatcherWithinOneSecond) {
  const KeyRecord a = Record("acme-otp.v1");
  const std::string sealed = Sealed(a, master_);
  ASSERT_EQ(Update({{a.id, "", sealed}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w1(loop.get(), Endpoint(), master_);
  KeyRegistryWatcher w2(loop.get(), Endpoint(), master_);
  w1.Start();
  w2.Start();
  auto active = [&](KeyRegistryWatcher& w) {
    return w.snapshot() != nullptr && w.snapshot()->Find(a.id) != nullptr &&
           !w.snapshot()->Find(a.id)->record.revoked;
  };
  ASSERT_TRUE(loop.RunUntil([&] { return active(w1) && active(w2); }));
  KeyRecord revoked = a;
  revoked.revoked = true;
  revoked.revoked_at_ms = 2'000;
  ASSERT_EQ(Update({{a.id, sealed, Sealed(revoked, master_)}}), "2");
  // The requirement: every daemon stops accepting a revoked key within 1 s.
  EXPECT_TRUE(
      loop.RunUntil([&] { return w1.snapshot()->version() == 2 && w2.snapshot()->version() == 2; },
                    milliseconds(1'000)));
  for (KeyRegistryWatcher* w : {&w1, &w2}) {
    auto check = CheckKey(*w->snapshot(), a.id, 5'000);
    ASSERT_FALSE(check.ok());
    EXPECT_EQ(check.error().reason, Reason::kRevokedKey);
  }
  CloseAll(loop, {&w1, &w2});
}

TEST_F(KeyRegistryTest, LostMessageIsCaughtByThePoll) {
  const KeyRecord a = Record("acme-otp.v1");
  const std::string sealed = Sealed(a, master_);
  ASSERT_EQ(Update({{a.id, "", sealed}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_);
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() && w.snapshot()->version() == 1; }));
  // A writer that changes the hash and the counter but never publishes (or whose message is
  // lost): only the poll can notice.
  KeyRecord revoked = a;
  revoked.revoked = true;
  revoked.revoked_at_ms = 2'000;
  ASSERT_TRUE(server_.Command({"HSET", names_.hash, a.id, Sealed(revoked, master_)}));
  ASSERT_TRUE(server_.Command({"INCR", names_.version}));
  const uint64_t messages_before = w.messages();
  EXPECT_TRUE(loop.RunUntil([&] { return w.snapshot()->version() == 2; }, milliseconds(1'000)));
  EXPECT_EQ(w.messages(), messages_before);
  EXPECT_TRUE(w.snapshot()->Find(a.id)->record.revoked);
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, BadRecordKeepsTheOldSnapshotAndSaysWhy) {
  const KeyRecord a = Record("acme-otp.v1");
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_);
  std::vector<std::string> problems;
  w.SetOnProblem([&](const std::string& why) { problems.push_back(why); });
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() && w.snapshot()->version() == 1; }));
  // A record sealed under another master key, then garbage.
  const KeyRecord b = Record("other.v1");
  ASSERT_EQ(Update({{b.id, "", Sealed(b, Master(9))}}), "2");
  ASSERT_TRUE(loop.RunUntil([&] { return w.failed_loads() >= 1; }));
  EXPECT_EQ(w.snapshot()->version(), 1u);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.back().find("other.v1"), std::string::npos) << problems.back();
  EXPECT_NE(problems.back().find("does not open"), std::string::npos) << problems.back();
  // The refused version is reported once, not once per poll.
  const size_t reported = problems.size();
  ASSERT_TRUE(server_.Command({"SET", "unrelated", "x"}));
  loop.RunUntil([] { return false; }, milliseconds(600));
  EXPECT_EQ(problems.size(), reported);
  // Removing the bad record lets the next version load.
  ASSERT_TRUE(server_.Command({"HDEL", names_.hash, b.id}));
  ASSERT_TRUE(server_.Command({"INCR", names_.version}));
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot()->version() == 3; }));
  EXPECT_EQ(w.snapshot()->size(), 1u);
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, OversizedRegistryIsRefusedOnce) {
  const KeyRecord a = Record("acme-otp.v1");
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_);
  std::vector<std::string> problems;
  w.SetOnProblem([&](const std::string& why) { problems.push_back(why); });
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() && w.snapshot()->version() == 1; }));
  std::vector<std::string> hset{"HSET", names_.hash};
  for (size_t i = 0; i < kMaxRegistryKeys; ++i) {
    hset.push_back("junk" + std::to_string(i) + ".v1");
    hset.push_back("x");
  }
  ASSERT_TRUE(server_.Command(hset));
  ASSERT_TRUE(server_.Command({"INCR", names_.version}));
  ASSERT_TRUE(loop.RunUntil([&] { return w.failed_loads() >= 1; }));
  EXPECT_NE(problems.back().find("more than"), std::string::npos) << problems.back();
  EXPECT_EQ(w.snapshot()->version(), 1u);
  // Not reloaded (and reported) on every poll while the version stays the same.
  const uint64_t polls = w.polls();
  ASSERT_TRUE(loop.RunUntil([&] { return w.polls() >= polls + 3; }));
  EXPECT_LE(w.failed_loads(), 2u);
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, WrongMasterKeyLoadsNothing) {
  const KeyRecord a = Record("acme-otp.v1");
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), Master(2));
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.failed_loads() >= 1; }));
  EXPECT_EQ(w.snapshot(), nullptr);
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, ReplayedUnrevokedRecordStaysRevoked) {
  const KeyRecord a = Record("acme-otp.v1");
  const std::string sealed = Sealed(a, master_);
  ASSERT_EQ(Update({{a.id, "", sealed}}), "1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_);
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() && w.snapshot()->version() == 1; }));
  KeyRecord revoked = a;
  revoked.revoked = true;
  revoked.revoked_at_ms = 2'000;
  const std::string revoked_sealed = Sealed(revoked, master_);
  ASSERT_EQ(Update({{a.id, sealed, revoked_sealed}}), "2");
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot()->version() == 2; }));
  // A Redis writer puts the old (valid, sealed) record back.
  ASSERT_EQ(Update({{a.id, revoked_sealed, sealed}}), "3");
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot()->version() == 3; }));
  EXPECT_EQ(w.rollbacks(), 1u);
  EXPECT_EQ(CheckKey(*w.snapshot(), a.id, 5'000).error().reason, Reason::kRevokedKey);
  CloseAll(loop, {&w});
}

TEST_F(KeyRegistryTest, WatcherRecoversAfterRedisRestart) {
  const KeyRecord a = Record("acme-otp.v1");
  testing::UvTestLoop loop;
  KeyRegistryWatcher w(loop.get(), Endpoint(), master_);
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() != nullptr; }));
  server_.Kill();
  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_EQ(Update({{a.id, "", Sealed(a, master_)}}), "1");
  EXPECT_TRUE(loop.RunUntil([&] { return w.snapshot()->Find(a.id) != nullptr; }));
  CloseAll(loop, {&w});
}

}  // namespace
}  // namespace sd::redis
