#pragma once
// Reading whole files the operator configures: bounded (a size far above any real file of its
// kind, so hitting it means the path names the wrong file) and checked before the content is
// read. Errors name the file, never its content.
#include <cstddef>
#include <string>
#include <variant>

#include "adapters/config/file_error.h"

namespace sd {

// Who may read the file besides its owner.
enum class FileAccess {
  kAny,      // a config or rules file
  kPrivate,  // holds secrets: refused when group or others have any access (mode & 077)
};

// Reads a whole regular file of at most max_bytes. The mode and size are checked on the opened
// descriptor, so the file checked is the file read.
std::variant<std::string, FileError> ReadConfigFile(const std::string& path, size_t max_bytes,
                                                    FileAccess access);

// Reads a whole file that holds secrets (FileAccess::kPrivate). A secret readable by other
// users is already leaked, and refusing loudly is how the operator finds out.
std::variant<std::string, FileError> ReadPrivateFile(const std::string& path, size_t max_bytes);

inline constexpr size_t kMaxSecretFileBytes = 4096;  // a password, not a document

// A password file: ReadPrivateFile, then trailing newlines stripped; empty is an error.
std::variant<std::string, FileError> ReadSecretFile(const std::string& path);

}  // namespace sd
