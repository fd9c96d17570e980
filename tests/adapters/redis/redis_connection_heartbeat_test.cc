// A Redis that stops answering without closing the connection (SIGSTOP: what a network
// partition looks like) is detected by the heartbeat and the connection is re-established.
#include <gtest/gtest.h>
#include <signal.h>

#include "adapters/redis/redis_connection.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

TEST(RedisConnectionHeartbeat, HalfOpenConnectionIsDroppedAndReconnected) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start()) << server.error();
  testing::UvTestLoop loop;
  RedisEndpoint e;
  e.host = server.host();
  e.port = server.port();
  e.heartbeat_ms = 50;
  e.heartbeat_timeout_ms = 300;
  e.reconnect_initial_ms = 20;
  e.reconnect_max_ms = 100;
  RedisConnection conn(loop.get(), e, "test");
  int readies = 0;
  conn.SetOnReady([&] { ++readies; });
  conn.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return readies == 1; }));
  kill(server.pid(), SIGSTOP);  // the socket stays open; nothing answers
  // Dropped by the heartbeat (the log says "no reply to PING"): counted as a lost connection.
  EXPECT_TRUE(loop.RunUntil([&] { return conn.reconnects() >= 1; })) << conn.last_error();
  kill(server.pid(), SIGCONT);
  EXPECT_TRUE(loop.RunUntil([&] { return readies >= 2 && conn.ready(); })) << "reconnected after the stall: readies=" << readies << " ready=" << conn.ready() << " " << conn.last_error();
  bool closed = false;
  conn.Close(true, [&] { closed = true; });
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace sd::redis
