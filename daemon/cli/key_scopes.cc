#include "daemon/cli/key_scopes.h"

#include "adapters/policy/icu_domain_names.h"
#include "core/cidr.h"
#include "core/log_safe.h"
#include "core/url_extract.h"

namespace sd::cli {
namespace {

// --auth and --allow-ips: how and from where the HTTPS API accepts the key (docs/api.md).
void ParseApiScopes(Args& args, KeyScopes* s) {
  if (args.Has("auth")) {
    auto a = ParseApiAuth(args.Get("auth"));
    if (!a) throw UsageError{"--auth is hmac, bearer or both"};
    s->api_auth = *a;
  }
  if (!args.Has("allow-ips")) return;
  for (const std::string& c : SplitList(args.Get("allow-ips"))) {
    if (!ParseCidr(c)) {
      throw UsageError{"--allow-ips: '" + LogSafe(c) + "' is not an address or CIDR range"};
    }
    s->allow_ips.push_back(c);
  }
}

}  // namespace

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    std::string item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Parses the scope options into `s`; throws UsageError.
void ParseScopes(Args& args, KeyScopes* s) {
  if (args.Has("kinds")) {
    s->kinds = 0;
    for (const std::string& k : SplitList(args.Get("kinds"))) {
      if (k == "otp")
        s->kinds |= KindBit(JobKind::kOtp);
      else if (k == "transactional")
        s->kinds |= KindBit(JobKind::kTransactional);
      else if (k == "marketing")
        s->kinds |= KindBit(JobKind::kMarketing);
      else
        throw UsageError{"--kinds takes otp, transactional, marketing; not '" + k + "'"};
    }
    if (s->kinds == 0) throw UsageError{"--kinds names no kind"};
  }
  if (args.Has("senders")) s->senders = SplitList(args.Get("senders"));
  if (args.Has("countries")) {
    for (std::string c : SplitList(args.Get("countries"))) {
      for (char& ch : c) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
      s->countries.push_back(c);
    }
  }
  if (args.Has("max-segments")) {
    const auto n = args.Int("max-segments", 0, 1, KeyRecordLimits::kMaxSegments);
    if (!n) throw UsageError{args.error()};
    s->max_segments = static_cast<int>(*n);
  }
  if (args.Has("url-policy")) {
    const std::string p = args.Get("url-policy");
    if (p == "any") {
      s->url_policy = UrlPolicy::kAny;
    } else if (p == "none") {
      s->url_policy = UrlPolicy::kNone;
    } else if (p.rfind("allow:", 0) == 0) {
      s->url_policy = UrlPolicy::kAllowlist;
      // Written as a person would ("Example.COM", "пример.рф"), stored as jobs' hosts are
      // compared: canonical ASCII (UTS #46).
      for (const std::string& d : SplitList(p.substr(6))) {
        std::string canonical = CanonicalDomain(d, *IcuDomainNames::Shared());
        if (canonical.empty())
          throw UsageError{"--url-policy: '" + LogSafe(d) + "' is not a domain"};
        s->url_domains.push_back(std::move(canonical));
      }
    } else {
      throw UsageError{"--url-policy is any, none or allow:DOMAIN,..."};
    }
  }
  ParseApiScopes(args, s);
  if (args.Has("otp-template")) {
    s->otp_template = args.Get("otp-template");
    auto t = OtpTemplate::Compile(s->otp_template);
    if (!t) throw UsageError{"--otp-template: " + t.error().detail};
  }
  if (args.Has("rate")) {
    std::string r = args.Get("rate");
    if (r.size() > 2 && r.substr(r.size() - 2) == "/s") r.resize(r.size() - 2);
    const auto n = ParseInt(r);
    if (!n || *n < 1 || *n > 1'000'000)
      throw UsageError{"--rate is N or N/s with N in [1, 1000000]"};
    s->rate_per_s = static_cast<uint32_t>(*n);
    s->burst = s->rate_per_s;
  }
  if (args.Has("burst")) {
    if (!args.Has("rate")) throw UsageError{"--burst needs --rate"};
    const auto n = args.Int("burst", 0, 1, 10'000'000);
    if (!n) throw UsageError{args.error()};
    s->burst = static_cast<uint32_t>(*n);
  }
}

}  // namespace sd::cli
