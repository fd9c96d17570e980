#pragma once
// Status callbacks on a thread and a libuv loop of their own (docs/api.md, "Status
// callbacks"), so that signing, TLS and HTTP for producers' receivers never take the
// dispatcher's loop time: the queue (adapters/redis/status_queue.h) and the sender
// (adapters/http/callback_sender.h) live there. They share only the key registry snapshot
// (PolicyHolder::Load is atomic) and the clock with the dispatcher. Counters are copied out
// under a mutex for the stats.
//
// Calls come from the daemon's loop; what they report back runs on that loop too (uv_async).
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "adapters/http/callback_sender.h"
#include "adapters/redis/status_queue.h"

namespace sd {

struct CallbackStats {
  http::CallbackCounters sender;
  redis::StatusQueueCounters queue;
  size_t held = 0;
  size_t in_flight = 0;
};

class CallbackThread {
 public:
  CallbackThread(redis::RedisEndpoint endpoint, redis::StatusQueueOptions queue,
                 http::CallbackSenderOptions sender, http::CallbackSender::Keys keys,
                 const Clock* clock);
  // Stop() must have completed first.
  ~CallbackThread();
  CallbackThread(const CallbackThread&) = delete;
  CallbackThread& operator=(const CallbackThread&) = delete;

  // Starts the thread; `on_groups` runs on `main_loop` once the consumer group exists on both
  // streams (the daemon dispatches only then).
  void Start(uv_loop_t* main_loop, std::function<void()> on_groups);
  // The key registry is in: start reading and sending.
  void StartSending();
  // Closes the sender and the queue on their loop, joins the thread, then runs `done` on the
  // main loop. What was held stays pending on Redis.
  void Stop(std::function<void()> done);

  CallbackStats stats() const;

 private:
  static constexpr int kNiceness = 10;  // added to the daemon's nice value for this thread
  void Run();           // the thread
  void OnCommands();    // on the thread's loop: Start/Stop requests
  void OnMainEvents();  // on the main loop: groups ready, stopped
  void Publish();       // copies the counters (thread's loop)

  redis::RedisEndpoint endpoint_;
  redis::StatusQueueOptions queue_options_;
  http::CallbackSenderOptions sender_options_;
  http::CallbackSender::Keys keys_;
  const Clock* clock_;

  uv_loop_t loop_{};
  uv_async_t commands_{};   // main -> thread
  uv_timer_t publish_{};    // thread: counters every 200 ms
  uv_async_t main_events_{};  // thread -> main
  std::unique_ptr<redis::StatusQueue> queue_;
  std::unique_ptr<http::CallbackSender> sender_;
  std::thread thread_;

  mutable std::mutex mu_;  // guards what follows
  bool want_sending_ = false, sending_ = false, want_stop_ = false;
  bool groups_ready_ = false, groups_reported_ = false, stopped_ = false;
  CallbackStats stats_;
  std::function<void()> on_groups_;  // main loop only
  std::function<void()> on_stopped_;  // main loop only
};

}  // namespace sd
