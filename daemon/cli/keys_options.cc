#include "daemon/cli/keys_options.h"

#include <utility>

#include "daemon/cli/redis_client.h"

namespace sd::cli {

const char* const kKeysSynopsis =
    "usage: smsdispatch keys SUBCOMMAND [options]\n"
    "  create  --name NAME [SCOPES] [--not-before T] [--not-after T]\n"
    "          makes NAME.v1 and prints its secret once (hex)\n"
    "  rotate  --name NAME [--overlap 24h]\n"
    "          makes the next version with the same scopes and prints its secret once; the\n"
    "          previous version stays valid for the overlap, then expires\n"
    "  set     --name NAME [--callback-url URL | --no-callback] [--rotate-callback-secret |\n"
    "          --finish-callback-rotation] [--client-cert FILE | --client-cert-sha256 HEX |\n"
    "          --no-client-cert]\n"
    "          on every version not revoked: the status callback (a new secret is printed\n"
    "          once) and the client certificate the HTTPS API requires\n"
    "  revoke  --id NAME.vN [--incident [--hours 24] [--json]]\n"
    "          revokes one version at once, on every daemon within 1 s; --incident then\n"
    "          reports what it did (docs/keys.md, \"When a key leaks\")\n"
    "  list    [--json]          every key: id, validity, state, scopes (never secrets)\n"
    "  report  [--json] [--unused-days 30] [--rotation-days 90]\n"
    "          per key: jobs over 1/7/30 days, countries, kinds and senders used against its\n"
    "          scopes (narrower ones suggested), unused and old keys\n"
    "  show    --id NAME.vN [--json]\n"
    "Times T: milliseconds since the epoch, YYYY-MM-DDTHH:MM:SSZ, or now, now+24h, now-1h.\n"
    "Durations: N followed by ms, s, m, h or d.\n";

namespace {
// What create and set both take (key_settings.h).
void AddSettings(std::vector<OptionSpec>& o) {
  const char* group = "Callbacks and client certificates";
  o.push_back({"callback-url", "URL",
               "POST the key's outcome and receipt events here (https only; Standard Webhooks, "
               "docs/api.md); a callback secret is made and printed once",
               group});
  o.push_back({"client-cert", "FILE",
               "the HTTPS API requires this client certificate (PEM) with the key (mutual TLS)",
               group});
  o.push_back({"client-cert-sha256", "HEX", "the same, given as its SHA-256 fingerprint", group});
}
}  // namespace

std::optional<std::vector<OptionSpec>> KeysOptions(const std::string& sub) {
  std::vector<OptionSpec> o{{"master-key-file", "FILE",
                             "the registry's master key (mode 0600; default: the file named by "
                             "$SMSDISPATCH_MASTER_KEY_FILE)"},
                            {"prefix", "P", "Redis key prefix (default sd:, as redis.key_prefix)"}};
  const char* scopes = "Scopes (create)";
  if (sub == "create") {
    o.push_back({"name", "NAME", "the key's name; its first version is NAME.v1"});
    o.push_back(
        {"kinds", "K,K", "allowed kinds: otp, transactional, marketing (default all)", scopes});
    o.push_back({"senders", "A,B", "allowed sender ids (default any)", scopes});
    o.push_back(
        {"countries", "DE,FR", "allowed destination countries, ISO alpha-2 (default any)", scopes});
    o.push_back(
        {"max-segments", "N", "at most N SMS segments per job (default no key limit)", scopes});
    o.push_back(
        {"url-policy", "P", "any (default) | none | allow:example.com,example.org", scopes});
    o.push_back({"otp-template", "TEXT",
                 "OTP jobs must match, e.g. 'Your code is {code}' ({code} = 4-8 digits, "
                 "{code:6} = exactly 6, {{ }} = literal braces)",
                 scopes});
    o.push_back(
        {"rate", "N[/s]", "per-key rate limit, messages per second (default none)", scopes});
    o.push_back({"burst", "N", "bucket size for --rate (default the rate)", scopes});
    o.push_back({"auth", "SCHEME",
                 "how the key may authenticate to the HTTPS API: hmac (default), bearer, both",
                 scopes});
    o.push_back({"allow-ips", "CIDR,CIDR",
                 "addresses the HTTPS API accepts the key from, e.g. 203.0.113.0/24,2001:db8::/32 "
                 "(default any)",
                 scopes});
    o.push_back({"mode", "M",
                 "live (default) or test: a test key's jobs run every check and go to the built-in "
                 "test carrier, never to a real one; its name gets the prefix test-"});
    AddSettings(o);
    o.push_back({"not-before", "T", "valid from T (default now)"});
    o.push_back({"not-after", "T", "valid until T (default no end)"});
  } else if (sub == "rotate") {
    o.push_back({"name", "NAME", "the key to rotate"});
    o.push_back({"overlap", "DURATION", "how long the previous version stays valid (24h)"});
  } else if (sub == "set") {
    o.push_back({"name", "NAME", "the key: every version of it not revoked"});
    AddSettings(o);
    o.push_back({"no-callback", "", "remove the callback URL and its secrets"});
    o.push_back({"rotate-callback-secret", "",
                 "make a new callback secret; the old one keeps signing too until "
                 "--finish-callback-rotation"});
    o.push_back({"finish-callback-rotation", "", "stop signing with the old callback secret"});
    o.push_back({"no-client-cert", "", "no longer require a client certificate"});
  } else if (sub == "revoke") {
    o.push_back({"id", "NAME.vN", "the version to revoke"});
    o.push_back({"incident", "",
                 "then report what the key did: jobs by outcome, countries, prefixes, senders, "
                 "refused attempts and their addresses (streams of --prefix)"});
    o.push_back({"hours", "N", "with --incident: the last N hours (default 24)"});
    o.push_back({"json", "", "with --incident: the report as one JSON object"});
  } else if (sub == "show") {
    o.push_back({"id", "NAME.vN", "the version to show"});
    o.push_back({"json", "", "one JSON object"});
  } else if (sub == "report") {
    o.push_back({"unused-days", "N", "flag active keys not used for N days (default 30)"});
    o.push_back({"rotation-days", "N", "flag active keys older than N days (default 90)"});
    o.push_back({"json", "", "one JSON array"});
  } else if (sub == "list") {
    o.push_back({"json", "", "one JSON array"});
  } else {
    return std::nullopt;
  }
  return WithRedisOptions(std::move(o));
}

}  // namespace sd::cli
