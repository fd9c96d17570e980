#include "bench/process/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace sd::process {

Subprocess::~Subprocess() { Kill(); }

bool Subprocess::Start(SubprocessOptions options) {
  if (pid_ > 0) {
    error_ = "already running";
    return false;
  }
  if (options.argv.empty()) {
    error_ = "empty argv";
    return false;
  }
  status_.reset();
  error_.clear();
  // Everything the child needs is prepared before fork: after fork only async-signal-safe
  // calls are allowed (the parent may have threads).
  std::vector<char*> args;
  for (std::string& a : options.argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The child writes its errno here if exec fails; a successful exec closes it (CLOEXEC).
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    close(report[0]);
    close(report[1]);
    return false;
  }
  if (pid == 0) {
    close(report[0]);
    // Die with the parent: a crashed or killed test or benchmark must not leave a server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Own process group, so a Ctrl-C aimed at the parent reaches the parent first (it stops its
    // children in order; the death signal covers the rest).
    setpgid(0, 0);
    int err = 0;
    if (!options.log_path.empty()) {
      const int fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd < 0) err = errno;
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
      }
    }
    if (err == 0 && !options.cwd.empty() && chdir(options.cwd.c_str()) != 0) err = errno;
    if (err == 0) {
      execve(args[0], args.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = write(report[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  pid_ = pid;
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    error_ = "cannot start " + options.argv[0] + ": " + std::strerror(child_errno);
    Reap(true);
    return false;
  }
  return true;
}

bool Subprocess::Reap(bool block) {
  if (pid_ <= 0) return true;
  int st = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;  // still running
  if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  pid_ = -1;  // reaped (or lost: ECHILD), either way no longer ours
  return true;
}

bool Subprocess::Running() { return pid_ > 0 && !Reap(false); }

void Subprocess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int Subprocess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(-1);
  Signal(SIGTERM);
  if (auto st = Wait(grace)) return *st;
  Kill();
  return status_.value_or(-1);
}

void Subprocess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(true);
}

}  // namespace sd::process
