// The dispatcher's part of the SMS-pumping defence (docs/operations.md): every decided entry
// is shown to the [[pumping]] rules; what they raise is audited, blocked here at once and
// shared through the BlockSink. Blocks read back from Redis replace the policy's list. The
// audit of content rules that only flag (the other abuse signal a batch raises) is here too.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/untrusted_log.h"
#include "core/audit.h"
#include "daemon/lib/dispatcher.h"

namespace sd {
namespace {

constexpr int64_t kRaisedGraceMs = 10'000;
constexpr int64_t kSweepEveryMs = 60'000;

}  // namespace

void Dispatcher::ObservePumping(std::shared_ptr<const PolicySnapshot>& policy,
                                const StreamEntry& entry, const Decision& d) {
  PumpingDetector* detector = policy->parts().pumping.get();
  // Only entries that were authentic and decoded: a forged entry must not teach the rules.
  if (detector == nullptr || d.destination.empty()) return;
  const int64_t now = clock_.NowMs();
  if (now >= next_sweep_ms_) {
    detector->Sweep(now);
    next_sweep_ms_ = now + kSweepEveryMs;
  }
  for (PumpingHit& hit : detector->Observe(entry.key_id, d.destination, d.kind, now)) {
    const bool block = hit.rule->action == PumpingAction::kBlock;
    spdlog::warn("pumping: {}{}", Untrusted(hit.detail),
                 block ? "; blocked for " + std::to_string(hit.rule->block_ms / 1000) + " s"
                       : "; alert only");
    Audit(Reason::kPumpingSuspected, block ? kAuditPumpingBlock : kAuditPumpingAlert, entry, d,
          hit.detail);
    if (!block) continue;
    Block b{hit.prefix, hit.key_family, now + hit.rule->block_ms,
            now,        hit.rule->name, hit.detail.substr(0, kMaxBlockNote)};
    raised_.push_back(b);
    policy = policy_.Update([&b](const PolicySnapshot& cur) {
      PolicyParts next = cur.parts();
      next.blocks = next.blocks != nullptr ? next.blocks->With(b)
                                           : std::make_shared<const BlockList>(std::vector{b});
      return next;
    });
    if (blocks_ != nullptr) blocks_->Raise(std::move(b));
  }
}

void Dispatcher::AuditFlagged(const StreamEntry& entry, const Decision& d) {
  ++stats_.flagged;
  std::string rules;
  for (const std::string& r : d.flagged) rules += (rules.empty() ? "" : ",") + r;
  Audit(Reason::kBlockedContent, kAuditFlagged, entry, d, "content rules " + rules);
}

void Dispatcher::SetBlocks(std::shared_ptr<const BlockList> blocks) {
  const int64_t now = clock_.NowMs();
  std::erase_if(raised_, [&](const Block& r) {
    if (now - r.created_ms > kRaisedGraceMs) return true;
    return std::any_of(blocks->blocks().begin(), blocks->blocks().end(), [&](const Block& b) {
      return b.prefix == r.prefix && b.key_family == r.key_family && b.created_ms == r.created_ms;
    });
  });
  for (const Block& r : raised_) blocks = blocks->With(r);
  policy_.Update([&blocks](const PolicySnapshot& cur) {
    PolicyParts next = cur.parts();
    next.blocks = blocks;
    return next;
  });
}

}  // namespace sd
