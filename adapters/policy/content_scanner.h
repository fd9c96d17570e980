#pragma once
// ContentScanner on Hyperscan. Built once from a rules file and immutable afterwards; a reload
// builds a new scanner and swaps it in only when the new file is good (ContentScannerSlot).
//
// Threads: Hyperscan needs a scratch region per concurrent scan. The scanner keeps a pool of
// kScratchSlots atomic pointers: Scan exchanges one idle scratch out of a slot (cloning the
// prototype with hs_clone_scratch when every slot is empty) and puts it back into an empty
// slot with a compare-and-swap, so scanning never takes a lock. A scratch that finds no empty
// slot (more threads scanned at once than there are slots) is freed, so memory stays bounded;
// every pooled scratch is freed with the scanner.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adapters/policy/content_rules.h"
#include "core/content_scan.h"

struct hs_database;
struct hs_scratch;

namespace sd {

class HyperscanContentScanner final : public ContentScanner {
 public:
  // Texts longer than this are refused with too_large before scanning: an SMS text is at most
  // a few kilobytes (core limits segments), so anything near this is not a message.
  static constexpr size_t kMaxTextBytes = 64 * 1024;

  // Compiles the rules. A regex Hyperscan refuses is an error naming the file, the line and
  // column of that regex, the rule id and Hyperscan's message. `file` names the source.
  static std::variant<std::unique_ptr<HyperscanContentScanner>, RulesError> Build(
      ContentRules rules, const std::string& file);
  // LoadContentRulesFile + Build.
  static std::variant<std::unique_ptr<HyperscanContentScanner>, RulesError> Load(
      const std::string& path);

  ~HyperscanContentScanner() override;
  HyperscanContentScanner(const HyperscanContentScanner&) = delete;
  HyperscanContentScanner& operator=(const HyperscanContentScanner&) = delete;

  // Order: too_large / invalid_text, then the rules (the first reject rule to match in the
  // text wins: blocked_content, detail = rule id), then each URL in text order (JudgeUrl).
  Result<ScanReport> Scan(std::string_view text, const UrlScope& scope) const override;

  const ContentRules& rules() const { return rules_; }

  // Counters since this scanner was built (a reload starts a new set).
  struct Stats {
    uint64_t scans = 0;
    uint64_t flagged = 0;  // scans that passed with at least one flag
    std::vector<std::pair<std::string, uint64_t>> rule_matches;  // per rule id, in file order
    std::vector<std::pair<Reason, uint64_t>> rejections;         // per reason, non-zero only
  };
  Stats stats() const;

 private:
  explicit HyperscanContentScanner(ContentRules rules);
  struct MatchContext;
  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void* context);
  hs_scratch* AcquireScratch() const;
  void ReleaseScratch(hs_scratch* s) const;
  Error Reject(Error e) const;

  const ContentRules rules_;
  const std::shared_ptr<const DomainNames> names_;  // IcuDomainNames::Shared()
  hs_database* db_ = nullptr;                  // null when there are no rules
  hs_scratch* prototype_ = nullptr;            // never scanned with; only cloned
  static constexpr size_t kScratchSlots = 16;  // well above the threads that scan at once
  mutable std::array<std::atomic<hs_scratch*>, kScratchSlots> pool_{};  // idle, or null

  mutable std::atomic<uint64_t> scans_{0};
  mutable std::atomic<uint64_t> flagged_{0};
  std::unique_ptr<std::atomic<uint64_t>[]> rule_matches_;        // one per rule
  mutable std::array<std::atomic<uint64_t>, 256> rejections_{};  // indexed by Reason
};

// Holds the live scanner. Reload builds from the file and swaps only on success; on failure
// the old scanner stays and the error names file, line and problem. Current() hands out a
// shared_ptr, so a scan in progress keeps its scanner alive across a swap.
class ContentScannerSlot {
 public:
  [[nodiscard]] std::optional<RulesError> Reload(const std::string& path);
  std::shared_ptr<const HyperscanContentScanner> Current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const HyperscanContentScanner> current_;
};

}  // namespace sd
