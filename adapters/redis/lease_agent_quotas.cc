// The lease agent's part for segment quotas (core/quotas.h, docs/limits.md "Quotas"): a lease
// takes segments off the subject's day and month counters at once (lua/quota_lease.lua), and
// the agent reports each 80 % and 100 % a lease crossed. The counters are serialised by Redis,
// so exactly one lease in the fleet crosses each threshold: one report per subject and period.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "adapters/redis/lease_agent.h"
#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {
namespace {

// The counters outlive their period long enough for `quotas show` and for give-backs of
// leases made just before it ended.
constexpr int64_t kDayTtlMs = 3 * 86'400'000LL;
constexpr int64_t kMonthTtlMs = 62 * 86'400'000LL;
// A used-up quota is asked again this often: other daemons may give unspent segments back.
constexpr int64_t kExhaustedRetryMs = 1000;

// A book value is "<subject>|<day>|<month>" (Quotas::Charge): the period a lease belongs to.
struct QuotaValueParts {
  std::string subject, day, month;
};
std::optional<QuotaValueParts> SplitValue(const std::string& value) {
  const size_t a = value.find('|');
  const size_t b = a == std::string::npos ? a : value.find('|', a + 1);
  if (b == std::string::npos) return std::nullopt;
  return QuotaValueParts{value.substr(0, a), value.substr(a + 1, b - a - 1), value.substr(b + 1)};
}

void ReportCrossings(const QuotaDefinition& d, const std::string& period, int64_t quota,
                     int64_t granted, int64_t used_after, const LeaseAgent::ThresholdFn& report,
                     LeaseAgentCounters& counters) {
  if (quota <= 0) return;
  const int64_t before = used_after - granted;
  for (int level : {80, 100}) {
    const int64_t at = (quota * level + 99) / 100;
    if (before < at && used_after >= at) {
      ++(level == 100 ? counters.quota_exhausted : counters.quota_warnings);
      if (report) report(QuotaCrossing{d.subject, period, level, used_after, quota});
    }
  }
}

}  // namespace

std::string LeaseAgent::QuotaKey(const std::string& prefix, const std::string& subject,
                                 const std::string& period) {
  // One hash tag per subject: its day and month counters share a slot.
  return prefix + "quota:{" + subject + "}:" + period;
}

void LeaseAgent::TakeQuotas(const std::shared_ptr<Round>& round) {
  const std::shared_ptr<const Quotas> quotas = quotas_ ? quotas_() : nullptr;
  if (quotas == nullptr) return;
  const std::shared_ptr<LeaseBook> book = quotas->shared_book();
  for (LeaseBook::Want& w : book->TakeWants()) {
    const std::optional<QuotaValueParts> parts = SplitValue(w.value);
    const QuotaDefinition* d = parts ? quotas->Find(parts->subject) : nullptr;
    if (d == nullptr) {
      // The quota was removed meanwhile: nothing to count against.
      book->Granted(w.value, w.units, 0, clock_.NowMs());
      continue;
    }
    if (!conn_.ready()) {
      ++counters_.not_connected;
      book->Failed(w.value, clock_.NowMs());
      continue;
    }
    ++round->outstanding;
    std::vector<std::string> argv{"EVALSHA",
                                  kQuotaLeaseScript.sha1,
                                  "2",
                                  QuotaKey(options_.key_prefix, d->subject, "d:" + parts->day),
                                  QuotaKey(options_.key_prefix, d->subject, "m:" + parts->month),
                                  "take",
                                  std::to_string(d->daily),
                                  std::to_string(d->monthly),
                                  std::to_string(w.units),
                                  std::to_string(kDayTtlMs),
                                  std::to_string(kMonthTtlMs)};
    SendScript(kQuotaLeaseScript, std::move(argv),
               [this, book, def = *d, value = std::move(w.value), round](redisReply* r) {
                 OnQuotaReply(*book, def, value, r);
                 round->One();
               });
  }
}

void LeaseAgent::OnQuotaReply(LeaseBook& book, const QuotaDefinition& d, const std::string& value,
                              redisReply* r) {
  const int64_t now = clock_.NowMs();
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER ||
      r->element[2]->type != REDIS_REPLY_INTEGER) {
    ++counters_.errors;
    spdlog::warn("leases: a quota lease for '{}' failed: {}", Untrusted(value),
                 r == nullptr ? std::string("connection lost") : ReplyString(r));
    book.Failed(value, now);
    return;
  }
  const int64_t granted = r->element[0]->integer;
  book.Granted(value, granted, granted > 0 ? 0 : kExhaustedRetryMs, now);
  if (granted <= 0) return;
  ReportCrossings(d, "day", d.daily, granted, r->element[1]->integer, on_threshold_, counters_);
  ReportCrossings(d, "month", d.monthly, granted, r->element[2]->integer, on_threshold_, counters_);
}

void LeaseAgent::GiveQuotas(std::vector<LeaseBook::Want> tokens) {
  for (LeaseBook::Want& t : tokens) {
    const std::optional<QuotaValueParts> parts = SplitValue(t.value);
    if (!parts) continue;
    if (!conn_.ready()) {
      ++counters_.gives_dropped;  // they stay counted as used: stricter, never looser
      continue;
    }
    SendScript(
        kQuotaLeaseScript,
        {"EVALSHA", kQuotaLeaseScript.sha1, "2",
         QuotaKey(options_.key_prefix, parts->subject, "d:" + parts->day),
         QuotaKey(options_.key_prefix, parts->subject, "m:" + parts->month), "give", "0", "0",
         std::to_string(t.units), std::to_string(kDayTtlMs), std::to_string(kMonthTtlMs)},
        [this](redisReply* r) {
          if (r == nullptr || ReplyIsError(r)) ++counters_.gives_dropped;
        });
  }
}

}  // namespace sd::redis
