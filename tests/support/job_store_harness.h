#pragma once
// A RedisJobStore under test: owns the store on a test loop, connected to a RedisServer,
// records every batch the store hands out and checks the credit contract on each one.
// Header-only: only the tests that link sd_redis include it.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_job_store.h"
#include "redis_server.h"
#include "uv_test_loop.h"

namespace sd::testing {

// Options pointing at `server`, with short timings for tests (every one still > 0).
inline redis::RedisStoreOptions TestStoreOptions(const RedisServer& server) {
  redis::RedisStoreOptions o;
  if (!server.unix_socket().empty()) {
    o.endpoint.unix_socket = server.unix_socket();
  } else {
    o.endpoint.host = server.host();
    o.endpoint.port = server.port();
  }
  o.endpoint.reconnect_initial_ms = 10;
  o.endpoint.reconnect_max_ms = 200;
  o.consumer = "test-consumer";
  o.block_ms = 100;
  o.claim_interval_ms = 60'000;  // tests that reclaim set it small
  o.retry_delay_ms = 10;
  o.unmatched_receipt_wait_ms = 300;  // stray receipts reach quarantine quickly
  return o;
}

// A store's Claim / Commit run to completion on `loop` (any JobStore: one shard's or the
// sharded one).
template <typename Store>
std::vector<ClaimState> ClaimAndWait(UvTestLoop& loop, Store& store,
                                     std::vector<ClaimRequest> reqs) {
  std::vector<ClaimState> states;
  bool done = false;
  store.Claim(std::move(reqs), [&](std::vector<ClaimState> s) {
    states = std::move(s);
    done = true;
  });
  EXPECT_TRUE(loop.RunUntil([&] { return done; }));
  return states;
}
template <typename Store>
bool CommitAndWait(UvTestLoop& loop, Store& store, Outcome o) {
  bool done = false;
  store.Commit(std::move(o), [&] { done = true; });
  return loop.RunUntil([&] { return done; });
}

class StoreHarness {
 public:
  StoreHarness(UvTestLoop& loop, redis::RedisStoreOptions options) : loop_(loop) {
    store_ = std::make_unique<redis::RedisJobStore>(loop.get(), std::move(options));
    store_->SetBatchHandler([this](std::vector<StreamEntry> batch) {
      // The credit contract, checked on every batch: never more than granted.
      EXPECT_LE(received.size() + batch.size(), granted) << "store exceeded the granted credit";
      batch_sizes.push_back(batch.size());
      for (StreamEntry& e : batch) received.push_back(std::move(e));
    });
    store_->Start();
  }
  ~StoreHarness() {
    if (!closed_) Close();
  }

  redis::RedisJobStore& store() { return *store_; }
  redis::RedisJobStore* operator->() { return store_.get(); }

  void Grant(size_t n) {
    granted += n;
    store_->GrantCredit(n);
  }
  bool WaitReceived(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return loop_.RunUntil([&] { return received.size() >= n; }, timeout);
  }
  bool WaitConnected() {
    return loop_.RunUntil([&] { return store_->connected(); });
  }

  // Commits synchronously (runs the loop until Redis confirmed it).
  bool Commit(Outcome o) { return CommitAndWait(loop_, *store_, std::move(o)); }
  bool PutReceipt(Receipt r) {
    bool done = false;
    store_->PutReceipt(std::move(r), [&] { done = true; });
    return loop_.RunUntil([&] { return done; });
  }
  std::vector<ClaimState> Claim(std::vector<ClaimRequest> reqs) {
    return ClaimAndWait(loop_, *store_, std::move(reqs));
  }

  // Closes the store and runs the loop until its completion ran. True if it did.
  bool Close(int64_t timeout_ms = 2000) {
    closed_ = true;
    bool done = false;
    store_->Close(timeout_ms, [&] { done = true; });
    return loop_.RunUntil([&] { return done; }, std::chrono::milliseconds(timeout_ms + 20'000));
  }

  std::vector<StreamEntry> received;  // every entry handed out, in order
  std::vector<size_t> batch_sizes;
  size_t granted = 0;

 private:
  UvTestLoop& loop_;
  std::unique_ptr<redis::RedisJobStore> store_;
  bool closed_ = false;
};

inline Outcome SubmittedOutcome(const std::string& entry_id, const std::string& job_id,
                                const std::string& message_id) {
  Outcome o;
  o.entry_id = entry_id;
  o.job_id = job_id;
  o.key_id = "test.v1";
  o.client_ref = "ref-" + job_id;
  o.status = OutcomeStatus::kSubmitted;
  o.reason = Reason::kNone;
  o.carrier = "carrier-a";
  o.message_id = message_id;
  o.segments = 1;
  o.ts_ms = 1'700'000'000'000;
  return o;
}

inline Outcome RejectedOutcome(const std::string& entry_id, Reason reason) {
  Outcome o;
  o.entry_id = entry_id;
  o.status = OutcomeStatus::kRejected;
  o.reason = reason;
  o.detail = "test rejection";
  o.ts_ms = 1'700'000'000'000;
  return o;
}

// The string at `key`, "<nil>" when there is none.
inline std::string StringAt(RedisServer& redis, const std::string& key) {
  ReplyPtr r = redis.Command({"GET", key});
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "<nil>";
}

// How often the server ran `command` (INFO commandstats; e.g. "evalsha", "watch").
inline long long CommandCalls(RedisServer& redis, const std::string& command) {
  ReplyPtr r = redis.Command({"INFO", "commandstats"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  const std::string info(r->str, r->len);
  const std::string tag = "cmdstat_" + command + ":calls=";
  const size_t at = info.find(tag);
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + tag.size()));
}

// The store with the plain paths on ([redis] plain_writes).
inline redis::RedisStoreOptions PlainOptions(const RedisServer& server) {
  redis::RedisStoreOptions o = TestStoreOptions(server);
  o.plain_writes = true;
  return o;
}

// An entry shaped like a producer's: v, kid, job, sig.
inline FieldList EnvelopeFields(const std::string& job, const std::string& sig = "00ff") {
  return {{"v", "1"}, {"kid", "test.v1"}, {"job", job}, {"sig", sig}};
}

// `n` new entries on sd:jobs, read by `h` and claimed under job ids `prefix` + entry id (as
// the dispatcher claims before it sends); their entry ids.
inline std::vector<std::string> ReadAndClaim(RedisServer& redis, StoreHarness& h, int n,
                                             const std::string& prefix) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(StreamAdd(redis, "sd:jobs", EnvelopeFields("j")));
  const size_t before = h.received.size();
  h.Grant(static_cast<size_t>(n));
  EXPECT_TRUE(h.WaitReceived(before + static_cast<size_t>(n)));
  std::vector<ClaimRequest> claims;
  for (const std::string& id : ids) claims.push_back({id, prefix + id, 600'000});
  EXPECT_EQ(h.Claim(claims), std::vector<ClaimState>(ids.size(), ClaimState::kNew));
  return ids;
}

}  // namespace sd::testing
