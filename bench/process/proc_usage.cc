#include "bench/process/proc_usage.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sd::process {
namespace {

std::string ReadProc(pid_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

double CpuSeconds(pid_t pid) {
  const std::string stat = ReadProc(pid, "stat");
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 is the
  // state, 14 utime, 15 stime (proc(5)), in clock ticks.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double PeakRssMib(pid_t pid) {
  std::istringstream in(ReadProc(pid, "status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

}  // namespace sd::process
