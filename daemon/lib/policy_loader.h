#pragma once
// Builds the admission policy (core/policy_snapshot.h) from the configuration: the key file,
// the number checker, the content rules file and the rate limits. Used at start-up and on
// SIGHUP; a reload that fails anywhere changes nothing (the caller keeps the old snapshot).
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/policy_snapshot.h"
#include "core/siphash.h"
#include "daemon/lib/config.h"

namespace sd {

// A random SipHash key for the rate-limit tables (per process: bucket placement cannot be
// predicted from outside, so nobody can aim values at one table window).
SipKey RandomLimitHashKey();

// Everything but the registry keys, which come from the KeyRegistryWatcher, and the MAC the
// keys are prepared with (the returned parts carry `previous`'s registry snapshot and MAC, if
// any; at start-up set PolicyParts::mac yourself). With `previous`, the rate limits keep
// the bucket state of unchanged limits. Errors are located: "file:line:col: problem".
std::variant<PolicyParts, ConfigError> BuildPolicyParts(const Config& config,
                                                        const PolicySnapshot* previous,
                                                        const SipKey& limit_hash_key);

}  // namespace sd
