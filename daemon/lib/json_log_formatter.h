#pragma once
// `[daemon] log_format = "json"`: one JSON object per log line, for journald and log shippers
// that parse structure (docs/operations.md, "Logs"):
//   {"ts":"2026-12-04T16:40:00.123Z","level":"info","logger":"smsdispatchd","msg":"..."}
// The message is what the text format prints (untrusted fields already passed through
// LogSafe, adapters/untrusted_log.h), JSON-escaped here: quotes, backslashes and control
// characters escaped, bytes that are not UTF-8 replaced by U+FFFD, so every line parses
// whatever a job or a carrier sent.
#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace sd {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// `s` as the inside of a JSON string (no quotes around it).
std::string JsonEscape(std::string_view s);

}  // namespace sd
