#pragma once
// Segment quotas (docs/limits.md, "Quotas"): how many segments a key family, or a tenant (a
// named group of key families), may send per UTC day and per UTC month, across the whole fleet
// and across restarts. Operators set them with `smsdispatch quotas set` (the Redis hash
// <prefix>quotas, read by every daemon); the counters are in Redis too, one per subject and
// period.
//
// A daemon does not count each job in Redis: like a fleet-wide rate limit it leases a block of
// segments (core/limit_leases.h), which the lease agent takes off the subject's counters at
// once (adapters/redis/lease_agent.h), and spends them in process. So a quota is never
// exceeded, not even by one lease: segments leased and not yet spent count as used until they
// go back. The price is on the strict side: near the end of a quota, up to one lease per
// daemon may sit unspent while another daemon refuses (each lease is 1 % of the smaller quota,
// at most 100 segments).
//
// A Quotas is an immutable snapshot of the definitions; the lease book it charges outlives
// snapshots (Build with the previous one), so a change of definitions keeps the tokens held.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/limit_leases.h"
#include "core/result.h"
#include "core/siphash.h"

namespace sd {

struct QuotaDefinition {
  // "key:<family>" or "tenant:<name>"; a name is what ValidQuotaName accepts.
  std::string subject;
  int64_t daily = 0;                 // segments per UTC day; 0: no daily bound
  int64_t monthly = 0;               // segments per UTC month; 0: no monthly bound
  std::vector<std::string> members;  // tenant: its key families (sorted, unique)
  bool operator==(const QuotaDefinition&) const = default;
};

inline constexpr int64_t kMaxQuota = 1'000'000'000'000;  // segments
inline constexpr size_t kMaxQuotaSubjects = 100'000;
inline constexpr size_t kMaxTenantMembers = 1000;

// A key family or tenant name: 1 to 64 of [A-Za-z0-9_.-].
bool ValidQuotaName(std::string_view name);
// The Redis record: field = subject, value = "<daily>|<monthly>|<member>,<member>...".
std::string QuotaValue(const QuotaDefinition& d);
std::optional<QuotaDefinition> ParseQuota(std::string_view field, std::string_view value);

// The UTC periods a time falls in, as the counters' keys name them.
struct QuotaPeriods {
  std::string day;    // "20261205"
  std::string month;  // "202612"
  int64_t day_ends_ms = 0;
  int64_t month_ends_ms = 0;
};
QuotaPeriods QuotaPeriodsAt(int64_t now_ms);

// How many segments one lease takes: 1 % of the subject's smaller quota, 1 to 100.
int64_t QuotaLeaseUnits(const QuotaDefinition& d);

class Quotas {
 public:
  // Validates (names, bounds, a family in at most one tenant, at most kMaxQuotaSubjects) and
  // builds; with `previous`, keeps its lease book (the tokens leased stay valid).
  static Result<std::shared_ptr<const Quotas>> Build(std::vector<QuotaDefinition> defs,
                                                     const Quotas* previous, const SipKey& key);

  struct Verdict {
    enum class Kind : uint8_t { kAdmit, kAwait, kExceeded };
    Kind kind = Kind::kAdmit;
    std::string detail;  // kExceeded: which quota
  };
  // Spends `segments` on the job's key family's quota and its tenant's (those defined), all
  // or nothing. kAwait: a lease is wanted (nothing spent; decide the job again once answered).
  [[nodiscard]] Verdict Charge(std::string_view key_id, int64_t segments, int64_t now_ms) const;
  // Without charging: the detail of a quota of the job's key or tenant that this daemon's
  // last lease found used up (and still is, by its retry time); nullopt when none is known to
  // be (a quota not asked yet passes: the charge decides later).
  [[nodiscard]] std::optional<std::string> Peek(std::string_view key_id, int64_t segments,
                                                int64_t now_ms) const;
  // Gives back what an admitted Charge at `now_ms` spent (a later stage refused the job).
  void Refund(std::string_view key_id, int64_t segments, int64_t now_ms) const;

  const QuotaDefinition* Find(std::string_view subject) const;
  const std::vector<QuotaDefinition>& definitions() const { return defs_; }
  LeaseBook& book() const { return *book_; }
  // The book, for the lease agent (which keeps it alive across a reload).
  const std::shared_ptr<LeaseBook>& shared_book() const { return book_; }

 private:
  // The subjects a key family charges: its own, then its tenant's (each may be absent).
  std::vector<const QuotaDefinition*> SubjectsOf(std::string_view key_id) const;

  std::vector<QuotaDefinition> defs_;
  std::unordered_map<std::string, size_t> by_subject_;
  std::unordered_map<std::string, size_t> tenant_of_;  // key family -> its tenant's index
  std::shared_ptr<LeaseBook> book_;
};

}  // namespace sd
