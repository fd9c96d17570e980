#pragma once
// Tests start their servers with the process control the benchmark uses (bench/process/).
#include "bench/process/free_port.h"
#include "bench/process/subprocess.h"

namespace sd::testing {

using process::PickFreeLoopbackPort;
using process::Subprocess;
using process::SubprocessOptions;

}  // namespace sd::testing
