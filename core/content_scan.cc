#include "core/content_scan.h"

namespace sd {
namespace {

std::string_view MatchingDomain(std::string_view host, const std::vector<std::string>& list) {
  for (const std::string& d : list) {
    if (HostMatchesDomain(host, d)) return d;
  }
  return {};
}

Error UrlError(Reason reason, const FoundUrl& url, std::string_view why) {
  std::string detail = url.host.substr(0, 255);  // a long host is an attack, not a message
  if (!why.empty()) detail += std::string(": ") + std::string(why);
  return Error{reason, std::move(detail)};
}

}  // namespace

std::optional<Error> JudgeUrl(const FoundUrl& url, const UrlRules& rules, const UrlScope& scope) {
  if (scope.mode == UrlScope::Mode::kNone) {
    return UrlError(Reason::kUrlNotAllowed, url, "the key allows no URLs");
  }
  if (url.too_long) return UrlError(Reason::kUrlNotAllowed, url, "host too long");
  if (MatchingDomain(url.host, rules.allow).empty()) {
    if (url.bad_punycode) return UrlError(Reason::kLookalikeDomain, url, "bad punycode");
    if (std::string_view d = ImitatedDomain(url.host, url.display, rules.protected_domains);
        !d.empty()) {
      return UrlError(Reason::kLookalikeDomain, url, "imitates " + std::string(d));
    }
    if (rules.reject_mixed_script) {
      size_t from = 0;
      for (size_t i = 0; i <= url.display.size(); ++i) {
        if (i < url.display.size() && url.display[i] != U'.') continue;
        if (IsMixedScript(std::u32string_view(url.display).substr(from, i - from))) {
          return UrlError(Reason::kLookalikeDomain, url, "mixed scripts");
        }
        from = i + 1;
      }
    }
    if (std::string_view d = MatchingDomain(url.host, rules.deny); !d.empty()) {
      return UrlError(Reason::kUrlNotAllowed, url, "denied domain " + std::string(d));
    }
    if (rules.reject_shorteners && !MatchingDomain(url.host, rules.shorteners).empty()) {
      return UrlError(Reason::kShortenerNotAllowed, url, "");
    }
  }
  if (scope.mode == UrlScope::Mode::kAllowlist && MatchingDomain(url.host, scope.domains).empty()) {
    return UrlError(Reason::kUrlNotAllowed, url, "not on the key's allowlist");
  }
  return std::nullopt;
}

}  // namespace sd
