#pragma once
// Status callbacks to producers (docs/api.md, "Status callbacks"): reads outcome and receipt
// entries from a StatusEntryQueue (adapters/redis/status_queue.h: the streams themselves,
// through a consumer group), and POSTs each one whose key has a callback URL as a Standard
// Webhooks event (callback_event.h), signed with every callback secret of the key
// (webhook_auth.h). At least once, with a stable webhook-id:
//   2xx          -> delivered: the entry is acknowledged;
//   anything else (another status, no answer, a TLS or connect failure)
//                -> the event goes back to the head of its URL's queue and the URL pauses for
//                   a jittered, capped backoff (or Retry-After, if longer); while it fails,
//                   one request at a time probes it. When the URL fails and an event's
//                   retry_for has passed since the event was written, the event is moved to
//                   the dead-letter stream instead.
// It runs on the daemon's loop with its own Redis connection and HTTP client, holds at most
// max_held events and sends at most max_in_flight requests (max_per_target to one URL), so a
// slow or dead receiver costs dispatch nothing but the loop time of its events.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "adapters/http/curl_multi.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/key_record.h"
#include "core/ports.h"

namespace sd::http {

struct CallbackSenderOptions {
  HttpClientOptions client;  // ca_file for a private CA; TLS is always verified
  int64_t connect_timeout_ms = 5'000;
  int64_t timeout_ms = 10'000;        // one attempt, connect included
  int64_t retry_for_ms = 86'400'000;  // counted from when the event was written
  int64_t retry_initial_ms = 1'000;
  int64_t retry_max_ms = 600'000;
  size_t max_held = 20'000;     // events read and not yet done
  // Of those, for one URL. Events read beyond it are left pending on Redis unacknowledged
  // ("parked") and come back through the claim of idle entries: a URL with a long backlog
  // (a receiver down for hours) cannot take all of max_held and starve the others.
  size_t max_held_per_target = 5'000;
  size_t max_in_flight = 64;    // requests at once
  size_t max_per_target = 8;    // requests at once to one URL
  size_t read_batch = 256;
  int64_t keep_interval_ms = 60'000;  // held entries claimed again this often
  std::string user_agent = "smsdispatch-callbacks/1";
};

struct CallbackCounters {
  uint64_t events = 0;      // entries read
  uint64_t skipped = 0;     // acknowledged without a callback (no job id, no key, no URL)
  uint64_t attempts = 0;    // requests sent
  uint64_t delivered = 0;   // answered 2xx
  uint64_t failures = 0;    // attempts not answered 2xx
  uint64_t dead = 0;        // moved to the dead-letter stream
  uint64_t parked = 0;      // left pending on Redis: their URL held max_held_per_target
  uint64_t lag_ms_sum = 0;  // written -> delivered, over every delivered event
  uint64_t lag_ms_max = 0;

  template <typename F>
  void ForEach(F&& f) const {
    f("events", events);
    f("skipped", skipped);
    f("attempts", attempts);
    f("delivered", delivered);
    f("failures", failures);
    f("dead", dead);
    f("parked", parked);
    f("lag_ms_sum", lag_ms_sum);
    f("lag_ms_max", lag_ms_max);
  }
};

class CallbackSender {
 public:
  using Keys = std::function<std::shared_ptr<const KeyRegistrySnapshot>()>;
  CallbackSender(uv_loop_t* loop, StatusEntryQueue* queue, Keys keys, const Clock* clock,
                 CallbackSenderOptions options);
  ~CallbackSender();
  CallbackSender(const CallbackSender&) = delete;
  CallbackSender& operator=(const CallbackSender&) = delete;

  void Start();
  // Stops reading and sending (what is held stays pending on Redis: the next start, or
  // another daemon, delivers it); `done` once every handle is closed.
  void Close(std::function<void()> done);

  const CallbackCounters& counters() const { return counters_; }
  size_t held() const { return held_ids_.size(); }
  size_t in_flight() const { return in_flight_; }

 private:
  struct Held {
    StatusEntry entry;
    std::string event_id;
    std::string body;
    std::string kid;
    int64_t written_ms = 0;
    int attempts = 0;
  };
  struct Target {
    explicit Target(const CallbackSenderOptions& o) : backoff(o.retry_initial_ms, o.retry_max_ms) {}
    std::deque<std::unique_ptr<Held>> ready;
    size_t in_flight = 0;
    Backoff backoff;
    uint64_t paused_until = 0;  // loop time
    bool failing = false;
  };

  void ReadMore();
  void OnEntries(std::vector<StatusEntry> entries);
  void Pump();
  void Attempt(const std::string& url, Target& t, std::unique_ptr<Held> h);
  void OnAnswer(const std::string& url, Held* h, const HttpResponse& r, bool pump = true);
  void Failed(Target& t, std::unique_ptr<Held> h, const HttpResponse& r);
  void DeadLetterExpired(Target& t, const std::string& why);
  void Release(const Held& h);
  void ArmWake();
  void KeepHeld();

  uv_loop_t* loop_;
  StatusEntryQueue* queue_;
  Keys keys_;
  const Clock* clock_;
  CallbackSenderOptions options_;
  CurlMulti curl_;
  uv_timer_t wake_;  // the earliest paused URL with events
  uv_timer_t keep_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, Target> targets_;               // by URL
  std::unordered_map<Held*, std::unique_ptr<Held>> flying_;       // requests in flight
  std::unordered_set<std::string> held_ids_;                      // event ids held
  size_t in_flight_ = 0;
  bool reading_ = false;
  bool closed_ = false;
  CallbackCounters counters_;
};

}  // namespace sd::http
