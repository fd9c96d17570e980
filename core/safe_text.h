#pragma once
// What the daemon may echo from an entry into the streams producers and operators read
// (sd:outcomes, sd:audit): a value either follows its rule in docs/jobs.md, or it is escaped,
// and it is always bounded. A consumer that splits on newlines, prints to a terminal or
// expects UTF-8 can then never be fooled by a producer's bytes.
#include <cstddef>
#include <string>
#include <string_view>

namespace sd {

// Valid UTF-8 without control characters: none of U+0000-U+001F, U+007F-U+009F (so no
// newline, ESC, NUL, and none of the C1 controls a terminal may act on).
bool IsPlainText(std::string_view s);

// `s` escaped by the log rule (core/log_safe.h: every byte outside printable ASCII, '\' and '"'
// as \xNN), cut so the result is at most `max_bytes` long (an escape is never cut in half).
// The result is always printable ASCII.
std::string EscapeBytes(std::string_view s, size_t max_bytes);

// `s` itself when it is plain text of at most `max_bytes`, else EscapeBytes(s, max_bytes):
// human-readable details stay readable, anything else is made safe.
std::string PlainOrEscaped(std::string_view s, size_t max_bytes);

}  // namespace sd
