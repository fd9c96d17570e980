#pragma once
// The content rules file (TOML; format in docs/policy.md, example systemd/content-rules.toml):
// keyword and regex rules with an action, the operator's URL lists and the protected domains.
// Parsing checks everything but the regular expressions themselves, which only the engine
// can judge (content_scanner.h compiles them and maps its errors back to file:line:col).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/file_error.h"
#include "core/content_scan.h"

namespace sd {

// A problem with a rules file, pointing at the place it was found.
using RulesError = FileError;  // located at the rules file's line

enum class RuleAction : uint8_t {
  kReject,  // the job fails with blocked_content, detail = rule id
  kFlag,    // counted and reported; the job passes
};

struct ContentPattern {
  std::string expression;  // a keyword (literal) or a regular expression
  bool literal = false;
  int line = 0;  // where it is written, for compile errors
  int column = 0;
};

struct ContentRule {
  std::string id;
  RuleAction action = RuleAction::kReject;
  bool caseless = true;
  std::vector<ContentPattern> patterns;  // the rule matches when any of them does
};

struct ContentRules {
  std::vector<ContentRule> rules;
  UrlRules urls;
};

// Limits, each with its reason: the file is operator-written, but a wrong file (a word list
// pasted whole) should fail loudly rather than make every reload slow.
inline constexpr size_t kMaxRulesFileBytes = 1 << 20;
inline constexpr size_t kMaxRules = 4096;
inline constexpr size_t kMaxPatternsTotal = 65536;
inline constexpr size_t kMaxPatternBytes = 1024;
inline constexpr size_t kMaxRuleIdBytes = 64;  // the id travels as the outcome's detail

std::variant<ContentRules, RulesError> ParseContentRules(std::string_view toml_text,
                                                         const std::string& file);
std::variant<ContentRules, RulesError> LoadContentRulesFile(const std::string& path);

}  // namespace sd
