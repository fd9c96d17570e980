#include "core/decision.h"

#include "core/envelope.h"

namespace sd {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// E.164: '+', a non-zero country code digit, 7 to 15 digits in all.
bool ValidE164(std::string_view s) {
  if (s.size() < 8 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

// Sender ids: numeric (optionally '+', up to 15 digits) or alphanumeric up to 11 characters
// (letters, digits, space; at least one letter), as networks accept them.
bool ValidSender(std::string_view s) {
  if (s.empty()) return false;
  std::string_view digits = s[0] == '+' ? s.substr(1) : s;
  bool all_digits = !digits.empty();
  for (char c : digits) all_digits = all_digits && IsDigit(c);
  if (all_digits) return digits.size() <= 15;
  if (s.size() > 11 || s.front() == ' ' || s.back() == ' ') return false;
  bool letter = false;
  for (char c : s) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !IsDigit(c) && c != ' ') return false;
  }
  return letter;
}

Decision Reject(Reason r, std::string detail) {
  Decision d;
  d.result = Error{r, std::move(detail)};
  return d;
}

}  // namespace

Decision Decide(const StreamEntry& entry, const KeyRing& keys, const MacAlgorithm& mac,
                const Clock& clock, const DecisionConfig& cfg) {
  if (!entry.fields_ok) return Reject(Reason::kMalformed, "entry fields must be exactly v, kid, job, sig");
  if (entry.version != kEnvelopeVersion) {
    return Reject(Reason::kUnsupportedVersion, "envelope version must be sd1");
  }
  if (entry.job.size() > JobLimits::kMaxJobBytes) return Reject(Reason::kTooLarge, "job too large");
  if (entry.key_id.empty() || entry.key_id.size() > JobLimits::kMaxKeyIdBytes) {
    return Reject(Reason::kUnknownKey, "key id missing or too long");
  }
  const SigningKey* key = keys.Find(entry.key_id);
  if (key == nullptr) return Reject(Reason::kUnknownKey, "no such key");
  // Authenticate before parsing: nothing unauthenticated reaches the msgpack decoder.
  if (!VerifyJobSignature(mac, key->secret, entry.key_id, cfg.stream, entry.job, entry.sig)) {
    return Reject(Reason::kBadSignature, "signature does not verify");
  }

  Result<Job> job = DecodeJob(entry.job);
  if (!job) {
    Decision d;
    d.result = job.error();
    return d;
  }
  Decision d;
  d.job_id = job->id;
  d.client_ref = job->client_ref;
  auto reject = [&d](Reason r, std::string detail) {
    d.result = Error{r, std::move(detail)};
    return std::move(d);
  };
  const int64_t now = clock.NowMs();
  if (job->expires_ms <= job->created_ms) return reject(Reason::kMalformed, "expires must be after created");
  if (job->expires_ms - job->created_ms > cfg.max_validity_ms) {
    return reject(Reason::kMalformed, "validity longer than the maximum allowed");
  }
  if (job->created_ms > now + cfg.max_future_skew_ms) {
    return reject(Reason::kClockSkew, "created too far in the future");
  }
  if (job->expires_ms <= now) return reject(Reason::kExpired, "expired before it was read");
  if (!ValidE164(job->destination)) return reject(Reason::kInvalidNumber, "destination is not E.164");
  if (!ValidSender(job->sender)) return reject(Reason::kInvalidSender, "sender id not valid");

  Result<EncodedText> text = EncodeText(job->text);
  if (!text) return reject(text.error().reason, text.error().detail);
  if (text->segments > cfg.max_segments) {
    return reject(Reason::kTextTooLong, "needs " + std::to_string(text->segments) +
                                            " segments, at most " + std::to_string(cfg.max_segments));
  }
  d.result = Admitted{std::move(job).value(), std::move(text).value()};
  return d;
}

}  // namespace sd
