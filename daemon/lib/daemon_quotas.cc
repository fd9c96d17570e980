// Segment quotas in the daemon (docs/limits.md, "Quotas"): the definitions every daemon reads
// from Redis into its policy, and what a quota lease crossing 80 % or 100 % becomes (a warning,
// an audit event). The leases themselves go through the lease agent (daemon_admin.cc).
#include <spdlog/spdlog.h>

#include "adapters/untrusted_log.h"
#include "core/audit.h"
#include "daemon/lib/adapter_options.h"
#include "daemon/lib/daemon.h"

namespace sd {

void Daemon::BuildQuotas() {
  quotas_ = std::make_unique<redis::QuotaWatcher>(loop_, StoreOptionsFrom(config_).endpoint,
                                                  config_.redis.key_prefix);
  quotas_->SetOnDefinitions(
      [this](std::vector<QuotaDefinition> defs) { OnQuotaDefinitions(std::move(defs)); });
  leases_->SetQuotas([this] { return dispatcher_->policy().Load()->parts().quotas; },
                     [this](const redis::QuotaCrossing& c) { OnQuotaCrossing(c); });
}

void Daemon::OnQuotaDefinitions(std::vector<QuotaDefinition> defs) {
  const std::shared_ptr<const Quotas> current = dispatcher_->policy().Load()->parts().quotas;
  if (defs.empty() && current == nullptr) return;
  const size_t before = current != nullptr ? current->definitions().size() : 0;
  Result<std::shared_ptr<const Quotas>> built =
      Quotas::Build(std::move(defs), current.get(), limit_hash_key_);
  if (!built.ok()) {
    spdlog::error("quotas: keeping the previous quotas: {}",
                  Untrusted(built.error().detail, kLogMessageMax));
    return;
  }
  const size_t now_defined = built.value()->definitions().size();
  if (now_defined != before || current == nullptr) {
    spdlog::info("quotas: {} quota(s) in force", now_defined);
  }
  dispatcher_->SetQuotas(std::move(built.value()));
}

void Daemon::OnQuotaCrossing(const redis::QuotaCrossing& c) {
  const std::string detail = "quota '" + c.subject + "' " + c.period + ": " +
                             std::to_string(c.used) + " of " + std::to_string(c.quota) +
                             " segments counted (" + std::to_string(c.level) + " %)";
  spdlog::warn("quotas: {}", Untrusted(detail, kLogMessageMax));
  // The subject names the key family or tenant; no job caused it alone.
  store_->Emit(MakeAuditEvent(Reason::kQuotaExceeded,
                              c.level >= 100 ? kAuditQuota100 : kAuditQuota80, "", "", "", "",
                              detail, clock_.NowMs()));
}

}  // namespace sd
