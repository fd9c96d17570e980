#include "core/optout.h"

#include <algorithm>
#include <charconv>

#include "core/addresses.h"
#include "core/url_extract.h"

namespace sd {
namespace {

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsAsciiDigit);
}

bool Trimmed(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '\v':
    case '\f':
    case '.':
    case '!':
    case '?':
    case ',':
    case ';':
    case ':':
    case '"':
    case '\'':
      return true;
    default:
      return false;
  }
}

// Simple upper-casing of the letters keywords are written in. Not full Unicode case mapping
// (no ß -> SS, no Turkish dotless i): keywords are configured, and these blocks are where
// operators' keywords live.
char32_t Upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;  // Latin-1 à..þ
  if (c == 0xFF) return 0x178;                               // ÿ
  // Latin Extended-A: upper/lower pairs, the upper case even in two runs and odd in two.
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c - 1 : c;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 0x20;  // Greek α..ω
  if (c == 0x3C2) return 0x3A3;                                 // final sigma
  if (c >= 0x3AC && c <= 0x3AF) {                               // Greek ά έ ή ί
    static constexpr char32_t kMap[] = {0x386, 0x388, 0x389, 0x38A};
    return kMap[c - 0x3AC];
  }
  if (c >= 0x3CA && c <= 0x3CE) {  // Greek ϊ ϋ ό ύ ώ
    static constexpr char32_t kMap[] = {0x3AA, 0x3AB, 0x38C, 0x38E, 0x38F};
    return kMap[c - 0x3CA];
  }
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;  // Cyrillic а..я
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;  // ѐ..џ
  return c;
}

}  // namespace

std::string_view OptOutActionName(OptOutAction a) {
  switch (a) {
    case OptOutAction::kNone:
      return "none";
    case OptOutAction::kStop:
      return "stop";
    case OptOutAction::kStopAll:
      return "stop_all";
    case OptOutAction::kStart:
      return "start";
  }
  return "none";
}

std::vector<OptOutKeywords> OptOutConfig::DefaultKeywords() {
  return {
      {"en", {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}, {"STOPALL"}, {"START", "UNSTOP"}}};
}

std::string FoldKeyword(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && Trimmed(text[b])) ++b;
  while (e > b && Trimmed(text[e - 1])) --e;
  std::string out;
  out.reserve(e - b);
  for (size_t i = b; i < e;) AppendUtf8(Upper(NextCodePoint(text, &i)), &out);
  return out;
}

std::string NormalizeSender(std::string_view sender) {
  const std::string_view digits = !sender.empty() && sender[0] == '+' ? sender.substr(1) : sender;
  if (AllDigits(digits)) return std::string(digits);
  std::string out(sender);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 0x20);
  }
  return out;
}

std::optional<std::string> MoNumberE164(std::string_view from) {
  std::string_view d = from;
  if (!d.empty() && d[0] == '+') {
    d.remove_prefix(1);
  } else if (d.size() > 2 && d.substr(0, 2) == "00") {
    d.remove_prefix(2);
  }
  std::string e164 = "+" + std::string(d);
  if (!AllDigits(d) || !IsE164(e164)) return std::nullopt;
  return e164;
}

bool ValidOptOutGroupName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '_' || c == '-';
  });
}

bool ValidOptOutScope(std::string_view scope) {
  if (scope == kScopeAll) return true;
  if (scope.size() < 3 || scope[1] != ':') return false;
  const std::string_view rest = scope.substr(2);
  if (scope[0] == 'g') return ValidOptOutGroupName(rest);
  if (scope[0] != 's') return false;
  return IsValidSender(rest) && NormalizeSender(rest) == rest;
}

OptOutRules::OptOutRules(OptOutConfig config) : config_(std::move(config)) {
  // Later languages do not override earlier ones: the first configuration of a word wins.
  for (const OptOutKeywords& k : config_.keywords) {
    auto add = [this](const std::vector<std::string>& words, OptOutAction a) {
      for (const std::string& w : words) keywords_.try_emplace(FoldKeyword(w), a, w);
    };
    add(k.stop_all, OptOutAction::kStopAll);
    add(k.stop, OptOutAction::kStop);
    add(k.start, OptOutAction::kStart);
  }
  for (const OptOutGroup& g : config_.groups) {
    for (const std::string& s : g.senders) group_of_.try_emplace(NormalizeSender(s), "g:" + g.name);
  }
}

bool OptOutRules::AppliesTo(JobKind kind) const {
  if (!config_.enabled) return false;
  switch (kind) {
    case JobKind::kOtp:
      return config_.refuse_otp;
    case JobKind::kTransactional:
      return config_.refuse_transactional;
    case JobKind::kMarketing:
      return config_.refuse_marketing;
  }
  return true;
}

OptOutAction OptOutRules::Classify(std::string_view text, std::string* keyword) const {
  if (text.size() > kMaxKeywordReply) return OptOutAction::kNone;
  auto it = keywords_.find(FoldKeyword(text));
  if (it == keywords_.end()) return OptOutAction::kNone;
  if (keyword != nullptr) *keyword = it->second.second;
  return it->second.first;
}

std::string OptOutRules::ScopeOfSender(std::string_view sender) const {
  std::string n = NormalizeSender(sender);
  auto it = group_of_.find(n);
  return it != group_of_.end() ? it->second : "s:" + n;
}

size_t OptOutRules::ScopesRefusing(std::string_view sender, std::string out[3]) const {
  std::string n = NormalizeSender(sender);
  size_t k = 0;
  if (auto it = group_of_.find(n); it != group_of_.end()) out[k++] = it->second;
  out[k++] = "s:" + std::move(n);
  out[k++] = std::string(kScopeAll);
  return k;
}

OptOutPlan OptOutRules::Plan(const InboundMessage& m) const {
  OptOutPlan plan;
  if (!config_.enabled || m.missing > 0 || !m.binary_hex.empty()) return plan;
  plan.action = Classify(m.text, &plan.keyword);
  if (plan.action == OptOutAction::kNone) return plan;
  const std::string own = ScopeOfSender(m.to);
  plan.scope = plan.action == OptOutAction::kStopAll ? std::string(kScopeAll) : own;
  std::optional<std::string> number = MoNumberE164(m.from);
  if (!number || !IsValidSender(m.to)) return plan;  // recorded on the entry, nothing changed
  plan.number = *number;
  switch (plan.action) {
    case OptOutAction::kStop:
    case OptOutAction::kStopAll:
      plan.changes.push_back({true, plan.scope, plan.number});
      break;
    case OptOutAction::kStart:
      plan.changes.push_back({false, own, plan.number});
      plan.changes.push_back({false, std::string(kScopeAll), plan.number});
      break;
    case OptOutAction::kNone:
      break;
  }
  return plan;
}

std::string OptOutField(std::string_view scope, std::string_view number) {
  std::string f(scope);
  f += '|';
  f += number;
  return f;
}

std::string OptOutValue(const OptOutRecord& r) {
  return std::to_string(r.created_ms) + "|" + r.source + "|" + r.note;
}

bool ParseOptOutField(std::string_view field, std::string* scope, std::string* number) {
  const size_t bar = field.rfind('|');
  if (bar == std::string_view::npos) return false;
  const std::string_view s = field.substr(0, bar), n = field.substr(bar + 1);
  if (!ValidOptOutScope(s) || !IsE164(n)) return false;
  *scope = std::string(s);
  *number = std::string(n);
  return true;
}

std::optional<OptOutRecord> ParseOptOut(std::string_view field, std::string_view value) {
  OptOutRecord r;
  if (!ParseOptOutField(field, &r.scope, &r.number)) return std::nullopt;
  const size_t a = value.find('|');
  const size_t b = a == std::string_view::npos ? a : value.find('|', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const std::string_view ts = value.substr(0, a);
  const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), r.created_ms);
  if (ec != std::errc{} || end != ts.data() + ts.size() || r.created_ms < 0) {
    return std::nullopt;
  }
  r.source = std::string(value.substr(a + 1, b - a - 1));
  r.note = std::string(value.substr(b + 1));
  return r;
}

}  // namespace sd
