// The Lua scripts against a real redis-server: each loads under the SHA-1 the store sends with
// EVALSHA, and the claim and stats scripts answer with the codes lua_scripts.h names.
#include "adapters/redis/lua_scripts.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/redis_server.h"

namespace sd::redis {
namespace {

class LuaScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }

  testing::ReplyPtr Eval(const LuaScript& s, std::vector<std::string> keys,
                         std::vector<std::string> args) {
    std::vector<std::string> argv{"EVALSHA", s.sha1, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return server_.Command(argv);
  }

  long long ClaimOne(const std::string& idem, const std::string& guard, const std::string& entry) {
    auto r = Eval(kClaimScript, {idem, guard}, {entry, "60000"});
    EXPECT_NE(r, nullptr);
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 1) return -1;
    return r->element[0]->integer;
  }

  testing::RedisServer server_;
};

TEST_F(LuaScriptsTest, EveryScriptLoadsUnderItsSha1) {
  for (const LuaScript* s : AllScripts()) {
    auto r = server_.Command({"SCRIPT", "LOAD", s->body});
    ASSERT_NE(r, nullptr) << s->name;
    ASSERT_EQ(r->type, REDIS_REPLY_STRING) << s->name << ": " << std::string(r->str, r->len);
    EXPECT_EQ(std::string(r->str, r->len), s->sha1) << s->name;
  }
}

TEST_F(LuaScriptsTest, ClaimAnswersNewResumeDoneReplay) {
  for (const LuaScript* s : AllScripts())
    ASSERT_NE(server_.Command({"SCRIPT", "LOAD", s->body}), nullptr);
  EXPECT_EQ(ClaimOne("idem:j1", "out:1-0", "1-0"), kClaimNew);
  EXPECT_EQ(ClaimOne("idem:j1", "out:1-0", "1-0"), kClaimResume);  // redelivered, no outcome
  ASSERT_NE(server_.Command({"SET", "out:1-0", "1"}), nullptr);    // its outcome was written
  EXPECT_EQ(ClaimOne("idem:j1", "out:1-0", "1-0"), kClaimDone);
  EXPECT_EQ(ClaimOne("idem:j1", "out:2-0", "2-0"), kClaimReplay);  // same job id, other entry
}

// commit_many's layout: KEYS outcomes, jobs, then per outcome guard, idempotency record,
// correlation keys; ARGV group, correlation ttl, maxlen, guard ttl, then per outcome entry,
// ncorr, nf, napi, fields, correlation values.
class CommitScriptTest : public LuaScriptsTest {
 protected:
  void SetUp() override {
    LuaScriptsTest::SetUp();
    for (const LuaScript* s : AllScripts()) {
      ASSERT_NE(server_.Command({"SCRIPT", "LOAD", s->body}), nullptr);
    }
    ASSERT_NE(server_.Command({"XADD", "jobs", "*", "v", "1"}), nullptr);
  }
  long long CommitOne(const std::string& entry, const std::string& idem) {
    auto r = Eval(kCommitManyScript, {"outcomes", "jobs", "out:" + entry, idem, "corr:" + entry},
                  {"g", "60000", "0", "60000", entry, "1", "4", "0", "entry", entry, "status",
                   "submitted", "corr-value"});
    EXPECT_NE(r, nullptr);
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 1) {
      ADD_FAILURE() << (r != nullptr && r->type == REDIS_REPLY_ERROR ? r->str : "no array");
      return -1;
    }
    return r->element[0]->integer;
  }
  std::string Get(const std::string& key) {
    auto r = server_.Command({"GET", key});
    return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "(nil)";
  }
  long long Len(const std::string& stream) {
    auto r = server_.Command({"XLEN", stream});
    return r != nullptr ? r->integer : -1;
  }
};

TEST_F(CommitScriptTest, OwnedRecordWritesOnceAndMarksDone) {
  ASSERT_NE(server_.Command({"SET", "idem:j1", "1-0", "PX", "60000"}), nullptr);
  EXPECT_EQ(CommitOne("1-0", "idem:j1"), kCommitWritten);
  EXPECT_EQ(Get("idem:j1"), "1-0|done");
  EXPECT_EQ(Get("corr:1-0"), "corr-value");
  EXPECT_EQ(Get("out:1-0"), "(nil)");  // the record is the guard
  EXPECT_EQ(CommitOne("1-0", "idem:j1"), kCommitAlreadyThere);
  EXPECT_EQ(Len("outcomes"), 1);
  auto ttl = server_.Command({"PTTL", "idem:j1"});
  EXPECT_GT(ttl->integer, 0);  // KEEPTTL
}

// A replay's commit names the record another entry owns: it stays that entry's, and the
// replay's own guard decides.
TEST_F(CommitScriptTest, AnotherEntrysRecordIsPutBack) {
  ASSERT_NE(server_.Command({"SET", "idem:j2", "1-0", "PX", "60000"}), nullptr);
  EXPECT_EQ(CommitOne("2-0", "idem:j2"), kCommitWritten);
  EXPECT_EQ(Get("idem:j2"), "1-0");
  EXPECT_EQ(Get("out:2-0"), "1");
  EXPECT_EQ(CommitOne("2-0", "idem:j2"), kCommitAlreadyThere);
  EXPECT_EQ(Get("idem:j2"), "1-0");
  EXPECT_EQ(Len("outcomes"), 1);
  // The owner commits afterwards as usual.
  EXPECT_EQ(CommitOne("1-0", "idem:j2"), kCommitWritten);
  EXPECT_EQ(Get("idem:j2"), "1-0|done");
}

// The outcome XADD fails (the stream's key holds another type): the record is set back, so
// the retry after the key is fixed writes the outcome instead of finding it "done".
TEST_F(CommitScriptTest, AFailedOutcomeWriteLeavesTheRecordUndone) {
  ASSERT_NE(server_.Command({"SET", "idem:j3", "3-0", "PX", "60000"}), nullptr);
  ASSERT_NE(server_.Command({"SET", "outcomes", "not a stream"}), nullptr);
  auto r = Eval(kCommitManyScript, {"outcomes", "jobs", "out:3-0", "idem:j3", "corr:3-0"},
                {"g", "60000", "0", "60000", "3-0", "1", "2", "0", "status", "submitted", "c"});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Get("idem:j3"), "3-0");
  EXPECT_EQ(Get("corr:3-0"), "(nil)");
  ASSERT_NE(server_.Command({"DEL", "outcomes"}), nullptr);
  EXPECT_EQ(CommitOne("3-0", "idem:j3"), kCommitWritten);
  EXPECT_EQ(Len("outcomes"), 1);
}

TEST_F(LuaScriptsTest, StatsReplacesTheHashWholeWithATtl) {
  for (const LuaScript* s : AllScripts())
    ASSERT_NE(server_.Command({"SCRIPT", "LOAD", s->body}), nullptr);
  ASSERT_NE(Eval(kStatsScript, {"sd:stats:t"}, {"60000", "a", "1", "b", "2"}), nullptr);
  ASSERT_NE(Eval(kStatsScript, {"sd:stats:t"}, {"60000", "b", "3"}), nullptr);
  auto all = server_.Command({"HGETALL", "sd:stats:t"});
  ASSERT_NE(all, nullptr);
  ASSERT_EQ(all->elements, 2u);  // "a" from the first call is gone
  EXPECT_EQ(std::string(all->element[1]->str), "3");
  auto ttl = server_.Command({"PTTL", "sd:stats:t"});
  ASSERT_NE(ttl, nullptr);
  EXPECT_GT(ttl->integer, 0);
}

}  // namespace
}  // namespace sd::redis
