// The test fixtures themselves: if they lied (a server "started" that is not there, a restart
// on another port, a child that is never reaped), every Redis test built on them would too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(TempDir, IsPrivateAndRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir("sd-tempdir-test");
    path = dir.path();
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_TRUE(WriteTextFile(dir.File("a.txt"), "hello", 0600));
    EXPECT_EQ(ReadTextFile(dir.File("a.txt")), "hello");
    std::filesystem::create_directories(dir.File("sub/deeper"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Subprocess, ReportsExitStatusAndSignals) {
  Subprocess ok;
  ASSERT_TRUE(ok.Start({{"/bin/sh", "-c", "exit 3"}}));
  EXPECT_EQ(ok.Wait(20s), 3);
  EXPECT_FALSE(ok.Running());

  Subprocess sleeper;
  ASSERT_TRUE(sleeper.Start({{"/bin/sleep", "1000"}}));
  EXPECT_TRUE(sleeper.Running());
  EXPECT_EQ(sleeper.Wait(0ms), std::nullopt);
  EXPECT_EQ(sleeper.Stop(), 128 + SIGTERM);
  EXPECT_FALSE(sleeper.Running());
}

TEST(Subprocess, ExecFailureIsAnErrorNotAnExitCode) {
  Subprocess p;
  EXPECT_FALSE(p.Start({{"/nonexistent/binary"}}));
  EXPECT_NE(p.error().find("No such file"), std::string::npos) << p.error();
}

TEST(Subprocess, WritesOutputToTheLogAndUsesEnvAndCwd) {
  TempDir dir;
  Subprocess p;
  ASSERT_TRUE(p.Start({{"/bin/sh", "-c", "echo \"$SD_TEST_VAR $(pwd)\"; echo err >&2"},
                       dir.File("out.log"),
                       dir.path(),
                       {{"SD_TEST_VAR", "value"}}}));
  ASSERT_EQ(p.Wait(20s), 0);
  EXPECT_EQ(ReadTextFile(dir.File("out.log")), "value " + dir.path() + "\nerr\n");
}

TEST(RedisServer, StartsOnAFreePortAndRestartsOnTheSamePort) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start()) << redis.error();
  const int port = redis.port();
  ASSERT_GT(port, 0);
  ReplyPtr r = redis.Command({"SET", "k", std::string("v\0x", 3)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);

  redis.Kill();
  EXPECT_FALSE(redis.running());
  EXPECT_EQ(redis.Command({"PING"}), nullptr);
  ASSERT_TRUE(redis.Start()) << redis.error();
  EXPECT_EQ(redis.port(), port);
  // No persistence by default: a restart is an empty server.
  r = redis.Command({"EXISTS", "k"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->integer, 0);
  redis.Stop();
  EXPECT_FALSE(redis.running());
}

TEST(RedisServer, AppendOnlyKeepsDataAcrossAKill) {
  RedisServerOptions o;
  o.appendonly = true;
  RedisServer redis(o);
  ASSERT_TRUE(redis.Start()) << redis.error();
  ASSERT_FALSE(StreamAdd(redis, "s", {{"f", "v"}}).empty());
  redis.Kill();
  ASSERT_TRUE(redis.Start()) << redis.error();
  EXPECT_EQ(StreamLength(redis, "s"), 1);
}

TEST(RedisServer, UnixSocketAndPassword) {
  RedisServerOptions o;
  o.unix_socket = true;
  o.requirepass = "fixture-pw";
  RedisServer redis(o);
  ASSERT_TRUE(redis.Start()) << redis.error();
  ASSERT_FALSE(redis.unix_socket().empty());
  redisContext* c = redisConnectUnix(redis.unix_socket().c_str());
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->err, 0) << c->errstr;
  ReplyPtr r(static_cast<redisReply*>(redisCommand(c, "PING")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_ERROR);  // NOAUTH: the password is enforced
  r.reset(static_cast<redisReply*>(redisCommand(c, "AUTH fixture-pw")));
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
  redisFree(c);
  // The admin client authenticates by itself.
  r = redis.Command({"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
}

TEST(RedisServer, AclUsersFromAnAclFile) {
  RedisServerOptions o;
  o.acl_users = {"reader on >reader-pw ~* +get"};
  RedisServer redis(o);
  ASSERT_TRUE(redis.Start()) << redis.error();
  redisContext* c = redisConnect(redis.host().c_str(), redis.port());
  ASSERT_NE(c, nullptr);
  ReplyPtr r(static_cast<redisReply*>(redisCommand(c, "AUTH reader reader-pw")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
  r.reset(static_cast<redisReply*>(redisCommand(c, "SET x 1")));
  EXPECT_EQ(r->type, REDIS_REPLY_ERROR);  // NOPERM: the ACL is in force
  redisFree(c);
}

TEST(RedisServer, TwoServersGetDifferentPorts) {
  RedisServer a;
  RedisServer b;
  ASSERT_TRUE(a.Start()) << a.error();
  ASSERT_TRUE(b.Start()) << b.error();
  EXPECT_NE(a.port(), b.port());
}

}  // namespace
}  // namespace sd::testing
