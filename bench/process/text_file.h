#pragma once
// Whole-file reads and writes for the programs that start and watch processes (the benchmark,
// the tests' harness): port files, logs, generated configs and keys.
#include <string>
#include <string_view>

namespace sd::process {

// The file's bytes; "" when it is missing or unreadable (callers poll for files a child
// process writes, so absence is not an error here).
std::string ReadTextFile(const std::string& path);
// Creates or truncates `path`, gives it `mode` (also when it existed, umask aside) and writes
// all of `content`. False on any failure.
[[nodiscard]] bool WriteTextFile(const std::string& path, std::string_view content,
                                 int mode = 0600);

}  // namespace sd::process
