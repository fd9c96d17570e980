#include "adapters/loop/uv_kit.h"

#include <memory>

namespace sd::loop {
namespace {

struct CloseGroup {
  size_t open = 0;
  std::function<void()> all_closed;
};

template <typename Range>
void CloseRange(const Range& handles, std::function<void()> all_closed) {
  auto* group = new CloseGroup{0, std::move(all_closed)};
  for (uv_handle_t* h : handles) {
    if (h == nullptr || uv_is_closing(h)) continue;
    ++group->open;
    h->data = group;
    uv_close(h, [](uv_handle_t* closed) {
      auto* g = static_cast<CloseGroup*>(closed->data);
      if (--g->open != 0) return;
      std::unique_ptr<CloseGroup> owned(g);
      if (owned->all_closed) owned->all_closed();  // may destroy the handles' owner
    });
  }
  if (group->open == 0) {
    std::unique_ptr<CloseGroup> owned(group);
    if (owned->all_closed) owned->all_closed();
  }
}

}  // namespace

void CloseAll(std::initializer_list<uv_handle_t*> handles, std::function<void()> all_closed) {
  CloseRange(handles, std::move(all_closed));
}

void CloseAll(const std::vector<uv_handle_t*>& handles, std::function<void()> all_closed) {
  CloseRange(handles, std::move(all_closed));
}

NextTurn::NextTurn(uv_loop_t* loop) {
  uv_idle_init(loop, &idle_);
  idle_.data = this;
}

bool NextTurn::Post(std::function<void()> fn) {
  if (closed()) return false;
  queued_.push_back(std::move(fn));
  if (!uv_is_active(AsHandle(&idle_))) {
    uv_idle_start(&idle_, [](uv_idle_t* h) {
      uv_idle_stop(h);
      static_cast<NextTurn*>(h->data)->RunOneRound();
    });
  }
  return true;
}

// Functions posted while these run wait for the next turn.
void NextTurn::RunOneRound() {
  auto now = std::move(queued_);
  queued_.clear();
  for (auto& fn : now) fn();
}

void NextTurn::Drain() {
  while (!queued_.empty()) RunOneRound();
}

}  // namespace sd::loop
