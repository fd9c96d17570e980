#include "daemon/lib/callback_thread.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "adapters/loop/uv_kit.h"

namespace sd {

CallbackThread::CallbackThread(redis::RedisEndpoint endpoint, redis::StatusQueueOptions queue,
                               http::CallbackSenderOptions sender,
                               http::CallbackSender::Keys keys, const Clock* clock)
    : endpoint_(std::move(endpoint)),
      queue_options_(std::move(queue)),
      sender_options_(std::move(sender)),
      keys_(std::move(keys)),
      clock_(clock) {}

CallbackThread::~CallbackThread() {
  if (thread_.joinable()) thread_.join();
}

void CallbackThread::Start(uv_loop_t* main_loop, std::function<void()> on_groups) {
  on_groups_ = std::move(on_groups);
  uv_async_init(main_loop, &main_events_, [](uv_async_t* a) {
    static_cast<CallbackThread*>(a->data)->OnMainEvents();
  });
  main_events_.data = this;
  // The thread's handles are made here, before it runs, so commands sent at once are not lost.
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &commands_, [](uv_async_t* a) {
    static_cast<CallbackThread*>(a->data)->OnCommands();
  });
  commands_.data = this;
  uv_timer_init(&loop_, &publish_);
  publish_.data = this;
  queue_ = std::make_unique<redis::StatusQueue>(&loop_, endpoint_, queue_options_);
  sender_ = std::make_unique<http::CallbackSender>(&loop_, queue_.get(), keys_, clock_,
                                                   sender_options_);
  thread_ = std::thread([this] { Run(); });
}

void CallbackThread::Run() {
  // Linux schedules threads one by one: a lower priority for this one means that when the
  // host's cores are busy, the dispatcher's thread gets them first and callbacks wait.
  pthread_setname_np(pthread_self(), "sd-callbacks");  // for top -H, perf and the benchmark
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, tid, kNiceness) != 0) {
    spdlog::warn("callbacks: could not lower the callback thread's priority");
  }
  queue_->Start([this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      groups_ready_ = true;
    }
    uv_async_send(&main_events_);
  });
  uv_timer_start(
      &publish_, [](uv_timer_t* t) { static_cast<CallbackThread*>(t->data)->Publish(); }, 200,
      200);
  OnCommands();  // a StartSending() or Stop() sent before the loop ran
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  uv_async_send(&main_events_);
}

void CallbackThread::StartSending() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    want_sending_ = true;
  }
  uv_async_send(&commands_);
}

void CallbackThread::Stop(std::function<void()> done) {
  on_stopped_ = std::move(done);
  if (!thread_.joinable()) {  // never started
    auto d = std::move(on_stopped_);
    d();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    want_stop_ = true;
  }
  uv_async_send(&commands_);
}

void CallbackThread::OnCommands() {
  bool start = false, stop = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    start = want_sending_ && !sending_ && !want_stop_;
    if (start) sending_ = true;
    stop = want_stop_;
    want_stop_ = false;
  }
  if (start) sender_->Start();
  if (!stop) return;
  uv_timer_stop(&publish_);
  sender_->Close([this] {
    queue_->Close([this] {
      Publish();  // the last counts
      loop::CloseAll({loop::AsHandle(&commands_), loop::AsHandle(&publish_)}, [] {});
    });
  });
}

void CallbackThread::Publish() {
  CallbackStats s{sender_->counters(), queue_->counters(), sender_->held(), sender_->in_flight()};
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = s;
}

CallbackStats CallbackThread::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CallbackThread::OnMainEvents() {
  bool report_groups = false, stopped = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    report_groups = groups_ready_ && !groups_reported_;
    if (report_groups) groups_reported_ = true;
    stopped = stopped_;
  }
  if (report_groups && on_groups_) on_groups_();
  if (!stopped) return;
  thread_.join();
  sender_.reset();
  queue_.reset();
  loop::CloseAll({loop::AsHandle(&main_events_)}, [this] {
    if (on_stopped_) {
      auto d = std::move(on_stopped_);
      d();
    }
  });
}

}  // namespace sd
