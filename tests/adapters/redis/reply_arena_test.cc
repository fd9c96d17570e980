// Replies in per-reply arenas (adapters/redis/reply_arena.h): the same trees hiredis's own
// reader builds, for every reply shape, fed whole or a byte at a time, random nested replies
// included; a reply left half read, a protocol error and the reader's end free what they hold;
// the per-thread block cache stays bounded. The suite runs under ASan, which also sees a reply
// used after it was freed (cached blocks are poisoned).
#include "adapters/redis/reply_arena.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <random>
#include <string>
#include <vector>

namespace sd::redis {
namespace {

// The tree as text, for comparing two readers' results.
std::string Show(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return "$" + std::string(r->str, r->len) + (r->str[r->len] == '\0' ? "" : "<no NUL>");
    case REDIS_REPLY_STATUS:
      return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "-" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return ":" + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_ARRAY: {
      std::string s = "[";
      for (size_t i = 0; i < r->elements; ++i) s += (i ? "," : "") + Show(r->element[i]);
      return s + "]";
    }
  }
  return "?";
}

// Every reply `resp` holds, read by `reader` fed in pieces of `step` bytes, shown and freed.
std::vector<std::string> ReadAll(redisReader* reader, const std::string& resp, size_t step) {
  std::vector<std::string> out;
  for (size_t at = 0; at < resp.size(); at += step) {
    EXPECT_EQ(redisReaderFeed(reader, resp.data() + at, std::min(step, resp.size() - at)),
              REDIS_OK);
    void* reply = nullptr;
    while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
      out.push_back(Show(static_cast<redisReply*>(reply)));
      reader->fn->freeObject(reply);
    }
  }
  return out;
}

std::vector<std::string> Both(const std::string& resp, size_t step) {
  redisReader* plain = redisReaderCreate();
  redisReader* arena = redisReaderCreateWithFunctions(ArenaReplyFunctions());
  const std::vector<std::string> want = ReadAll(plain, resp, step);
  const std::vector<std::string> got = ReadAll(arena, resp, step);
  EXPECT_EQ(got, want) << "fed " << step << " bytes at a time";
  redisReaderFree(plain);
  redisReaderFree(arena);
  return got;
}

TEST(ReplyArena, EveryShapeReadsAsHiredisReadsIt) {
  std::string resp =
      "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
      "*3\r\n$3\r\nfoo\r\n:1\r\n*2\r\n$-1\r\n*1\r\n+deep\r\n"
      // XREADGROUP's shape: [[stream, [[id, [field, value, ...]], ...]]]
      "*1\r\n*2\r\n$7\r\nsd:jobs\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\nv\r\n$1\r\n1\r\n$3\r\n"
      "job\r\n$4\r\n\x81\xa1\x7fz\r\n*2\r\n$3\r\n1-2\r\n*-1\r\n";
  resp += std::string("$3\r\na\0b\r\n", 10);  // binary: a NUL inside a bulk string
  const std::vector<std::string> got = Both(resp, resp.size());
  ASSERT_EQ(got.size(), 12u);
  EXPECT_EQ(got[9], "[$foo,:1,[nil,[+deep]]]");
  EXPECT_EQ(got[11], std::string("$a\0b", 4));
  for (size_t step : {1, 2, 3, 7, 64}) Both(resp, step);
}

TEST(ReplyArena, LargeStringsAndLargeArraysSpanBlocks) {
  std::string resp = "*3\r\n$200000\r\n" + std::string(200000, 'x') + "\r\n*20000\r\n";
  for (int i = 0; i < 20000; ++i) resp += "$5\r\nv" + std::to_string(10000 + i).substr(1) + "\r\n";
  resp += ":9\r\n";
  resp += "$100000\r\n" + std::string(100000, 'y') + "\r\n";  // a large string as the root
  const std::vector<std::string> got = Both(resp, 4096);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].size(), 100001u);
}

// Random trees of every type, nested up to hiredis's depth, compared with the library's own.
TEST(ReplyArena, RandomRepliesMatchTheLibrarysReader) {
  std::mt19937 rng(20261205);
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    switch (std::uniform_int_distribution<int>(0, depth >= 6 ? 4 : 6)(rng)) {
      case 0: return "+s" + std::to_string(rng() % 1000) + "\r\n";
      case 1: return "-e" + std::to_string(rng() % 1000) + "\r\n";
      case 2: return ":" + std::to_string(static_cast<int32_t>(rng())) + "\r\n";
      case 3: return "$-1\r\n";
      case 4: {
        const std::string s(rng() % 300, static_cast<char>('a' + rng() % 26));
        return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
      }
      case 5: return "*-1\r\n";
      default: {
        const int n = static_cast<int>(rng() % 12);
        std::string s = "*" + std::to_string(n) + "\r\n";
        for (int i = 0; i < n; ++i) s += gen(depth + 1);
        return s;
      }
    }
  };
  std::string resp;
  for (int i = 0; i < 300; ++i) resp += gen(0);
  for (size_t step : {resp.size(), size_t{1}, size_t{5}, size_t{333}}) Both(resp, step);
}

TEST(ReplyArena, AHalfReadReplyAndAProtocolErrorAreFreedWithTheReader) {
  redisReader* r = redisReaderCreateWithFunctions(ArenaReplyFunctions());
  const std::string half = "*3\r\n$3\r\nabc\r\n*2\r\n:1\r\n";
  ASSERT_EQ(redisReaderFeed(r, half.data(), half.size()), REDIS_OK);
  void* reply = nullptr;
  ASSERT_EQ(redisReaderGetReply(r, &reply), REDIS_OK);
  EXPECT_EQ(reply, nullptr) << "not complete yet";
  redisReaderFree(r);  // frees the partial root (ASan: no leak)

  r = redisReaderCreateWithFunctions(ArenaReplyFunctions());
  const std::string bad = "*2\r\n$3\r\nabc\r\n!nonsense\r\n";
  ASSERT_EQ(redisReaderFeed(r, bad.data(), bad.size()), REDIS_OK);
  EXPECT_EQ(redisReaderGetReply(r, &reply), REDIS_ERR);
  EXPECT_NE(std::string(r->errstr).find("Protocol error"), std::string::npos) << r->errstr;
  redisReaderFree(r);
}

TEST(ReplyArena, TheBlockCacheStaysBounded) {
  std::string resp;
  for (int i = 0; i < 40; ++i) resp += "*2\r\n$70000\r\n" + std::string(70000, 'z') + "\r\n:1\r\n";
  Both(resp, resp.size());
  std::string many;
  for (int i = 0; i < 64; ++i) many += "*1\r\n:" + std::to_string(i) + "\r\n";
  Both(many, 7);
  EXPECT_LE(ArenaCachedBlocks(), 8u);
  EXPECT_GE(ArenaCachedBlocks(), 1u) << "blocks are reused, not freed every time";
}

}  // namespace
}  // namespace sd::redis
