#pragma once
// The wall clock the daemon injects into core (job timestamps are wall-clock milliseconds).
#include <chrono>

#include "core/clock.h"

namespace sd {

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace sd
