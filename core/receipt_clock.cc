#include "core/receipt_clock.h"

namespace sd {

std::string ReceiptClock::Key(std::string_view carrier, std::string_view key) {
  std::string k(carrier);
  k += '\0';
  k.append(key);
  return k;
}

void ReceiptClock::Submitted(std::string_view carrier, std::string_view key, int64_t submitted_ms) {
  if (key.empty() || max_entries_ == 0) return;
  std::string k = Key(carrier, key);
  if (!at_.emplace(k, submitted_ms).second) return;  // the same id twice: keep the first
  order_.push_back(std::move(k));
  // Forget the oldest notes; the deque also holds keys already taken by a receipt, which
  // cost nothing to skip. It is trimmed so it never grows past twice the bound.
  while (at_.size() > max_entries_ || order_.size() > 2 * max_entries_) {
    at_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<int64_t> ReceiptClock::Receipt(std::string_view carrier, std::string_view key) {
  const auto it = at_.find(Key(carrier, key));
  if (it == at_.end()) return std::nullopt;
  const int64_t ms = it->second;
  at_.erase(it);
  return ms;
}

}  // namespace sd
