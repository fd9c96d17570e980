#pragma once
// The few libuv helpers every adapter needs, once: the handle cast, closing a group of handles
// with one callback when the last close has run, and running work on the next loop turn.
#include <uv.h>

#include <functional>
#include <initializer_list>
#include <vector>

namespace sd::loop {

// libuv's handle types all start with the uv_handle_t fields (its documented layout).
template <typename T>
uv_handle_t* AsHandle(T* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}
template <typename T>
const uv_handle_t* AsHandle(const T* h) {
  return reinterpret_cast<const uv_handle_t*>(h);
}

// Closes every handle not already closing and runs `all_closed` once the last close callback
// has run (at once, on the next loop turn, when there was nothing left to close). The handles'
// `data` is taken over for the close: the owner must not use it after this call. The owner may
// be destroyed inside `all_closed`.
void CloseAll(std::initializer_list<uv_handle_t*> handles, std::function<void()> all_closed);
void CloseAll(const std::vector<uv_handle_t*>& handles, std::function<void()> all_closed);

// Runs posted functions on the next loop turn (a uv_idle handle, started only while work is
// queued, so an idle NextTurn keeps no loop alive). Completions posted from inside a call are
// never run inside it: callers see every callback after their call returned.
class NextTurn {
 public:
  explicit NextTurn(uv_loop_t* loop);
  // Close() must have been called, and the loop run until it completed, before destruction.
  ~NextTurn() = default;
  NextTurn(const NextTurn&) = delete;
  NextTurn& operator=(const NextTurn&) = delete;

  // False (and `fn` dropped) once closed.
  bool Post(std::function<void()> fn);
  // Runs everything queued, inline, until nothing is left (for an owner that is closing).
  void Drain();
  bool closed() const { return uv_is_closing(AsHandle(&idle_)) != 0; }
  // The handle, to close with CloseAll together with the owner's others.
  uv_handle_t* handle() { return AsHandle(&idle_); }

 private:
  void RunOneRound();
  uv_idle_t idle_;
  std::vector<std::function<void()>> queued_;
};

}  // namespace sd::loop
