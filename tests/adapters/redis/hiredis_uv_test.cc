// hiredis' async context on our libuv attachment, against a real redis-server: replies
// arrive, and every way a connection ends (refused, server killed mid-command, our own
// disconnect) reaches hiredis' callbacks and closes the poll handle. The refused and killed
// cases are the ones hiredis' own libuv adapter leaves hanging (see hiredis_uv.h).
#include "adapters/redis/hiredis_uv.h"

#include <gtest/gtest.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <string>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

// What the callbacks saw; the context's data points here.
struct Seen {
  bool connected = false;
  int connect_status = 1;  // 1: not called yet
  int disconnect_status = 1;
  std::string reply;
  bool reply_null = false;
  int replies = 0;
};

class HiredisUvTest : public ::testing::Test {
 protected:
  // A context connecting to 127.0.0.1:port, attached to the loop, with callbacks into seen_.
  redisAsyncContext* Connect(int port) {
    redisAsyncContext* ac = redisAsyncConnect("127.0.0.1", port);
    EXPECT_NE(ac, nullptr);
    EXPECT_EQ(ac->err, 0) << ac->errstr;
    ac->data = &seen_;
    EXPECT_EQ(AttachToLoop(ac, loop_.get()), REDIS_OK);
    redisAsyncSetConnectCallback(ac, [](const redisAsyncContext* c, int status) {
      auto* s = static_cast<Seen*>(c->data);
      s->connect_status = status;
      s->connected = status == REDIS_OK;
    });
    redisAsyncSetDisconnectCallback(ac, [](const redisAsyncContext* c, int status) {
      static_cast<Seen*>(c->data)->disconnect_status = status;
    });
    return ac;
  }

  static void OnReply(redisAsyncContext* c, void* r, void*) {
    auto* s = static_cast<Seen*>(c->data);
    auto* reply = static_cast<redisReply*>(r);
    ++s->replies;
    s->reply_null = reply == nullptr;
    if (reply != nullptr && reply->str != nullptr) s->reply.assign(reply->str, reply->len);
  }

  // Every handle the attachment opened is closed once hiredis has let go of the context.
  void ExpectNoHandlesLeft() {
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0) << "a handle is open";
  }

  testing::UvTestLoop loop_;
  Seen seen_;
};

TEST_F(HiredisUvTest, RepliesArriveAndOurDisconnectClosesTheHandle) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start()) << server.error();
  redisAsyncContext* ac = Connect(server.port());
  ASSERT_EQ(redisAsyncCommand(ac, OnReply, nullptr, "ECHO %s", "over the loop"), REDIS_OK);
  ASSERT_TRUE(loop_.RunUntil([&] { return seen_.replies == 1; }));
  EXPECT_TRUE(seen_.connected);
  EXPECT_EQ(seen_.reply, "over the loop");
  redisAsyncDisconnect(ac);
  ASSERT_TRUE(loop_.RunUntil([&] { return seen_.disconnect_status != 1; }));
  EXPECT_EQ(seen_.disconnect_status, REDIS_OK);
  ExpectNoHandlesLeft();
}

TEST_F(HiredisUvTest, ARefusedConnectionIsReportedNotLeftHanging) {
  const int port = testing::PickFreeLoopbackPort();  // nothing listens there
  Connect(port);
  ASSERT_TRUE(loop_.RunUntil([&] { return seen_.connect_status != 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(seen_.connect_status, REDIS_ERR);
  EXPECT_FALSE(seen_.connected);
  ExpectNoHandlesLeft();
}

TEST_F(HiredisUvTest, AServerKilledMidCommandFailsTheCommandAndDisconnects) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start()) << server.error();
  redisAsyncContext* ac = Connect(server.port());
  // Blocks server-side until the kill; the reply never comes.
  ASSERT_EQ(redisAsyncCommand(ac, OnReply, nullptr, "BLPOP %s %d", "never-filled", 0), REDIS_OK);
  ASSERT_TRUE(loop_.RunUntil([&] { return seen_.connected; }));
  server.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return seen_.disconnect_status != 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(seen_.disconnect_status, REDIS_ERR);
  EXPECT_EQ(seen_.replies, 1) << "the pending command's callback runs, with no reply";
  EXPECT_TRUE(seen_.reply_null);
  ExpectNoHandlesLeft();
}

TEST_F(HiredisUvTest, AContextAlreadyAttachedIsRefused) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start()) << server.error();
  redisAsyncContext* ac = Connect(server.port());
  EXPECT_EQ(AttachToLoop(ac, loop_.get()), REDIS_ERR);
  redisAsyncFree(ac);  // runs the first attachment's cleanup
  ExpectNoHandlesLeft();
}

}  // namespace
}  // namespace sd::redis
