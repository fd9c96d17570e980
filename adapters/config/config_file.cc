#include "adapters/config/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sd {
namespace {

std::variant<std::string, FileError> ReadFd(int fd, const std::string& path, size_t max_bytes,
                                            FileAccess access) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return FileError{path, 0, 0, std::string("cannot stat: ") + strerror(errno)};
  }
  if (!S_ISREG(st.st_mode)) return FileError{path, 0, 0, "not a regular file"};
  if (access == FileAccess::kPrivate && (st.st_mode & 077) != 0) {
    return FileError{path, 0, 0,
                     "holds secrets but is accessible by group or others (chmod 600 it)"};
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return FileError{path, 0, 0,
                     "is larger than " + std::to_string(max_bytes) + " bytes; wrong file?"};
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError{path, 0, 0, std::string("cannot read: ") + strerror(errno)};
    if (n == 0) break;  // shrank while we read; take what is there
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

}  // namespace

std::string FileError::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s + ": " + message;
}

std::variant<std::string, FileError> ReadConfigFile(const std::string& path, size_t max_bytes,
                                                    FileAccess access) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError{path, 0, 0, std::string("cannot open: ") + strerror(errno)};
  auto r = ReadFd(fd, path, max_bytes, access);
  close(fd);
  return r;
}

std::variant<std::string, FileError> ReadPrivateFile(const std::string& path, size_t max_bytes) {
  return ReadConfigFile(path, max_bytes, FileAccess::kPrivate);
}

std::variant<std::string, FileError> ReadSecretFile(const std::string& path) {
  auto r = ReadPrivateFile(path, kMaxSecretFileBytes);
  if (auto* s = std::get_if<std::string>(&r)) {
    while (!s->empty() && (s->back() == '\n' || s->back() == '\r')) s->pop_back();
    if (s->empty()) return FileError{path, 0, 0, "secret file is empty"};
  }
  return r;
}

}  // namespace sd
