#pragma once
// A problem with a file the operator wrote or handed us (config, key file, secret file, content
// rules), located for the operator.
#include <string>

namespace sd {

struct FileError {
  std::string file;
  int line = 0;  // 0 when the problem is not tied to a line (file unreadable, bad mode)
  int column = 0;
  std::string message;  // never contains a secret
  // "file:line:column: message", or "file: message" when line is 0.
  std::string ToString() const;
};

}  // namespace sd
