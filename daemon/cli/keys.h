#pragma once
// smsdispatch keys create | rotate | revoke | list | show: the key registry in Redis
// (docs/keys.md). Takes main's argv (argv[1] is "keys", argv[2] the subcommand) and returns the
// exit code: 0 success, 1 failure, 2 usage error.
#include <cstdint>
#include <string>

namespace sd::cli {

int RunKeys(int argc, char** argv);
// "YYYY-MM-DDTHH:MM:SSZ" of ms since the epoch; "-" for 0.
std::string FormatTime(int64_t ms);

}  // namespace sd::cli
