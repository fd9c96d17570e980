#include "adapters/policy/content_scanner.h"

#include <hs.h>

#include "adapters/policy/icu_domain_names.h"

#include <cstdio>

namespace sd {
namespace {

// A keyword is matched literally: every byte that could mean something to the regex parser
// is written as \xHH. UTF-8 bytes stay as they are (HS_FLAG_UTF8 reads them as characters).
std::string EscapeLiteral(std::string_view word) {
  std::string out;
  out.reserve(word.size() * 2);
  for (char ch : word) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
      out.push_back(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

struct HyperscanContentScanner::MatchContext {
  const HyperscanContentScanner* self;
  std::vector<uint8_t> matched;  // per rule: SINGLEMATCH is per expression, a rule has many
  int reject_rule = -1;
};

HyperscanContentScanner::HyperscanContentScanner(ContentRules rules)
    : rules_(std::move(rules)),
      names_(IcuDomainNames::Shared()),
      rule_matches_(std::make_unique<std::atomic<uint64_t>[]>(rules_.rules.size())) {}

HyperscanContentScanner::~HyperscanContentScanner() {
  for (auto& slot : pool_) hs_free_scratch(slot.load(std::memory_order_acquire));
  hs_free_scratch(prototype_);
  hs_free_database(db_);
}

std::variant<std::unique_ptr<HyperscanContentScanner>, RulesError> HyperscanContentScanner::Build(
    ContentRules rules, const std::string& file) {
  std::unique_ptr<HyperscanContentScanner> s(new HyperscanContentScanner(std::move(rules)));
  std::vector<std::string> expressions;
  std::vector<const char*> ptrs;
  std::vector<unsigned int> flags, ids;
  std::vector<const ContentPattern*> origin;
  for (size_t r = 0; r < s->rules_.rules.size(); ++r) {
    const ContentRule& rule = s->rules_.rules[r];
    for (const ContentPattern& p : rule.patterns) {
      expressions.push_back(p.literal ? EscapeLiteral(p.expression) : p.expression);
      unsigned int f = HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8;
      if (rule.caseless) f |= HS_FLAG_CASELESS;
      flags.push_back(f);
      ids.push_back(static_cast<unsigned int>(r));
      origin.push_back(&p);
    }
  }
  if (expressions.empty()) return s;  // URL checks only
  // Hyperscan needs SSSE3; say so instead of failing obscurely at compile or scan time.
  if (hs_valid_platform() != HS_SUCCESS) {
    return RulesError{file, 0, 0, "this CPU cannot run Hyperscan (needs SSSE3)"};
  }
  for (const std::string& e : expressions) ptrs.push_back(e.c_str());
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(ptrs.size()), HS_MODE_BLOCK, nullptr, &s->db_,
                       &err) != HS_SUCCESS) {
    RulesError e{file, 0, 0, err != nullptr ? err->message : "hyperscan compile failed"};
    if (err != nullptr && err->expression >= 0 &&
        static_cast<size_t>(err->expression) < origin.size()) {
      const ContentPattern& p = *origin[static_cast<size_t>(err->expression)];
      const ContentRule& rule = s->rules_.rules[ids[static_cast<size_t>(err->expression)]];
      e.line = p.line;
      e.column = p.column;
      e.message = "rule '" + rule.id + "': " + (p.literal ? "keyword" : "regex") + " '" +
                  p.expression + "': " + err->message;
    }
    hs_free_compile_error(err);
    return e;
  }
  if (hs_alloc_scratch(s->db_, &s->prototype_) != HS_SUCCESS) {
    return RulesError{file, 0, 0, "cannot allocate Hyperscan scratch space"};
  }
  return s;
}

std::variant<std::unique_ptr<HyperscanContentScanner>, RulesError> HyperscanContentScanner::Load(
    const std::string& path) {
  auto rules = LoadContentRulesFile(path);
  if (auto* e = std::get_if<RulesError>(&rules)) return *e;
  return Build(std::get<ContentRules>(std::move(rules)), path);
}

hs_scratch* HyperscanContentScanner::AcquireScratch() const {
  // exchange, not load + store: two threads can never take the same scratch.
  for (auto& slot : pool_) {
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    if (hs_scratch* s = slot.exchange(nullptr, std::memory_order_acquire)) return s;
  }
  hs_scratch* s = nullptr;
  if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) return nullptr;
  return s;
}

void HyperscanContentScanner::ReleaseScratch(hs_scratch* s) const {
  for (auto& slot : pool_) {
    hs_scratch* empty = nullptr;
    if (slot.compare_exchange_strong(empty, s, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      return;
    }
  }
  hs_free_scratch(s);  // every slot holds one: more concurrent scans than slots
}

int HyperscanContentScanner::OnMatch(unsigned int id, unsigned long long /*from*/,
                                     unsigned long long /*to*/, unsigned int /*flags*/,
                                     void* context) {
  auto* ctx = static_cast<MatchContext*>(context);
  if (ctx->matched[id]) return 0;
  ctx->matched[id] = 1;
  ctx->self->rule_matches_[id].fetch_add(1, std::memory_order_relaxed);
  if (ctx->self->rules_.rules[id].action == RuleAction::kReject) {
    ctx->reject_rule = static_cast<int>(id);
    return 1;  // stop: the verdict is known
  }
  return 0;
}

Error HyperscanContentScanner::Reject(Error e) const {
  rejections_[static_cast<size_t>(e.reason)].fetch_add(1, std::memory_order_relaxed);
  return e;
}

Result<ScanReport> HyperscanContentScanner::Scan(std::string_view text,
                                                 const UrlScope& scope) const {
  scans_.fetch_add(1, std::memory_order_relaxed);
  if (text.size() > kMaxTextBytes) {
    return Reject(Error{Reason::kTooLarge, "text longer than the scanner reads"});
  }
  // HS_FLAG_UTF8 databases are undefined on invalid UTF-8.
  if (!IsValidUtf8(text)) return Reject(Error{Reason::kInvalidText, "text is not UTF-8"});
  ScanReport report;
  if (db_ != nullptr) {
    MatchContext ctx{this, std::vector<uint8_t>(rules_.rules.size(), 0), -1};
    hs_scratch* scratch = AcquireScratch();
    if (scratch == nullptr) {
      // Fail closed: a job the scanner could not read is not a job it passed.
      return Reject(Error{Reason::kBlockedContent, "content scan failed: no scratch space"});
    }
    const hs_error_t rc = hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0,
                                  scratch, &OnMatch, &ctx);
    ReleaseScratch(scratch);
    if (ctx.reject_rule >= 0) {
      return Reject(
          Error{Reason::kBlockedContent, rules_.rules[static_cast<size_t>(ctx.reject_rule)].id});
    }
    if (rc != HS_SUCCESS) {
      return Reject(Error{Reason::kBlockedContent,
                          "content scan failed: hyperscan error " + std::to_string(rc)});
    }
    for (size_t r = 0; r < ctx.matched.size(); ++r) {
      if (ctx.matched[r]) report.flagged.push_back(rules_.rules[r].id);
    }
  }
  std::optional<Error> url_error;
  ForEachUrl(text, *names_, [&](const FoundUrl& url) {
    ++report.urls;
    url_error = JudgeUrl(url, rules_.urls, scope, *names_);
    return !url_error.has_value();
  });
  if (url_error) return Reject(*std::move(url_error));
  if (!report.flagged.empty()) flagged_.fetch_add(1, std::memory_order_relaxed);
  return report;
}

HyperscanContentScanner::Stats HyperscanContentScanner::stats() const {
  Stats s;
  s.scans = scans_.load(std::memory_order_relaxed);
  s.flagged = flagged_.load(std::memory_order_relaxed);
  for (size_t r = 0; r < rules_.rules.size(); ++r) {
    s.rule_matches.emplace_back(rules_.rules[r].id,
                                rule_matches_[r].load(std::memory_order_relaxed));
  }
  for (size_t i = 0; i < rejections_.size(); ++i) {
    if (uint64_t n = rejections_[i].load(std::memory_order_relaxed)) {
      s.rejections.emplace_back(static_cast<Reason>(i), n);
    }
  }
  return s;
}

std::optional<RulesError> ContentScannerSlot::Reload(const std::string& path) {
  auto built = HyperscanContentScanner::Load(path);
  if (auto* e = std::get_if<RulesError>(&built)) return *e;
  std::shared_ptr<const HyperscanContentScanner> next =
      std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(built));
  std::lock_guard lock(mu_);
  current_.swap(next);
  // `next` now holds the old scanner; it is released after the lock (declared later, so
  // destroyed first), and only when the last scan using it has returned.
  return std::nullopt;
}

std::shared_ptr<const HyperscanContentScanner> ContentScannerSlot::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace sd
