#include "core/quotas.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "core/key_record.h"

namespace sd {
namespace {

constexpr std::string_view kKeyPrefix = "key:";
constexpr std::string_view kTenantPrefix = "tenant:";

std::optional<int64_t> ParseCount(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > kMaxQuota) {
    return std::nullopt;
  }
  return v;
}

std::string Describe(const QuotaDefinition& d) {
  std::string out = "quota '" + d.subject + "' (";
  if (d.daily > 0) out += "daily " + std::to_string(d.daily);
  if (d.daily > 0 && d.monthly > 0) out += ", ";
  if (d.monthly > 0) out += "monthly " + std::to_string(d.monthly);
  return out + " segments)";
}

std::optional<std::string> Check(const QuotaDefinition& d) {
  const bool tenant = d.subject.starts_with(kTenantPrefix);
  const std::string_view name =
      std::string_view(d.subject).substr(tenant ? kTenantPrefix.size() : kKeyPrefix.size());
  if (!tenant && !d.subject.starts_with(kKeyPrefix)) return "a subject is key:NAME or tenant:NAME";
  if (!ValidQuotaName(name)) return "'" + d.subject + "': not a valid name";
  if (d.daily < 0 || d.monthly < 0 || d.daily > kMaxQuota || d.monthly > kMaxQuota) {
    return "'" + d.subject + "': quotas are 0.." + std::to_string(kMaxQuota) + " segments";
  }
  if (d.daily == 0 && d.monthly == 0) return "'" + d.subject + "': neither daily nor monthly";
  if (!tenant && !d.members.empty()) return "'" + d.subject + "': only a tenant has members";
  if (d.members.size() > kMaxTenantMembers) return "'" + d.subject + "': too many members";
  for (const std::string& m : d.members) {
    if (!ValidQuotaName(m)) return "'" + d.subject + "': member '" + m + "' is not a key name";
  }
  return std::nullopt;
}

}  // namespace

bool ValidQuotaName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string QuotaValue(const QuotaDefinition& d) {
  std::string out = std::to_string(d.daily) + "|" + std::to_string(d.monthly) + "|";
  for (size_t i = 0; i < d.members.size(); ++i) out += (i > 0 ? "," : "") + d.members[i];
  return out;
}

std::optional<QuotaDefinition> ParseQuota(std::string_view field, std::string_view value) {
  const size_t a = value.find('|');
  const size_t b = a == std::string_view::npos ? a : value.find('|', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  QuotaDefinition d;
  d.subject = std::string(field);
  const auto daily = ParseCount(value.substr(0, a));
  const auto monthly = ParseCount(value.substr(a + 1, b - a - 1));
  if (!daily || !monthly) return std::nullopt;
  d.daily = *daily;
  d.monthly = *monthly;
  std::string_view rest = value.substr(b + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    d.members.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  std::sort(d.members.begin(), d.members.end());
  d.members.erase(std::unique(d.members.begin(), d.members.end()), d.members.end());
  if (Check(d)) return std::nullopt;
  return d;
}

QuotaPeriods QuotaPeriodsAt(int64_t now_ms) {
  using namespace std::chrono;
  const sys_days today = floor<days>(sys_time<milliseconds>(milliseconds(now_ms)));
  const year_month_day ymd{today};
  const year_month_day next_month = year_month_day{ymd.year() / ymd.month() / 1} + months{1};
  char day[16];
  char month[16];
  snprintf(day, sizeof day, "%04d%02u%02u", static_cast<int>(ymd.year()),
           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  snprintf(month, sizeof month, "%04d%02u", static_cast<int>(ymd.year()),
           static_cast<unsigned>(ymd.month()));
  QuotaPeriods p;
  p.day = day;
  p.month = month;
  p.day_ends_ms = duration_cast<milliseconds>((today + days{1}).time_since_epoch()).count();
  p.month_ends_ms = duration_cast<milliseconds>(sys_days{next_month}.time_since_epoch()).count();
  return p;
}

int64_t QuotaLeaseUnits(const QuotaDefinition& d) {
  int64_t smaller = d.daily > 0 ? d.daily : d.monthly;
  if (d.monthly > 0) smaller = std::min(smaller, d.monthly);
  return std::clamp<int64_t>(smaller / 100, 1, 100);
}

Result<std::shared_ptr<const Quotas>> Quotas::Build(std::vector<QuotaDefinition> defs,
                                                    const Quotas* previous, const SipKey& key) {
  if (defs.size() > kMaxQuotaSubjects) {
    return Error{Reason::kMalformed, "at most " + std::to_string(kMaxQuotaSubjects) + " quotas"};
  }
  auto q = std::make_shared<Quotas>();
  std::sort(defs.begin(), defs.end(), [](const QuotaDefinition& a, const QuotaDefinition& b) {
    return a.subject < b.subject;
  });
  q->defs_ = std::move(defs);
  for (size_t i = 0; i < q->defs_.size(); ++i) {
    const QuotaDefinition& d = q->defs_[i];
    if (std::optional<std::string> e = Check(d)) return Error{Reason::kMalformed, *e};
    if (!q->by_subject_.emplace(d.subject, i).second) {
      return Error{Reason::kMalformed, "'" + d.subject + "' twice"};
    }
    for (const std::string& m : d.members) {
      if (!q->tenant_of_.emplace(m, i).second) {
        return Error{Reason::kMalformed, "key '" + m + "' is in two tenants"};
      }
    }
  }
  if (previous != nullptr) {
    q->book_ = previous->book_;
  } else {
    LeaseOptions o;
    o.lease_units = 1;  // per subject: QuotaLeaseUnits
    o.lease_ms = 1000;
    o.fail_ms = 250;
    o.capacity = 2 * kMaxQuotaSubjects;
    q->book_ = std::make_shared<LeaseBook>(o, key);
  }
  return std::shared_ptr<const Quotas>(std::move(q));
}

const QuotaDefinition* Quotas::Find(std::string_view subject) const {
  auto it = by_subject_.find(std::string(subject));
  return it == by_subject_.end() ? nullptr : &defs_[it->second];
}

std::vector<const QuotaDefinition*> Quotas::SubjectsOf(std::string_view key_id) const {
  std::vector<const QuotaDefinition*> out;
  if (defs_.empty()) return out;
  const std::string family(KeyFamily(key_id));
  if (const QuotaDefinition* own = Find(std::string(kKeyPrefix) + family)) out.push_back(own);
  if (auto it = tenant_of_.find(family); it != tenant_of_.end()) out.push_back(&defs_[it->second]);
  return out;
}

namespace {

// The lease book's value for a subject: the subject and the periods of `now`, so a lease
// belongs to one day and one month. At midnight the values change: the new period leases
// afresh, and what the old one left unspent goes back to the old period's counters.
std::string BookValue(const QuotaDefinition& d, const QuotaPeriods& p) {
  return d.subject + "|" + p.day + "|" + p.month;
}

}  // namespace

// Every subject is asked even after one must wait, so all the leases a job needs go out in
// one round; then all or nothing.
Quotas::Verdict Quotas::Charge(std::string_view key_id, int64_t segments, int64_t now_ms) const {
  const int64_t cost = std::max<int64_t>(segments, 1);
  const std::vector<const QuotaDefinition*> subjects = SubjectsOf(key_id);
  if (subjects.empty()) return {};
  const QuotaPeriods periods = QuotaPeriodsAt(now_ms);
  Verdict out;
  std::vector<std::string> spent;
  for (const QuotaDefinition* d : subjects) {
    std::string value = BookValue(*d, periods);
    const LeaseBook::Verdict v = book_->Spend(value, cost, now_ms, QuotaLeaseUnits(*d));
    if (v.status == LeaseBook::Status::kSpent) {
      spent.push_back(std::move(value));
    } else if (v.status == LeaseBook::Status::kAwait) {
      if (out.kind == Verdict::Kind::kAdmit) out.kind = Verdict::Kind::kAwait;
    } else if (out.kind != Verdict::Kind::kExceeded) {
      out.kind = Verdict::Kind::kExceeded;
      out.detail = Describe(*d) + (v.status != LeaseBook::Status::kDenied
                                       ? ": no room to track it, failing closed"
                                   : v.unanswered ? " could not be checked (no answer from "
                                                    "Redis), failing closed"
                                                  : " used up");
    }
  }
  if (out.kind != Verdict::Kind::kAdmit) {
    for (const std::string& value : spent) book_->Refund(value, cost);
  }
  return out;
}

std::optional<std::string> Quotas::Peek(std::string_view key_id, int64_t segments,
                                        int64_t now_ms) const {
  const std::vector<const QuotaDefinition*> subjects = SubjectsOf(key_id);
  if (subjects.empty()) return std::nullopt;
  const QuotaPeriods periods = QuotaPeriodsAt(now_ms);
  for (const QuotaDefinition* d : subjects) {
    const LeaseBook::Verdict v =
        book_->Peek(BookValue(*d, periods), std::max<int64_t>(segments, 1), now_ms);
    if (v.status == LeaseBook::Status::kDenied && !v.unanswered) return Describe(*d) + " used up";
  }
  return std::nullopt;
}

void Quotas::Refund(std::string_view key_id, int64_t segments, int64_t now_ms) const {
  const int64_t cost = std::max<int64_t>(segments, 1);
  const std::vector<const QuotaDefinition*> subjects = SubjectsOf(key_id);
  if (subjects.empty()) return;
  const QuotaPeriods periods = QuotaPeriodsAt(now_ms);
  for (const QuotaDefinition* d : subjects) book_->Refund(BookValue(*d, periods), cost);
}

}  // namespace sd
