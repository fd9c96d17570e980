#pragma once
// When was the job whose receipt just arrived submitted? For the submit -> receipt latency
// histogram (docs/operations.md): the dispatcher notes each accepted job's first-part
// correlation key with the time, and looks it up when a receipt comes. Bounded: the oldest
// notes are forgotten first, so a receipt for a job submitted long ago (or by another daemon,
// or before a restart) is simply not measured; nothing here affects delivery or matching,
// which happen in Redis.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sd {

class ReceiptClock {
 public:
  explicit ReceiptClock(size_t max_entries = 200'000) : max_entries_(max_entries) {}

  // `carrier` and `key` (the first part's match key, or the message id) of a job accepted
  // at `submitted_ms`.
  void Submitted(std::string_view carrier, std::string_view key, int64_t submitted_ms);
  // The submit time of the job this receipt belongs to, once (the note is dropped); nullopt
  // when it is not known here.
  std::optional<int64_t> Receipt(std::string_view carrier, std::string_view key);
  size_t size() const { return at_.size(); }

 private:
  static std::string Key(std::string_view carrier, std::string_view key);

  size_t max_entries_;
  std::unordered_map<std::string, int64_t> at_;
  std::deque<std::string> order_;  // insertion order; may hold keys already taken
};

}  // namespace sd
