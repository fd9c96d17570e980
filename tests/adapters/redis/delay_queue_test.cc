// RedisJobStore as DeferQueue against a real redis-server: the deferral script (set, replay
// record, acknowledgement), the mover (due jobs back on the stream, exactly once with two
// daemons racing), and deferrals issued while Redis is away.
#include "adapters/redis/delay_queue.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>

#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kJobs[] = "sd:jobs";
constexpr char kGroup[] = "smsdispatch";
constexpr int64_t kFarFuture = 4'000'000'000'000;  // year 2096

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DelayQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  // Adds `n` entries (job bytes "<prefix><i>") and lets `h` read them.
  std::vector<StreamEntry> ReadJobs(StoreHarness& h, int n, const std::string& prefix = "j") {
    for (int i = 0; i < n; ++i)
      StreamAdd(redis_, kJobs, EnvelopeFields(prefix + std::to_string(i)));
    const size_t before = h.received.size();
    h.Grant(static_cast<size_t>(n));
    EXPECT_TRUE(h.WaitReceived(before + static_cast<size_t>(n)));
    return {h.received.begin() + static_cast<long>(before), h.received.end()};
  }
  bool Defer(StoreHarness& h, const StreamEntry& e, const std::string& job_id, int64_t due) {
    bool done = false;
    h->Defer(e, job_id, due, [&] { done = true; });
    EXPECT_FALSE(done) << "completion ran inside the call";
    return loop_.RunUntil([&] { return done; });
  }
  std::string Get(const std::string& key) {
    ReplyPtr r = redis_.Command({"GET", key});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "<nil>";
  }
  long long Zcard(const std::string& key = "sd:delayed") {
    ReplyPtr r = redis_.Command({"ZCARD", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  }
  // Members with their scores.
  std::vector<std::pair<std::string, std::string>> Members(const std::string& key = "sd:delayed") {
    ReplyPtr r = redis_.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
    return r ? ReplyPairs(r.get()) : FieldList{};
  }

  UvTestLoop loop_;
  RedisServer redis_;
};

redis::RedisStoreOptions NoMover(redis::RedisStoreOptions o) {
  o.defer_move_interval_ms = 0;
  return o;
}

TEST(DelayedMember, RoundTripsAnyBytesAndRejectsTheRest) {
  StreamEntry e;
  e.entry_id = "1700000000000-7";
  e.version = "1";
  e.key_id = "shop:v1";  // colons inside parts
  e.job = std::string("\x82\xa1:\0\n12:x", 9);
  e.sig = "";
  const std::string m = redis::EncodeDelayedMember(e);
  const auto d = redis::DecodeDelayedMember(m);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->entry_id, e.entry_id);
  EXPECT_EQ(d->version, e.version);
  EXPECT_EQ(d->key_id, e.key_id);
  EXPECT_EQ(d->job, e.job);
  EXPECT_EQ(d->sig, e.sig);
  EXPECT_FALSE(redis::DecodeDelayedMember(m + "x"));                    // trailing bytes
  EXPECT_FALSE(redis::DecodeDelayedMember(m.substr(0, m.size() - 1)));  // truncated
  EXPECT_FALSE(redis::DecodeDelayedMember("1:a1:b"));                   // too few parts
  EXPECT_FALSE(redis::DecodeDelayedMember("99999999999999999999:a"));   // length overflows
  EXPECT_FALSE(redis::DecodeDelayedMember(""));
}

TEST_F(DelayQueueTest, DeferMovesTheEntryToTheSetAcksItAndReleasesItsReplayRecord) {
  StoreHarness h(loop_, NoMover(TestStoreOptions(redis_)));
  const auto entries = ReadJobs(h, 1);
  const StreamEntry& e = entries[0];
  ASSERT_EQ(h.Claim({{e.entry_id, "job-1", 600'000}}), std::vector<ClaimState>{ClaimState::kNew});
  ASSERT_EQ(Get("sd:idem:job-1"), e.entry_id);
  EXPECT_EQ(h->in_process(), 1u);

  ASSERT_TRUE(Defer(h, e, "job-1", kFarFuture));
  const auto members = Members();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].second, std::to_string(kFarFuture));
  const auto m = redis::DecodeDelayedMember(members[0].first);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->entry_id, e.entry_id);
  EXPECT_EQ(m->version, "1");
  EXPECT_EQ(m->key_id, "test.v1");
  EXPECT_EQ(m->job, "j0");
  EXPECT_EQ(m->sig, "00ff");
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);  // acknowledged
  EXPECT_EQ(Get("sd:idem:job-1"), "<nil>");           // the job id may be claimed again
  EXPECT_EQ(h->in_process(), 0u);
  EXPECT_EQ(h->counters().deferred, 1u);

  // The same deferral again (a re-send after a lost reply): nothing changes.
  ASSERT_TRUE(Defer(h, e, "job-1", kFarFuture + 5));
  EXPECT_EQ(Members(), members);
  EXPECT_EQ(h->counters().deferred, 1u);
  EXPECT_EQ(h->counters().defer_skipped, 1u);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, ReplayRecordOfAnotherEntryIsKept) {
  StoreHarness h(loop_, NoMover(TestStoreOptions(redis_)));
  const auto entries = ReadJobs(h, 2);
  // job-2 belongs to the other entry (this one would be a replay of it).
  ASSERT_EQ(h.Claim({{entries[0].entry_id, "job-2", 600'000}}),
            std::vector<ClaimState>{ClaimState::kNew});
  ASSERT_TRUE(Defer(h, entries[1], "job-2", kFarFuture));
  EXPECT_EQ(Get("sd:idem:job-2"), entries[0].entry_id);
  // No job id at all: nothing to release.
  ASSERT_TRUE(Defer(h, entries[0], "", kFarFuture));
  EXPECT_EQ(Get("sd:idem:job-2"), entries[0].entry_id);
  // Identical jobs stay two members (the original entry id makes each unique).
  EXPECT_EQ(Zcard(), 2);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  EXPECT_EQ(h->counters().deferred, 2u);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, AnEntryReclaimedByAnotherConsumerIsLeftToIt) {
  StoreHarness h(loop_, NoMover(TestStoreOptions(redis_)));
  const auto entries = ReadJobs(h, 1);
  // Another daemon took it over (we were presumed dead): it is theirs to finish.
  ReplyPtr r = redis_.Command({"XCLAIM", kJobs, kGroup, "other", "0", entries[0].entry_id});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
  ASSERT_TRUE(Defer(h, entries[0], "", kFarFuture));
  EXPECT_EQ(Zcard(), 0);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "other"), 1);
  EXPECT_EQ(h->counters().defer_skipped, 1u);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, DueJobsComeBackExactlyOnceWithTwoMoversRacing) {
  constexpr int kN = 300;
  StoreHarness a(loop_, NoMover(TestStoreOptions(redis_)));
  const auto entries = ReadJobs(a, kN);
  std::vector<ClaimRequest> claims;
  for (int i = 0; i < kN; ++i)
    claims.push_back({entries[i].entry_id, "job-" + std::to_string(i), 600'000});
  ASSERT_EQ(a.Claim(claims), std::vector<ClaimState>(kN, ClaimState::kNew));
  // Due shortly: in the set (nothing moves it yet), then due for the movers below.
  const int64_t due = NowMs() + 300;
  int deferred = 0;
  for (int i = 0; i < kN; ++i)
    a->Defer(entries[i], "job-" + std::to_string(i), due, [&] { ++deferred; });
  ASSERT_TRUE(loop_.RunUntil([&] { return deferred == kN; }));
  EXPECT_EQ(Zcard(), kN);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);

  // Two daemons move, in small chunks so their calls interleave.
  auto mover = [&](const std::string& consumer) {
    auto o = TestStoreOptions(redis_);
    o.consumer = consumer;
    o.defer_move_interval_ms = 1;
    o.defer_move_batch = 7;
    return o;
  };
  StoreHarness b(loop_, mover("b"));
  StoreHarness c(loop_, mover("c"));
  ASSERT_TRUE(loop_.RunUntil([&] { return Zcard() == 0; }, 30s));
  EXPECT_EQ(b->counters().defer_moved + c->counters().defer_moved, static_cast<uint64_t>(kN));
  EXPECT_EQ(b->counters().defer_corrupt + c->counters().defer_corrupt, 0u);

  // Each job is on the stream twice: the original entry and, after it, exactly one copy with
  // exactly the producer's fields (v, kid, job, sig) and a new id.
  std::map<std::string, int> copies;
  const auto stream = StreamRead(redis_, kJobs);
  ASSERT_EQ(stream.size(), static_cast<size_t>(2 * kN));
  for (size_t i = kN; i < stream.size(); ++i) {
    EXPECT_EQ(stream[i].fields.size(), 4u);
    ++copies[stream[i].Get("job")];
    EXPECT_EQ(stream[i].Get("kid"), "test.v1");
  }
  ASSERT_EQ(copies.size(), static_cast<size_t>(kN));
  for (const auto& [job, n] : copies) EXPECT_EQ(n, 1) << job;

  // The daemon reads them back as new entries, and each claims its (released) job id anew.
  const size_t before = a.received.size();
  a.Grant(kN);
  ASSERT_TRUE(a.WaitReceived(before + kN));
  std::vector<ClaimRequest> again;
  for (size_t i = before; i < a.received.size(); ++i) {
    const StreamEntry& e = a.received[i];
    EXPECT_TRUE(e.fields_ok);
    again.push_back({e.entry_id, "job-" + e.job.substr(1), 600'000});
  }
  EXPECT_EQ(a.Claim(again), std::vector<ClaimState>(kN, ClaimState::kNew));
  ASSERT_TRUE(b.Close());
  ASSERT_TRUE(c.Close());
  ASSERT_TRUE(a.Close());
}

TEST_F(DelayQueueTest, NotDueYetStaysAndAMemberThatDoesNotDecodeComesBackRaw) {
  StoreHarness h(loop_, TestStoreOptions(redis_));  // mover every 100 ms
  const auto entries = ReadJobs(h, 1);
  ASSERT_TRUE(Defer(h, entries[0], "", kFarFuture));
  ReplyPtr r = redis_.Command({"ZADD", "sd:delayed", "0", "not a member"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().defer_corrupt == 1; }));
  EXPECT_EQ(Zcard(), 1);  // the far-future one waits
  EXPECT_EQ(h->counters().defer_moved, 0u);
  // The raw member comes back as an entry the dispatcher rejects as malformed (fields_ok false).
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(2));
  EXPECT_FALSE(h.received[1].fields_ok);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, DeferIssuedWhileRedisIsAwayLandsOnceItIsBack) {
  RedisServerOptions ro;
  ro.appendonly = true;  // the pending entry and the replay record survive the kill
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  StreamAdd(redis, kJobs, EnvelopeFields("away"));
  StoreHarness h(loop_, TestStoreOptions(redis));
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(1));
  const StreamEntry e = h.received[0];
  ASSERT_EQ(h.Claim({{e.entry_id, "job-away", 600'000}}),
            std::vector<ClaimState>{ClaimState::kNew});
  redis.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
  bool done = false;
  const int64_t due = NowMs() + 200;
  h->Defer(e, "job-away", due, [&] { done = true; });
  EXPECT_EQ(h->queued_writes(), 1u);
  EXPECT_FALSE(loop_.RunUntil([&] { return done; }, 300ms));  // not durable: not reported
  ASSERT_TRUE(redis.Start()) << redis.error();
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }, 30s));
  EXPECT_EQ(h->counters().deferred, 1u);
  EXPECT_EQ(PendingCount(redis, kJobs, kGroup), 0);
  ReplyPtr idem = redis.Command({"EXISTS", "sd:idem:job-away"});
  ASSERT_TRUE(idem && idem->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(idem->integer, 0);
  // And the mover (this store's) brings it back once due.
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(2));
  EXPECT_EQ(h.received[1].job, "away");
  EXPECT_NE(h.received[1].entry_id, e.entry_id);
  EXPECT_EQ(h->counters().defer_moved, 1u);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, AnErrorReplyChangesNothingAndIsRetriedUntilItSucceeds) {
  StoreHarness h(loop_, NoMover(TestStoreOptions(redis_)));
  const auto entries = ReadJobs(h, 1);
  ASSERT_EQ(h.Claim({{entries[0].entry_id, "job-1", 600'000}}),
            std::vector<ClaimState>{ClaimState::kNew});
  // The delay queue's key holds something else (an operator's mistake): WRONGTYPE.
  ReplyPtr set = redis_.Command({"SET", "sd:delayed", "not a set"});
  ASSERT_TRUE(set && set->type == REDIS_REPLY_STATUS);
  bool done = false;
  h->Defer(entries[0], "job-1", kFarFuture, [&] { done = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().write_retries >= 2; }));
  EXPECT_FALSE(done);
  // The failed attempts wrote nothing: still pending, the replay record still this entry's.
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 1);
  EXPECT_EQ(Get("sd:idem:job-1"), entries[0].entry_id);
  ReplyPtr del = redis_.Command({"DEL", "sd:delayed"});
  ASSERT_TRUE(del && del->type == REDIS_REPLY_INTEGER);
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }));
  EXPECT_EQ(Zcard(), 1);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  EXPECT_EQ(Get("sd:idem:job-1"), "<nil>");
  EXPECT_EQ(h->counters().deferred, 1u);
  ASSERT_TRUE(h.Close());
}

TEST_F(DelayQueueTest, DaemonGoneAroundADeferralLosesNothing) {
  RedisServerOptions ro;
  ro.appendonly = true;
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  StreamAdd(redis, kJobs, EnvelopeFields("before"));
  StreamAdd(redis, kJobs, EnvelopeFields("after"));
  auto o = NoMover(TestStoreOptions(redis));
  {
    StoreHarness h(loop_, o);
    h.Grant(2);
    ASSERT_TRUE(h.WaitReceived(2));
    ASSERT_EQ(h.Claim({{h.received[0].entry_id, "job-before", 600'000},
                       {h.received[1].entry_id, "job-after", 600'000}}),
              std::vector<ClaimState>(2, ClaimState::kNew));
    // "after": the deferral ran in Redis, and the daemon dies before it learns so.
    ASSERT_TRUE(Defer(h, h.received[1], "job-after", 0));
    // "before": the daemon dies before its deferral reaches Redis.
    redis.Kill();
    ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
    bool done = false;
    h->Defer(h.received[0], "job-before", 0, [&] { done = true; });
    ASSERT_TRUE(h.Close(0));
    EXPECT_FALSE(done);
  }
  ASSERT_TRUE(redis.Start()) << redis.error();
  // The next daemon (same consumer name) gets both jobs exactly once: "before" redelivered
  // from its pending list (and resumed: its replay record is still its own), "after" moved
  // back from the delay queue as a new entry (and new: its record was released).
  o.defer_move_interval_ms = 10;
  StoreHarness next(loop_, o);
  next.Grant(10);
  ASSERT_TRUE(next.WaitReceived(2));
  EXPECT_FALSE(loop_.RunUntil([&] { return next.received.size() > 2; }, 300ms));
  std::map<std::string, StreamEntry> by_job;
  for (const StreamEntry& e : next.received) by_job[e.job] = e;
  ASSERT_EQ(by_job.size(), 2u);
  EXPECT_EQ(next.Claim({{by_job["before"].entry_id, "job-before", 600'000},
                        {by_job["after"].entry_id, "job-after", 600'000}}),
            (std::vector<ClaimState>{ClaimState::kResume, ClaimState::kNew}));
  ReplyPtr z = redis.Command({"ZCARD", "sd:delayed"});
  ASSERT_TRUE(z && z->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(z->integer, 0);
  EXPECT_EQ(next->counters().defer_moved, 1u);
  ASSERT_TRUE(next.Close());
}

// The mover's warning names the error Redis gave, and names the ACL only when the error is
// one (a lost connection is the connection's own warning, not an ACL problem).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

redis::RedisStoreOptions FastMover(redis::RedisStoreOptions o) {
  o.defer_move_interval_ms = 20;
  return o;
}

TEST_F(DelayQueueTest, MoverFailureNamesTheErrorAndTheAclOnlyForAnAclError) {
  {
    LogCapture log;
    // The delay queue's key holds something else: WRONGTYPE, not an ACL problem.
    ReplyPtr set = redis_.Command({"SET", "sd:delayed", "not a set"});
    ASSERT_TRUE(set && set->type == REDIS_REPLY_STATUS);
    StoreHarness h(loop_, FastMover(TestStoreOptions(redis_)));
    ASSERT_TRUE(
        loop_.RunUntil([&] { return log.str().find("moving due jobs") != std::string::npos; }));
    const std::string line = log.str();
    EXPECT_NE(line.find("moving due jobs from sd:delayed failed: WRONGTYPE"), std::string::npos)
        << line;
    EXPECT_EQ(line.find("ACL"), std::string::npos) << line;
    ASSERT_TRUE(h.Close());
    ReplyPtr del = redis_.Command({"DEL", "sd:delayed"});
    ASSERT_TRUE(del && del->type == REDIS_REPLY_INTEGER);
  }
  {
    LogCapture log;
    // A user that may do everything but read the delay queue: NOPERM, an ACL problem.
    ReplyPtr user = redis_.Command(
        {"ACL", "SETUSER", "mover", "on", ">mover-pw", "~*", "&*", "+@all", "-zrangebyscore"});
    ASSERT_TRUE(user && user->type == REDIS_REPLY_STATUS);
    auto o = FastMover(TestStoreOptions(redis_));
    o.endpoint.user = "mover";
    o.endpoint.password = "mover-pw";
    StoreHarness h(loop_, o);
    ASSERT_TRUE(
        loop_.RunUntil([&] { return log.str().find("moving due jobs") != std::string::npos; }));
    const std::string line = log.str();
    EXPECT_NE(line.find("moving due jobs from sd:delayed failed: "), std::string::npos) << line;
    EXPECT_NE(line.find("see docs/redis.md, ACL"), std::string::npos) << line;
    ASSERT_TRUE(h.Close());
  }
}

TEST_F(DelayQueueTest, AMoveLostWithTheConnectionIsNotCalledAnAclProblem) {
  LogCapture log;
  StoreHarness h(loop_, FastMover(TestStoreOptions(redis_)));
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().script_calls >= 3; }));
  // Redis stops answering: the next move is sent and waits for its reply...
  ASSERT_EQ(kill(redis_.pid(), SIGSTOP), 0);
  const auto until = std::chrono::steady_clock::now() + 300ms;
  loop_.RunUntil([&] { return std::chrono::steady_clock::now() >= until; });
  // ...and the connection drops under it: the move gets no reply at all.
  redis_.Kill();
  // The writer's own warning: "connection lost", or "disconnected" if its heartbeat gave up
  // on the stopped server first.
  ASSERT_TRUE(loop_.RunUntil([&] {
    const std::string l = log.str();
    return l.find("redis writer: connection lost") != std::string::npos ||
           l.find("redis writer: disconnected") != std::string::npos;
  })) << log.str();
  EXPECT_EQ(log.str().find("moving due jobs"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("ACL"), std::string::npos) << log.str();
  h.Close();
}

}  // namespace
}  // namespace sd::testing
