#include "temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
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

bool WriteTextFile(const std::string& path, std::string_view content, int mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = fchmod(fd, static_cast<mode_t>(mode)) == 0;
  size_t off = 0;
  while (ok && off < content.size()) {
    const ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n <= 0)
      ok = false;
    else
      off += static_cast<size_t>(n);
  }
  return close(fd) == 0 && ok;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sd::testing
