#pragma once
// smsdispatch keys create | set | rotate | revoke | list | report | show: the key registry in Redis
// (docs/keys.md). Takes main's argv (argv[1] is "keys", argv[2] the subcommand) and returns the
// exit code: 0 success, 1 failure, 2 usage error.
#include "daemon/cli/cli_time.h"  // FormatTime, which key_report and key_incident use too

namespace sd::cli {

int RunKeys(int argc, char** argv);

}  // namespace sd::cli
