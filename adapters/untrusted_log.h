#pragma once
// fmt (and so spdlog) formats sd::Untrusted as LogSafe(bytes, max) (core/log_safe.h): every
// log call that writes an untrusted field wraps it, spdlog::warn("kid {}", Untrusted(kid)).
// Nothing is escaped when the level is off: spdlog checks the level before formatting.
#include <fmt/format.h>

#include <string_view>

#include "core/log_safe.h"

template <>
struct fmt::formatter<sd::Untrusted> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const sd::Untrusted& u, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(sd::LogSafe(u.bytes, u.max), ctx);
  }
};
