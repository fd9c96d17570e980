#pragma once
// What `smsdispatch keys` accepts: the synopsis --help prints first, and each subcommand's
// options with their help (the Args of keys.cc are built from them).
#include <optional>
#include <string>
#include <vector>

#include "daemon/cli/args.h"

namespace sd::cli {

extern const char* const kKeysSynopsis;

// The options of one subcommand (nullopt: no such subcommand). Every subcommand takes the
// master key and prefix options and the Redis ones.
std::optional<std::vector<OptionSpec>> KeysOptions(const std::string& sub);

}  // namespace sd::cli
