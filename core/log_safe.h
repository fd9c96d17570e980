#pragma once
// Untrusted bytes made safe to put in a log line or an echoed field. Job fields, key ids,
// carrier texts, SMPP system ids and Redis replies can hold anything: a newline would let them
// forge a whole log line (journald even reads a leading "<2>" as that line's priority), an ESC
// would drive the reader's terminal, and a megabyte would flood the log. One escaping rule for
// every such place:
//   - printable ASCII (0x20-0x7E) is kept, except '\' and '"';
//   - every other byte, '\' and '"' become \xNN (uppercase hex). That includes all non-ASCII
//     bytes, valid UTF-8 or not: a log reader sees no bidi override, zero-width or C1 control
//     character, and the rule needs no UTF-8 decoding.
// So the result is printable ASCII only, never holds a newline, and decodes back unambiguously.
#include <cstddef>
#include <string>
#include <string_view>

namespace sd {

// Escaped bytes shown of one untrusted field in a log line by default: enough for any id,
// reference or carrier message, small enough that a hostile field cannot flood the log.
inline constexpr size_t kLogFieldMax = 128;
// The bound for a whole message built around untrusted parts (a Redis error reply, a TLS
// failure naming the peer's certificate, a carrier's close reason).
inline constexpr size_t kLogMessageMax = 512;

// Appends `bytes` to `out` escaped, stopping before the appended part would pass `max_out`
// bytes; an escape is never cut. Returns how many input bytes were written (all of them
// unless the bound stopped it).
size_t AppendEscaped(std::string& out, std::string_view bytes, size_t max_out);

// `bytes` escaped for a log line. When it is cut at `max` escaped bytes, a marker naming the
// original length follows: "abc...(5000 bytes)". The result is at most max + 31 bytes.
std::string LogSafe(std::string_view bytes, size_t max = kLogFieldMax);

// A log argument that holds untrusted bytes: spdlog::warn("kid {}", Untrusted(kid)) writes
// LogSafe(kid) (the fmt formatter is in adapters/untrusted_log.h). Holds a view: use it only
// within the logging call.
struct Untrusted {
  explicit Untrusted(std::string_view b, size_t m = kLogFieldMax) : bytes(b), max(m) {}
  std::string_view bytes;
  size_t max;
};

}  // namespace sd
