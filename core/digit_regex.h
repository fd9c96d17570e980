#pragma once
// Regular expressions over the ten digits, compiled to one deterministic automaton.
//
// Numbering-plan metadata (libphonenumber's) describes each kind of number as a regular
// expression over digits: "1(?:5[0-25-9]\d{8}|6[023]\d{7,8})". Matching a national number
// against a dozen of them through a backtracking regex engine costs tens of microseconds; run
// through one automaton built from all of them it is one table step per digit. This file is the
// compiler: a parser for the subset of regex syntax such metadata uses, Thompson's construction
// to a non-deterministic automaton, and the subset construction to a deterministic one whose
// states carry, as bits, which of the patterns match the input read so far.
//
// Supported: digits, \d, classes of digits and ranges ([1-35-9], [^0]), groups (…) and (?:…),
// alternation, and the quantifiers ? * + {n} {n,} {n,m}. Anything else (letters, anchors,
// look-arounds, back-references) is an error: the caller then leaves that pattern to the
// library it came from instead of guessing its meaning.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sd {

struct DigitPattern {
  std::string_view regex;
  uint32_t tag = 0;     // the bit(s) a match sets in the result of DigitDfa::Run
  bool prefix = false;  // true: matches when some prefix of the input matches (lookingAt);
                        // false: only the whole input (matches)
};

class DigitDfa {
 public:
  static constexpr uint32_t kDead = 0;
  static constexpr uint32_t kStart = 1;

  // The tags of every pattern that matches `digits` (all of whose characters must be '0'..'9').
  uint32_t Run(std::string_view digits) const {
    uint32_t s = kStart;
    for (char c : digits) {
      s = next_[s * 10 + static_cast<uint32_t>(c - '0')];
      if (s == kDead) return 0;
    }
    return tags_[s];
  }

  size_t states() const { return tags_.size(); }
  size_t bytes() const { return next_.size() * sizeof(uint32_t) + tags_.size() * sizeof(uint32_t); }

 private:
  friend Result<DigitDfa> CompileDigitPatterns(std::span<const DigitPattern>, size_t);
  std::vector<uint32_t> next_;  // state * 10 + digit -> state
  std::vector<uint32_t> tags_;  // per state
};

// Compiles the patterns into one automaton of at most `max_states` states. An error names the
// pattern and what in it is not supported, or says the automaton grew too large.
Result<DigitDfa> CompileDigitPatterns(std::span<const DigitPattern> patterns, size_t max_states);

}  // namespace sd
