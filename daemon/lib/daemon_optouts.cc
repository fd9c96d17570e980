// Opt-outs (docs/inbound.md): every daemon follows Redis' opt-out hash and puts its copy in the
// policy snapshot, where the decision and the submit gate read it.
#include <spdlog/spdlog.h>

#include "daemon/lib/adapter_options.h"
#include "daemon/lib/daemon.h"

namespace sd {

void Daemon::BuildOptOuts() {
  if (!config_.optouts.enabled) return;
  optouts_ = std::make_unique<redis::OptOutWatcher>(loop_, StoreOptionsFrom(config_).endpoint,
                                                    config_.redis.key_prefix);
  optouts_->SetOnChange([this](std::shared_ptr<const OptOutSet> set) {
    const bool first = dispatcher_->policy().Load()->parts().optouts == nullptr;
    if (first) spdlog::info("optouts: {} opt-out(s) loaded", set->size());
    dispatcher_->policy().Update([&set](const PolicySnapshot& cur) {
      PolicyParts next = cur.parts();
      next.optouts = set;
      return next;
    });
    if (first) StartStore();  // jobs are read only once the opt-outs are in
  });
}

void Daemon::CloseOptOuts(std::function<void()> done) {
  if (!optouts_) {
    done();
    return;
  }
  optouts_->Close(std::move(done));
}

}  // namespace sd
