#pragma once
// What a running process has used so far, from /proc (Linux): for the benchmark's CPU per job
// and peak memory figures.
#include <sys/types.h>

namespace sd::process {

// CPU seconds (user + system) of pid so far; 0 when it cannot be read.
double CpuSeconds(pid_t pid);

// Peak resident set (VmHWM) of pid in MiB; 0 when it cannot be read.
double PeakRssMib(pid_t pid);

}  // namespace sd::process
