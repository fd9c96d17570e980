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
