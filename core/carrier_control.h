#pragma once
// What an operator asked of a carrier at run time (`smsdispatch carriers pause|resume|drain`,
// docs/operations.md "Runtime control"): kept in the Redis hash <prefix>carriers:control
// (field: the carrier's name, value: "<state>|<since_ms>|<by>|<note>"), which every daemon
// reads within about a second (adapters/redis/carrier_control_watcher.h). No field means
// active.
//   active:   takes new jobs.
//   paused:   takes no new jobs and sends nothing more; jobs waiting for it move to another
//             carrier of their route (failover), or wait for `resume` (or their expiry) when
//             it has none. What its binds already hold goes out.
//   draining: takes no new jobs; sends what is already waiting for it, then stays idle with
//             its binds up, so receipts keep arriving. `resume` takes it back.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sd {

enum class CarrierControl : uint8_t { kActive, kPaused, kDraining };

inline constexpr size_t kMaxCarrierControlNote = 200;

std::string_view CarrierControlName(CarrierControl c);
std::optional<CarrierControl> ParseCarrierControl(std::string_view word);

struct CarrierControlRecord {
  CarrierControl state = CarrierControl::kActive;
  int64_t since_ms = 0;
  std::string by;    // who asked (the CLI's --by, default the login name)
  std::string note;  // why, at most kMaxCarrierControlNote bytes
};

std::string CarrierControlValue(const CarrierControlRecord& r);
// Nullopt when the value does not parse (a bad record is skipped, never fatal).
std::optional<CarrierControlRecord> ParseCarrierControlValue(std::string_view value);

}  // namespace sd
