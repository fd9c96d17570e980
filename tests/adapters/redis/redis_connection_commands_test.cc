// The connection's own RESP formatting (Command from pointers and lengths) and its MULTI/EXEC
// (Transaction), against a real redis-server: any byte survives, EXEC's reply carries one reply
// per command, and nothing else on the connection falls between MULTI and EXEC.
#include <hiredis/hiredis.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

class ConnectionCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.error();
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    conn_ = std::make_unique<RedisConnection>(loop_.get(), e, "test");
    conn_->SetOnReady([this] { ready_ = true; });
    conn_->Start();
    ASSERT_TRUE(loop_.RunUntil([this] { return ready_; }));
  }
  void TearDown() override {
    bool closed = false;
    conn_->Close(true, [&] { closed = true; });
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
    EXPECT_TRUE(closed);
  }
  bool Send(const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    return conn_->Command(argv.size(), ptrs.data(), lens.data(), [](redisReply*) {});
  }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  std::unique_ptr<RedisConnection> conn_;
  bool ready_ = false;
};

TEST_F(ConnectionCommandsTest, AnyByteSurvivesTheFormatting) {
  std::string value("a\r\nb\0c$*\n", 10);
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  const std::string big(3 << 20, 'x');  // past the 1 MiB the buffer keeps between calls
  ASSERT_TRUE(Send({"SET", "k:binary", value}));
  ASSERT_TRUE(Send({"SET", "k:big", big}));
  ASSERT_TRUE(Send({"SET", "k:empty", ""}));
  std::vector<std::string> got;
  for (const char* key : {"k:binary", "k:big", "k:empty"}) {
    ASSERT_TRUE(conn_->Command({"GET", key}, [&](redisReply* r) {
      got.emplace_back(r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len)
                                                                     : "<no string>");
    }));
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return got.size() == 3; }));
  EXPECT_EQ(got[0], value);
  EXPECT_EQ(got[1], big);
  EXPECT_EQ(got[2], "");
}

TEST_F(ConnectionCommandsTest, TransactionAnswersOncePerCommandWithEveryReply) {
  ASSERT_TRUE(Send({"SET", "t:taken", "x"}));
  const std::vector<std::vector<std::string>> commands = {
      {"SET", "t:new", "1", "NX", "PX", "60000"},
      {"SET", "t:taken", "2", "NX", "PX", "60000"},
      {"INCR", "t:counter"}};
  std::vector<size_t> argcs;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& c : commands) {
    argcs.push_back(c.size());
    for (const std::string& a : c) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  std::vector<int> types;
  std::string after;
  ASSERT_TRUE(conn_->Transaction(argcs.size(), argcs.data(), argv.data(), lens.data(),
                                 [&](redisReply* r) {
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; ++i) types.push_back(r->element[i]->type);
  }));
  // A command issued right after is answered after EXEC, with EXEC's effects visible.
  ASSERT_TRUE(conn_->Command({"GET", "t:new"}, [&](redisReply* r) {
    after = r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "?";
  }));
  ASSERT_TRUE(loop_.RunUntil([&] { return !after.empty(); }));
  EXPECT_EQ(types, (std::vector<int>{REDIS_REPLY_STATUS, REDIS_REPLY_NIL, REDIS_REPLY_INTEGER}));
  EXPECT_EQ(after, "1");
}

}  // namespace
}  // namespace sd::redis
