#pragma once
// A child process for the tests and the benchmark: fork + execve with an explicit argv (no
// shell, so no quoting surprises), stdout and stderr appended to a log file, and a process-death
// signal so a crashed parent never leaves servers running behind it.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sd::process {

struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0] is the path of the executable
  std::string log_path;           // stdout+stderr appended here; empty = inherit the parent's
  std::string cwd;                // empty = the parent's working directory
  std::vector<std::pair<std::string, std::string>> env;  // added to the parent's environment
};

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();  // SIGKILL and reap if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts the child. False (with error() set) when fork fails or exec fails in the child;
  // an exec failure is reported here rather than as a mysterious exit status later.
  [[nodiscard]] bool Start(SubprocessOptions options);

  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  // True while the child has not been reaped; reaps it if it has exited.
  bool Running();
  void Signal(int sig);
  // Waits for the child to exit, polling until `timeout`. Returns the exit code, or
  // 128 + signal number when a signal ended it; nullopt if it is still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL if it has not exited within `grace`. Returns the exit status.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL and reap.
  void Kill();
  // Exit status of the last reaped child (see Wait), nullopt before one was reaped.
  std::optional<int> exit_status() const { return status_; }

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string error_;
};

}  // namespace sd::process
