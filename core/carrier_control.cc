#include "core/carrier_control.h"

#include <charconv>

namespace sd {

std::string_view CarrierControlName(CarrierControl c) {
  switch (c) {
    case CarrierControl::kActive:
      return "active";
    case CarrierControl::kPaused:
      return "paused";
    case CarrierControl::kDraining:
      return "draining";
  }
  return "active";
}

std::optional<CarrierControl> ParseCarrierControl(std::string_view word) {
  for (CarrierControl c :
       {CarrierControl::kActive, CarrierControl::kPaused, CarrierControl::kDraining}) {
    if (word == CarrierControlName(c)) return c;
  }
  return std::nullopt;
}

std::string CarrierControlValue(const CarrierControlRecord& r) {
  std::string v(CarrierControlName(r.state));
  v += '|';
  v += std::to_string(r.since_ms);
  v += '|';
  v += r.by;
  v += '|';
  v += r.note;
  return v;
}

std::optional<CarrierControlRecord> ParseCarrierControlValue(std::string_view value) {
  // state|since|by|note: the note is last and may hold '|'; `by` may not.
  const size_t a = value.find('|');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = value.find('|', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const size_t c = value.find('|', b + 1);
  if (c == std::string_view::npos) return std::nullopt;
  CarrierControlRecord r;
  const auto state = ParseCarrierControl(value.substr(0, a));
  if (!state) return std::nullopt;
  r.state = *state;
  const std::string_view since = value.substr(a + 1, b - a - 1);
  const auto [end, ec] = std::from_chars(since.data(), since.data() + since.size(), r.since_ms);
  if (ec != std::errc() || end != since.data() + since.size()) return std::nullopt;
  r.by = std::string(value.substr(b + 1, c - b - 1));
  r.note = std::string(value.substr(c + 1));
  if (r.note.size() > kMaxCarrierControlNote) return std::nullopt;
  return r;
}

}  // namespace sd
