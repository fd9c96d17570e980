#pragma once
// The scope options of smsdispatch keys create (docs/keys.md, "Scopes"), parsed into a key's
// scopes. Shared by keys.cc.
#include <string>
#include <vector>

#include "core/key_record.h"
#include "daemon/cli/args.h"

namespace sd::cli {

struct UsageError {
  std::string message;
};

// "a, b,,c" -> {"a", "b", "c"}: items trimmed, empty ones dropped.
std::vector<std::string> SplitList(const std::string& s);

// Parses the scope options into `s`; throws UsageError.
void ParseScopes(Args& args, KeyScopes* s);

}  // namespace sd::cli
