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

#include "core/confusables.h"
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
  bool reject_mixed_script = true;             // a label mixing scripts → lookalike_domain
};

// The verdict for one URL, checked in this order (the first failing check names the reason):
//   url_not_allowed        the key's policy is none
//   url_not_allowed        host too long to be a domain
//   (operator allow list: the next three checks are skipped)
//   lookalike_domain       undecodable "xn--" label, imitation of a protected domain, or
//                          (reject_mixed_script) a label mixing scripts
//   url_not_allowed        host on the operator's deny list
//   shortener_not_allowed  host on the shortener list and reject_shorteners
//   url_not_allowed        key policy allowlist and the host matches none of its domains
// The detail names the host (and the imitated domain / the listed domain).
[[nodiscard]] std::optional<Error> JudgeUrl(const FoundUrl& url, const UrlRules& rules,
                                            const UrlScope& scope);

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
