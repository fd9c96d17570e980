#pragma once
// Messages recipients send us (core/inbound.h) into Redis (docs/redis.md, "Inbound"): each
// message once on the inbound stream, as UTF-8, whatever bind or daemon received it.
//   - A message in one part is written at once; a seen key (carrier, sender, recipient and a
//     hash of the bytes) turns a redelivery within dedupe_window_ms into a duplicate.
//   - A part is kept in a hash shared by every daemon (the key names the message: carrier,
//     sender, recipient, reference, count) until its siblings are in; whoever stores the last
//     part decodes the joined bytes and writes the message. A message whose parts are not all
//     in after part_timeout_ms is written by any daemon's sweep with what came (the missing
//     parts counted), so a lost part never loses the others.
// `durable` runs once the part is in Redis: only then may the carrier acknowledge it
// (deliver_sm_resp), so a crash before that makes the SMSC deliver it again.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_connection.h"
#include "core/clock.h"
#include "core/inbound.h"
#include "core/optout.h"
#include "core/ports.h"

namespace sd::redis {

struct InboundStoreOptions {
  std::string stream = "sd:inbound";
  std::string key_prefix = "sd:";
  int64_t maxlen = 1'000'000;        // approximate trim of the stream; 0 = never
  int64_t part_timeout_ms = 60'000;  // then a message is written with the parts that came
  int64_t dedupe_window_ms = 600'000;
  // Parts waiting for Redis (down, or an error). Beyond this a part is not acknowledged, so
  // the SMSC keeps it and delivers it again later: memory stays bounded, nothing is lost.
  size_t max_queued = 10'000;
  int64_t retry_ms = 200;
  int64_t sweep_ms = 1'000;
  // Keyword replies (STOP, START) change the opt-outs in the same step as the message is
  // written (core/optout.h; null: no keywords are acted on), audited on `audit_stream`.
  std::shared_ptr<const OptOutRules> optout_rules;
  std::string audit_stream = "sd:audit";
  int64_t audit_maxlen = 1'000'000;
  // [redis] wait_replicas: a written part is acknowledged (to the SMSC) only once WAIT counts
  // this many replicas; short: asked again; the connection lost: the part is written again.
  int64_t wait_replicas = 0;
  int64_t wait_timeout_ms = 1'000;
};

struct InboundStoreCounters {
  uint64_t messages = 0;    // written to the stream
  uint64_t parts = 0;       // parts stored for their siblings
  uint64_t duplicates = 0;  // redelivered messages and parts, not written again
  uint64_t timed_out = 0;   // messages written by the sweep with parts missing
  uint64_t lossy = 0;       // messages with bytes that did not decode
  uint64_t write_errors = 0;
  uint64_t refused = 0;  // parts not taken (queue full): left to the SMSC to redeliver
  uint64_t optout_stops = 0;     // keyword replies that opted a number out (STOP, STOPALL)
  uint64_t optout_starts = 0;    // and back in (START)
  uint64_t optout_unusable = 0;  // keyword replies from a number that is not international
  template <typename F>
  void ForEach(F&& f) const {
    f("messages", messages);
    f("parts", parts);
    f("duplicates", duplicates);
    f("timed_out", timed_out);
    f("lossy", lossy);
    f("write_errors", write_errors);
    f("refused", refused);
    f("optout_stops", optout_stops);
    f("optout_starts", optout_starts);
    f("optout_unusable", optout_unusable);
  }
};

class InboundStore final : public InboundSink {
 public:
  InboundStore(uv_loop_t* loop, RedisEndpoint endpoint, InboundStoreOptions options,
               const Clock& clock);
  ~InboundStore() override;
  InboundStore(const InboundStore&) = delete;
  InboundStore& operator=(const InboundStore&) = delete;

  void Start();
  void Close(std::function<void()> done);

  void Put(InboundPart part, std::function<void()> durable) override;

  // A reload's keywords and groups, for messages written from now on.
  void SetOptOutRules(std::shared_ptr<const OptOutRules> rules) {
    options_.optout_rules = std::move(rules);
  }

  const InboundStoreCounters& counters() const { return counters_; }
  size_t queued() const { return queue_.size(); }

 private:
  struct Write {
    std::vector<std::string> argv;  // EVALSHA sha numkeys keys... args...
    std::function<void(redisReply*)> on_reply;
  };

  void Send(std::shared_ptr<Write> w, bool eval);
  // wait_replicas: `done` once the replicas have this connection's writes; `w` again if lost.
  void AwaitReplicas(std::shared_ptr<Write> w, std::function<void()> done);
  void Retry();
  void PutOne(InboundPart part, std::function<void()> durable);
  void PutPart(InboundPart part, std::function<void()> durable);
  void Commit(const InboundMessage& m, const std::string& parts_key);
  void Sweep();
  void SweepOne(const std::string& parts_key);
  std::vector<std::string> Fields(const InboundMessage& m, const OptOutPlan& plan) const;
  OptOutPlan PlanOptOut(const InboundMessage& m) const;
  // The opt-out keys (when the plan changes something) after `argv`'s keys, and the block at
  // its end; `numkeys` is argv[2].
  void AddOptOut(const InboundMessage& m, const OptOutPlan& plan, size_t keys_end,
                 std::vector<std::string>* argv) const;
  void CountOptOut(const OptOutPlan& plan);
  std::string PartsKey(const InboundPart& p) const;
  std::string DoneKey(const std::string& parts_key) const;
  void OneClosed();

  RedisConnection conn_;
  InboundStoreOptions options_;
  const Clock& clock_;
  uv_timer_t retry_timer_{}, sweep_timer_{};
  std::deque<std::shared_ptr<Write>> queue_;
  bool sweeping_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> closed_;
  InboundStoreCounters counters_;
};

}  // namespace sd::redis
