#pragma once
// Opt-outs (docs/inbound.md, "Opt-outs"): a recipient who writes STOP to one of our numbers is
// not messaged again from that sender (or the sender group it belongs to) until they write
// START. What a reply means, which scope it applies to, and how an opt-out is named in Redis;
// the set every daemon holds is core/optout_set.h, the decision's stage is core/decision.h.
//
// A scope is what a recipient opts out of:
//   "*"         every sender (STOPALL)
//   "g:<name>"  a configured sender group ([[optouts.group]]: a brand's numbers and ids)
//   "s:<id>"    one sender not in any group: digits without '+' for a number, lower case for
//               an alphanumeric id, so "+4915112345" and "4915112345" (how an SMSC may write
//               our number in an MO) are one scope, and "ACME" and "Acme" are one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/inbound.h"
#include "core/job.h"

namespace sd {

enum class OptOutAction : uint8_t { kNone, kStop, kStopAll, kStart };
std::string_view OptOutActionName(OptOutAction a);  // "none" "stop" "stop_all" "start"

// One language's keywords, as configured ([optouts.keywords.<language>]).
struct OptOutKeywords {
  std::string language;
  std::vector<std::string> stop;
  std::vector<std::string> stop_all;
  std::vector<std::string> start;
};

struct OptOutGroup {
  std::string name;                  // [a-z0-9_-], at most 32
  std::vector<std::string> senders;  // sender ids and numbers, as jobs and MOs carry them
};

struct OptOutConfig {
  bool enabled = true;
  // Kinds refused to an opted-out number. OTPs are in by default: a recipient who wrote STOP
  // gets nothing, a one-time code included, unless the operator takes "otp" out.
  bool refuse_otp = true;
  bool refuse_transactional = true;
  bool refuse_marketing = true;
  std::vector<OptOutKeywords> keywords = DefaultKeywords();
  std::vector<OptOutGroup> groups;

  // English: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT; START, UNSTOP.
  static std::vector<OptOutKeywords> DefaultKeywords();
};

inline constexpr std::string_view kScopeAll = "*";
inline constexpr size_t kMaxOptOutKeyword = 32;  // bytes, as configured
inline constexpr size_t kMaxOptOutNote = 200;
// An MO longer than this is never a keyword (a keyword reply is a word, not a paragraph).
inline constexpr size_t kMaxKeywordReply = 64;

// What one keyword reply changes: opt-out entries to add or remove.
struct OptOutChange {
  bool add = true;
  std::string scope;
  std::string number;  // E.164
};

struct OptOutPlan {
  OptOutAction action = OptOutAction::kNone;
  std::string keyword;  // as configured (the matched one)
  std::string scope;    // the scope written to (kScopeAll for stop_all)
  std::string number;   // the recipient's number in E.164; empty: theirs is not usable
  std::vector<OptOutChange> changes;
};

class OptOutRules {
 public:
  OptOutRules() : OptOutRules(OptOutConfig{}) {}
  explicit OptOutRules(OptOutConfig config);

  const OptOutConfig& config() const { return config_; }
  bool enabled() const { return config_.enabled; }
  bool AppliesTo(JobKind kind) const;

  // What an MO's text asks for: the whole text, with surrounding white space and
  // punctuation dropped, equal to a keyword of any language, ignoring case (Latin, Greek and
  // Cyrillic letters). "Stop." and " stop " are STOP; "stop it" and "don't stop" are not.
  OptOutAction Classify(std::string_view text, std::string* keyword = nullptr) const;
  // The scope an MO to our number `sender` opts out of: its group's, else its own.
  std::string ScopeOfSender(std::string_view sender) const;
  // The scopes that refuse a job from `sender`: its own ("s:..."), its group's if it is in
  // one, and kScopeAll. So an operator's opt-out for one sender of a group (`smsdispatch
  // optouts add --sender`) holds for that sender, and a reply to any number of the group for all.
  // Returns how many of `out` it filled.
  size_t ScopesRefusing(std::string_view sender, std::string out[3]) const;

  // The changes an MO makes: STOP adds (scope of `m.to`, m.from), STOPALL adds ("*",
  // m.from), START removes both (a recipient who asks to hear from us again is heard, STOPALL
  // included). Nothing for a text that is not a keyword, a message with parts missing, binary
  // data, or when opt-outs are disabled; a keyword from a number that is not international
  // is planned with an empty number and no changes (the inbound entry says so).
  OptOutPlan Plan(const InboundMessage& m) const;

 private:
  OptOutConfig config_;
  std::unordered_map<std::string, std::pair<OptOutAction, std::string>> keywords_;  // folded
  std::unordered_map<std::string, std::string> group_of_;  // normalized sender -> "g:name"
};

// Upper-cases a keyword or reply for comparison (ASCII, Latin-1, Greek and Cyrillic letters)
// and trims white space and . ! ? , ; : " ' around it.
std::string FoldKeyword(std::string_view text);
// A sender id the way scopes compare it: digits without '+', or an alphanumeric id in lower
// case.
std::string NormalizeSender(std::string_view sender);
// An MO's sender as E.164: "+4477..." as is, "004477..." and "4477..." with '+'; nullopt for
// anything else (a national number cannot be told from an international one).
std::optional<std::string> MoNumberE164(std::string_view from);
bool ValidOptOutScope(std::string_view scope);
bool ValidOptOutGroupName(std::string_view name);

// Redis (docs/redis.md, "Opt-outs"): the hash field "<scope>|<number>" and its value
// "<created_ms>|<source>|<note>", where source is "mo:<carrier>", "cli:<who>" or "import".
struct OptOutRecord {
  std::string scope;
  std::string number;
  int64_t created_ms = 0;
  std::string source;
  std::string note;
};
std::string OptOutField(std::string_view scope, std::string_view number);
std::string OptOutValue(const OptOutRecord& r);
std::optional<OptOutRecord> ParseOptOut(std::string_view field, std::string_view value);
bool ParseOptOutField(std::string_view field, std::string* scope, std::string* number);

}  // namespace sd
