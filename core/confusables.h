#pragma once
// Look-alike hosts: a host that renders like a protected domain but is not it. In the spirit
// of Unicode TR39 ("skeleton"): map every code point to a prototype it is confusable with,
// then compare. The map is a documented subset (docs/policy.md), aimed at what phishing SMS
// use: Cyrillic and Greek letters shaped like Latin ones, accented Latin letters, digits
// standing for letters (0 → o, 1 → l), capital I for l, and "rn" for m, "vv" for w.
#include <string>
#include <string_view>
#include <vector>

namespace sd {

// The skeleton of a host or label as written (case kept: a capital I is a look-alike of l
// before lower-casing makes it an i). Returned as UTF-8; unmapped code points are lower-cased
// and kept.
std::string Skeleton(std::u32string_view written);

// True when one label mixes letters of more than one script (Latin, Greek, Cyrillic, other),
// e.g. "pаypal" with a Cyrillic а. Latin with Han, kana or Hangul is not mixed (TR39's highly
// restrictive level). Digits and '-' belong to no script.
bool IsMixedScript(std::u32string_view label);

// If the host imitates a protected domain, returns that domain; else "". `host` is the
// canonical ASCII form (url_extract.h), `display` the host as written. A host that is the
// protected domain or one of its subdomains is genuine, never a look-alike.
std::string_view ImitatedDomain(std::string_view host, std::u32string_view display,
                                const std::vector<std::string>& protected_domains);

}  // namespace sd
