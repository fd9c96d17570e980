#pragma once
// A libuv loop for tests that drives asynchronous code until a condition holds, with a
// deadline instead of sleeps (STYLE habit 10), and checks that everything was closed at the
// end (STYLE habit 8). Header-only so that only tests using libuv need to link it.
#include <uv.h>

#include <chrono>
#include <functional>

namespace sd::testing {

class UvTestLoop {
 public:
  UvTestLoop() { uv_loop_init(&loop_); }
  ~UvTestLoop() {
    if (!closed_) {
      // Let pending close callbacks run so a failed test does not also leak memory reports.
      uv_run(&loop_, UV_RUN_NOWAIT);
      uv_loop_close(&loop_);
    }
  }
  UvTestLoop(const UvTestLoop&) = delete;
  UvTestLoop& operator=(const UvTestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done()` is true (checked after every loop iteration) or `timeout`
  // passes. Returns done(). Returns early, false, if the loop has nothing left to wait for.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (done()) return true;
    bool expired = false;
    uv_timer_t deadline;
    uv_timer_init(&loop_, &deadline);
    deadline.data = &expired;
    uv_timer_start(
        &deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(timeout.count()), 0);
    // A prepare handle runs right before the loop would block for I/O, after the previous
    // iteration's timers, I/O and close callbacks: `done` is re-evaluated each time, and
    // uv_stop there keeps the loop from blocking.
    struct State {
      const std::function<bool()>* done;
      bool* expired;
      bool result = false;
    } state{&done, &expired};
    uv_prepare_t check;
    uv_prepare_init(&loop_, &check);
    check.data = &state;
    uv_prepare_start(&check, [](uv_prepare_t* c) {
      auto* s = static_cast<State*>(c->data);
      if ((*s->done)() || *s->expired) uv_stop(c->loop);
    });
    // `done` may depend on things outside the loop (a Redis server's state): wake the loop
    // regularly so it is re-evaluated even when no event of ours is due.
    uv_timer_t wake;
    uv_timer_init(&loop_, &wake);
    uv_timer_start(
        &wake, [](uv_timer_t*) {}, 5, 5);
    while (!(state.result = done()) && !expired) {
      if (uv_run(&loop_, UV_RUN_DEFAULT) == 0 && !done()) break;  // nothing left to run
    }
    state.result = done();
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // completes the closes
    return state.result;
  }

  // Runs until no handle is left, then closes the loop. Returns uv_loop_close's result: 0
  // when everything was closed (UV_EBUSY means something is still open).
  int RunToCompletionAndClose(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    StopCountingIterations();
    // Unreferenced, so it does not itself keep the loop alive; it only bounds the wait.
    uv_timer_t deadline;
    uv_timer_init(&loop_, &deadline);
    uv_timer_start(
        &deadline, [](uv_timer_t* t) { uv_stop(t->loop); }, static_cast<uint64_t>(timeout.count()),
        0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&deadline));
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    const int rc = uv_loop_close(&loop_);
    closed_ = rc == 0;
    return rc;
  }

  // Counts loop iterations (for tests that check work is batched per iteration).
  void StartCountingIterations() {
    uv_prepare_init(&loop_, &prepare_);
    prepare_.data = &iterations_;
    uv_prepare_start(&prepare_, [](uv_prepare_t* p) { ++*static_cast<uint64_t*>(p->data); });
    counting_ = true;
  }
  void StopCountingIterations() {
    if (!counting_) return;
    counting_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  }
  uint64_t iterations() const { return iterations_; }

 private:
  uv_loop_t loop_;
  bool closed_ = false;
  uv_prepare_t prepare_;
  bool counting_ = false;
  uint64_t iterations_ = 0;
};

}  // namespace sd::testing
