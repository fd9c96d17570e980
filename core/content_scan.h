#pragma once
// Content scanning: the port the pattern engine sits behind, and the pure URL verdict.
// Keyword and regex rules run in the adapter (Hyperscan); everything about URLs (where they
// are, which host, whether the operator's lists and the key's URL policy allow it) is pure
// code here, so it is the same for every engine and testable without one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain_names.h"
#include "core/result.h"
#include "core/url_extract.h"

namespace sd {

// The key's URL policy (from its scope).
struct UrlScope {
  enum class Mode : uint8_t {
    kNone,       // any URL is url_not_allowed (e.g. OTP keys)
    kAllowlist,  // only hosts matching `domains` (subdomains included)
    kAny,        // any URL the operator's rules let through
  };
  Mode mode = Mode::kAny;
  std::vector<std::string> domains;  // canonical ASCII (lower-case, punycode), e.g. "example.com"
};

// The operator's URL rules (rules file, [urls] and [lookalike]). Domains are canonical ASCII;
// every list matches the domain and its subdomains.
struct UrlRules {
  std::vector<std::string> deny;        // → url_not_allowed
  std::vector<std::string> allow;       // trusted: skip deny, shortener and look-alike checks
  std::vector<std::string> shorteners;  // link shorteners
  bool reject_shorteners = true;        // → shortener_not_allowed
  std::vector<std::string> protected_domains;  // imitations → lookalike_domain
  // Per protected domain, index for index (PrepareLookalikes): the skeletons of its Unicode
  // form in lower and in upper case ("G00GLE.COM" imitates google.com written in capitals).
  // When the sizes differ, JudgeUrl computes them per URL instead.
  std::vector<std::vector<std::string>> protected_skeletons;
  // A label that mixes scripts beyond UTS #39's highly restrictive level, uses characters
  // outside Unicode's identifier profile, mixes digit systems or stacks invisible marks →
  // lookalike_domain.
  bool reject_mixed_script = true;
};

// Computes rules->protected_skeletons once, when the rules are loaded.
void PrepareLookalikes(UrlRules* rules, const DomainNames& names);

// The verdict for one URL, checked in this order (the first failing check names the reason):
//   url_not_allowed        the key's policy is none
//   url_not_allowed        host too long to be a domain
//   (operator allow list: the next four checks are skipped)
//   lookalike_domain       not a valid domain name under UTS #46 (bad punycode, a disallowed
//                          character, a misplaced joiner, the bidi rule)
//   lookalike_domain       imitation of a protected domain: the skeleton of the host's last n
//                          labels (as written, and as resolved) equals the protected domain's,
//                          and the host is not that domain or a subdomain of it
//   lookalike_domain       (reject_mixed_script) a label mixing scripts (see UrlRules)
//   url_not_allowed        host on the operator's deny list
//   shortener_not_allowed  host on the shortener list and reject_shorteners
//   url_not_allowed        key policy allowlist and the host matches none of its domains
// The detail names the host (and the imitated domain / the listed domain / the problem).
[[nodiscard]] std::optional<Error> JudgeUrl(const FoundUrl& url, const UrlRules& rules,
                                            const UrlScope& scope, const DomainNames& names);

// What a scan that passed found worth reporting.
struct ScanReport {
  std::vector<std::string> flagged;  // ids of the matching rules with action "flag"
  size_t urls = 0;                   // URLs found (all passed)
};

// The port. Implementations are immutable once built and safe to call from several threads.
class ContentScanner {
 public:
  virtual ~ContentScanner() = default;
  // `text` is the job text (UTF-8). An error is blocked_content (detail: the rule id),
  // url_not_allowed, shortener_not_allowed or lookalike_domain (detail: the host), or
  // invalid_text / too_large for text the scanner cannot read.
  virtual Result<ScanReport> Scan(std::string_view text, const UrlScope& scope) const = 0;
};

}  // namespace sd
