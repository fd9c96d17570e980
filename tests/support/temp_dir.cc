#include "temp_dir.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace sd::testing {

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  // Unix socket paths are limited to 107 bytes; a long $TMPDIR would make sockets in here
  // unusable, so fall back to /tmp in that case.
  std::string dir = (base != nullptr && *base != '\0' && std::string_view(base).size() < 48)
                        ? std::string(base)
                        : std::string("/tmp");
  std::string tmpl = dir + "/" + std::string(prefix) + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: a leftover dir only costs disk
}

std::string TempDir::File(std::string_view name) const { return path_ + "/" + std::string(name); }

}  // namespace sd::testing
