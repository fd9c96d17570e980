#pragma once
// A fresh private directory for one test (mode 0700), removed with everything in it when the
// object goes away. Tests put sockets, config files, Redis data and logs here so that runs
// never see each other's files.
#include <string>
#include <string_view>

#include "bench/process/text_file.h"

namespace sd::testing {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>.XXXXXX (or /tmp). Aborts the test binary if that fails: there is
  // nothing meaningful a test can do without its directory.
  explicit TempDir(std::string_view prefix = "sd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string File(std::string_view name) const;
  // Leaves the directory in place (for looking at logs after a failure).
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// Whole-file helpers for tests (bench/process/text_file.h); they return false or "" instead
// of throwing.
using process::ReadTextFile;
using process::WriteTextFile;

}  // namespace sd::testing
