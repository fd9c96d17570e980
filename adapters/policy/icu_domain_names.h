#pragma once
// DomainNames (core/domain_names.h) on ICU, which libphonenumber already loads: UTS #46 for
// reading and resolving hosts (uidna, and the "uts46" normalizer its mapping table comes in),
// UTS #39 for look-alikes (uspoof skeletons and restriction levels, drawn from Unicode's
// confusables and identifier data). Replaces a hand-written Punycode codec and a 60-entry
// confusables table: both covered a subset and both were bypassed (U+0251, U+1D429).
//
// Threads: ICU documents UIDNA and a configured USpoofChecker as safe for concurrent use.
// Classify answers from a table of 2 bits per code point, filled on first sight with relaxed
// atomics (every thread computes the same value), so it takes no lock.
#include <atomic>
#include <memory>

#include "core/domain_names.h"

struct UIDNA;
struct USpoofChecker;
struct UNormalizer2;

namespace sd {

class IcuDomainNames final : public DomainNames {
 public:
  // One instance per process: the table is shared by every scanner and reload. Never null;
  // aborts if ICU's data cannot be opened (the library is a hard dependency).
  static std::shared_ptr<const IcuDomainNames> Shared();

  IcuDomainNames();
  ~IcuDomainNames() override;
  IcuDomainNames(const IcuDomainNames&) = delete;
  IcuDomainNames& operator=(const IcuDomainNames&) = delete;

  CodePoint Classify(char32_t c) const override;
  Name Resolve(std::string_view written) const override;
  std::string Skeleton(std::string_view utf8) const override;
  bool MixedScript(std::string_view utf8_label) const override;

 private:
  CodePoint ClassifySlow(char32_t c) const;

  UIDNA* idna_ = nullptr;
  USpoofChecker* skeletons_ = nullptr;   // no checks configured: skeletons only
  USpoofChecker* scripts_ = nullptr;     // restriction level, mixed numbers, invisible marks
  const UNormalizer2* uts46_ = nullptr;  // ICU-owned singletons
  const UNormalizer2* nfd_ = nullptr;
  static constexpr size_t kCodePoints = 0x110000;
  // 2 bits per code point: 0 = not yet known, else CodePoint + 1.
  std::unique_ptr<std::atomic<uint32_t>[]> table_;
};

}  // namespace sd
