#include "core/content_scan.h"

#include <algorithm>

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

// The last `n` labels of a host written with '.' separators ("" when it has fewer).
std::string_view LastLabels(std::string_view host, size_t n) {
  size_t from = host.size();
  for (size_t seen = 0; seen < n; ++seen) {
    if (from == 0) return {};
    const size_t dot = host.rfind('.', from - 1);
    if (seen + 1 == n) return dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (dot == std::string_view::npos) return {};
    from = dot;
  }
  return {};
}

size_t LabelCount(std::string_view domain) {
  return 1 + static_cast<size_t>(std::count(domain.begin(), domain.end(), '.'));
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The skeletons a host imitating `domain` would have: of its Unicode form ("xn--" labels
// decoded) as written in lower case and in capitals.
std::vector<std::string> SkeletonsOf(std::string_view domain, const DomainNames& names) {
  const DomainNames::Name name = names.Resolve(domain);
  const std::string& shown = name.problem.empty() ? name.unicode : std::string(domain);
  std::string upper = shown;
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 0x20);
  }
  std::vector<std::string> out{names.Skeleton(shown)};
  if (std::string s = names.Skeleton(upper); s != out[0]) out.push_back(std::move(s));
  return out;
}

// The protected domain `url` imitates, or "". Genuine hosts (the domain or a subdomain) are
// never imitations of it; a host can still imitate another protected domain.
std::string_view ImitatedDomain(const FoundUrl& url, const UrlRules& rules,
                                const DomainNames& names) {
  const bool prepared = rules.protected_skeletons.size() == rules.protected_domains.size();
  // Skeletons of the host's last n labels, per form, computed once per n: protected domains
  // mostly share n = 2, and a skeleton is the costly step.
  struct Tail {
    size_t n;
    std::string written, unicode;  // "" when the host has fewer labels or the form is the same
  };
  std::vector<Tail> tails;
  const bool same_forms = url.unicode == url.written;
  for (size_t i = 0; i < rules.protected_domains.size(); ++i) {
    const std::string& domain = rules.protected_domains[i];
    if (HostMatchesDomain(url.host, domain)) continue;
    const size_t n = LabelCount(domain);
    auto tail = std::find_if(tails.begin(), tails.end(), [n](const Tail& t) { return t.n == n; });
    if (tail == tails.end()) {
      // As written: "paypaI.com" (capital I) looks like paypal.com though it resolves to
      // paypai.com. As resolved: "xn--pypal-4ve.com" is pаypal.com to whoever reads it.
      Tail t{n, {}, {}};
      if (std::string_view w = LastLabels(url.written, n); !w.empty())
        t.written = names.Skeleton(w);
      if (std::string_view u = LastLabels(url.unicode, n); !same_forms && !u.empty()) {
        t.unicode = names.Skeleton(u);
      }
      tails.push_back(std::move(t));
      tail = tails.end() - 1;
    }
    const std::vector<std::string> computed =
        prepared ? std::vector<std::string>() : SkeletonsOf(domain, names);
    const std::vector<std::string>& targets = prepared ? rules.protected_skeletons[i] : computed;
    for (const std::string& t : targets) {
      if ((!tail->written.empty() && tail->written == t) ||
          (!tail->unicode.empty() && tail->unicode == t)) {
        return domain;
      }
    }
  }
  return {};
}

}  // namespace

void PrepareLookalikes(UrlRules* rules, const DomainNames& names) {
  rules->protected_skeletons.clear();
  for (const std::string& d : rules->protected_domains) {
    rules->protected_skeletons.push_back(SkeletonsOf(d, names));
  }
}

std::optional<Error> JudgeUrl(const FoundUrl& url, const UrlRules& rules, const UrlScope& scope,
                              const DomainNames& names) {
  if (scope.mode == UrlScope::Mode::kNone) {
    return UrlError(Reason::kUrlNotAllowed, url, "the key allows no URLs");
  }
  if (url.too_long) return UrlError(Reason::kUrlNotAllowed, url, "host too long");
  if (MatchingDomain(url.host, rules.allow).empty()) {
    if (!url.problem.empty()) return UrlError(Reason::kLookalikeDomain, url, url.problem);
    if (std::string_view d = ImitatedDomain(url, rules, names); !d.empty()) {
      return UrlError(Reason::kLookalikeDomain, url, "imitates " + std::string(d));
    }
    if (rules.reject_mixed_script && !IsAscii(url.unicode)) {
      size_t from = 0;
      for (size_t i = 0; i <= url.unicode.size(); ++i) {
        if (i < url.unicode.size() && url.unicode[i] != '.') continue;
        const std::string_view label = std::string_view(url.unicode).substr(from, i - from);
        if (!IsAscii(label) && names.MixedScript(label)) {
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
