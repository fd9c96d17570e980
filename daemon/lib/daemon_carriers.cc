// The daemon's carriers at run time (docs/operations.md, "Runtime control"): built at start,
// changed by a SIGHUP reload (added, reopened with new settings, removed), paused, resumed
// or drained by operators through Redis (core/carrier_control.h), closed at shutdown.
// Each [[carrier]] name keeps one slot, so one dispatcher index, for the process' life.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/untrusted_log.h"
#include "daemon/lib/adapter_options.h"
#include "daemon/lib/daemon.h"

namespace sd {

DispatchCarrier Daemon::NewCarrier(const CarrierConfig& cc, Carrier** made) {
  const auto max_unsettled = static_cast<size_t>(cc.max_unsettled);
  if (cc.protocol == "http") {
    // Always up: an unreachable provider answers each job with a temporary failure after
    // its retries, and the job fails over then (docs/http.md).
    http_carriers_.push_back(std::make_unique<http::HttpCarrier>(loop_, cc.http));
    http::HttpCarrier* carrier = http_carriers_.back().get();
    if (cc.webhook && receipt_endpoint_) receipt_endpoint_->AddCarrier(carrier, cc.webhook_config);
    *made = carrier;
    return DispatchCarrier{carrier, [] { return true; }, max_unsettled};
  }
  carriers_.push_back(std::make_unique<smpp::SmppCarrier>(loop_, CarrierOptionsFrom(cc)));
  smpp::SmppCarrier* carrier = carriers_.back().get();
  *made = carrier;
  if (inbound_) {
    // What recipients send: answered (deliver_sm_resp) once it is in Redis.
    carrier->SetInboundHandler([this](InboundPart part, std::function<void()> ack) {
      part.received_ms = clock_.NowMs();
      inbound_->Put(std::move(part), std::move(ack));
    });
  }
  // Up: a sending bind is bound. Not up: its jobs fail over to the route's next carrier.
  // max_unsettled (default window x binds): the kill -9 duplicate bound
  // (docs/architecture.md).
  return DispatchCarrier{carrier, [carrier] { return carrier->bound(); }, max_unsettled};
}

void Daemon::BuildCarriers() {
  if (config_.listener.enabled) {
    receipt_endpoint_ = std::make_unique<http::ReceiptEndpoint>(
        loop_, config_.listener.server, config_.listener.receipt_ack_timeout_ms, clock_);
  }
  std::vector<DispatchCarrier> dispatch_carriers;
  for (const CarrierConfig& cc : config_.carriers) {
    CarrierSlot slot;
    slot.config = cc;
    slot.index = dispatch_carriers.size();
    dispatch_carriers.push_back(NewCarrier(cc, &slot.carrier));
    dispatch_names_.push_back(cc.name);
    slots_.push_back(std::move(slot));
  }
  // After the config's carriers: no route names it; test keys' jobs go only there.
  test_carrier_ = std::make_unique<testmode::TestCarrier>(loop_);
  dispatch_names_.emplace_back("test");
  dispatch_carriers.push_back(DispatchCarrier{test_carrier_.get(), [] { return true; }, 0});
  DispatcherOptions o;
  o.test_carrier = static_cast<int>(dispatch_carriers.size()) - 1;
  o.decision.stream = config_.redis.jobs_stream;
  o.decision.max_future_skew_ms = config_.policy.max_future_skew_s * 1000;
  o.decision.max_validity_ms = config_.policy.max_validity_s * 1000;
  o.max_inflight = static_cast<size_t>(config_.daemon.max_inflight);
  dispatcher_ =
      std::make_unique<Dispatcher>(*store_, std::move(dispatch_carriers), mac_, clock_, o);
}

void Daemon::BuildCarrierControl() {
  control_ = std::make_unique<redis::CarrierControlWatcher>(
      loop_, StoreOptionsFrom(config_).endpoint, config_.redis.key_prefix);
  control_->SetOnControls(
      [this](const redis::CarrierControlWatcher::Controls& c) { OnCarrierControls(c); });
}

Daemon::CarrierSlot* Daemon::FindSlot(const std::string& name) {
  for (CarrierSlot& slot : slots_) {
    if (slot.config.name == name) return &slot;
  }
  return nullptr;
}

CarrierMode Daemon::ModeOf(const CarrierSlot& slot) const {
  if (slot.removed) return CarrierMode::kRemoved;
  if (slot.next || slot.closing) return CarrierMode::kReopening;
  auto it = controls_.find(slot.config.name);
  if (it == controls_.end()) return CarrierMode::kActive;
  switch (it->second.state) {
    case CarrierControl::kPaused:
      return CarrierMode::kPaused;
    case CarrierControl::kDraining:
      return CarrierMode::kDraining;
    case CarrierControl::kActive:
      break;
  }
  return CarrierMode::kActive;
}

void Daemon::ApplyCarrierModes() {
  for (const CarrierSlot& slot : slots_) dispatcher_->SetCarrierMode(slot.index, ModeOf(slot));
}

// What operators asked through Redis (`smsdispatch carriers`), applied as it is read: the
// change is logged here; the CLI wrote its audit event with the change itself.
void Daemon::OnCarrierControls(const redis::CarrierControlWatcher::Controls& controls) {
  for (const CarrierSlot& slot : slots_) {
    const std::string& name = slot.config.name;
    auto was = controls_.find(name);
    auto now = controls.find(name);
    const CarrierControl before =
        was == controls_.end() ? CarrierControl::kActive : was->second.state;
    const CarrierControl after =
        now == controls.end() ? CarrierControl::kActive : now->second.state;
    if (before == after) continue;
    static const CarrierControlRecord kNone;
    const CarrierControlRecord& r = now == controls.end() ? kNone : now->second;
    spdlog::warn("carrier {}: {} (was {}), asked by '{}': '{}'", name, CarrierControlName(after),
                 CarrierControlName(before), Untrusted(r.by, 64),
                 Untrusted(r.note, kMaxCarrierControlNote));
  }
  controls_ = controls;
  ApplyCarrierModes();
}

std::string Daemon::CheckCarrierReload(const Config& next) const {
  size_t slots = dispatch_names_.size();
  for (const CarrierConfig& cc : next.carriers) {
    if (cc.webhook && !receipt_endpoint_) {
      return "carrier '" + cc.name +
             "' needs the [listener], which was not configured at "
             "start-up ([listener] changes need a restart)";
    }
    const bool known = std::any_of(slots_.begin(), slots_.end(),
                                   [&](const CarrierSlot& s) { return s.config.name == cc.name; });
    if (!known) ++slots;
  }
  if (slots > kMaxCarriers) {
    return "more than " + std::to_string(kMaxCarriers) +
           " carriers over this process' life (restart to start afresh)";
  }
  return "";
}

// Called once the new policy is in, on the same loop turn (no batch is decided between):
// routes may name an added carrier only once the dispatcher has it, and the new policy's
// routes no longer name a removed one.
void Daemon::ApplyCarrierReload(const Config& next) {
  for (const CarrierConfig& cc : next.carriers) {
    CarrierSlot* slot = FindSlot(cc.name);
    if (slot == nullptr) {
      CarrierSlot added;
      added.config = cc;
      added.index = dispatcher_->AddCarrier(NewCarrier(cc, &added.carrier));
      dispatch_names_.push_back(cc.name);
      StartCarrier(added.carrier);
      slots_.push_back(std::move(added));
      spdlog::info("reload: carrier {} added", cc.name);
      continue;
    }
    if (!slot->removed && cc.fingerprint == slot->config.fingerprint) {
      // As it runs. A reopen still pending for an earlier change is called off, or, when the
      // old carrier is already closing, reopens with these (the running) settings.
      if (slot->next && slot->closing) {
        slot->next = cc;
      } else {
        slot->next.reset();
      }
      continue;
    }
    if (!slot->removed && slot->next && slot->next->fingerprint == cc.fingerprint) continue;
    spdlog::info(
        "reload: carrier {} {}: it finishes what it holds ({} at the carrier), closes and "
        "reopens",
        cc.name, slot->removed ? "configured again" : "changed",
        dispatcher_->at_carrier(slot->index));
    slot->removed = false;
    slot->next = cc;
  }
  for (CarrierSlot& slot : slots_) {
    const bool kept =
        std::any_of(next.carriers.begin(), next.carriers.end(),
                    [&](const CarrierConfig& cc) { return cc.name == slot.config.name; });
    if (kept || slot.removed) continue;
    spdlog::info(
        "reload: carrier {} removed: it finishes what it holds ({} at the carrier), then "
        "closes",
        slot.config.name, dispatcher_->at_carrier(slot.index));
    slot.removed = true;
    slot.next.reset();
  }
  ApplyCarrierModes();
  CloseIdleCarriers();
}

void Daemon::StartCarrier(Carrier* carrier) {
  for (auto& c : carriers_) {
    if (c.get() == carrier) c->Start();
  }
}

// From the tick: a changed or removed carrier closes once nothing is at it (its window and
// its pacing queue are empty), so nothing it took is cut short.
void Daemon::CloseIdleCarriers() {
  if (finishing_) return;
  for (CarrierSlot& slot : slots_) {
    if (slot.carrier == nullptr && slot.next && !slot.removed) {
      Reopen(slot);  // removed and closed, then configured again: nothing left to close
      continue;
    }
    if (slot.closing || slot.carrier == nullptr || (!slot.next && !slot.removed)) continue;
    if (dispatcher_->at_carrier(slot.index) != 0) continue;
    slot.closing = true;
    ++old_carriers_closing_;
    const std::string name = slot.config.name;
    auto closed = [this, name] { OnOldCarrierClosed(*FindSlot(name)); };
    for (auto& c : carriers_) {
      if (c.get() == slot.carrier) c->Close(closed);
    }
    for (auto& c : http_carriers_) {
      if (c.get() == slot.carrier) c->Close(closed);
    }
  }
}

void Daemon::Reopen(CarrierSlot& slot) {
  slot.config = std::move(*slot.next);
  slot.next.reset();
  dispatcher_->ReplaceCarrier(slot.index, NewCarrier(slot.config, &slot.carrier));
  StartCarrier(slot.carrier);
  spdlog::info("carrier {}: reopened with its new settings", slot.config.name);
  ApplyCarrierModes();
}

void Daemon::OnOldCarrierClosed(CarrierSlot& slot) {
  auto retire = [this, &slot](auto& list) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->get() != slot.carrier) continue;
      retired_.push_back(std::move(*it));
      list.erase(it);
      return;
    }
  };
  retire(carriers_);
  retire(http_carriers_);
  slot.closing = false;
  if (slot.removed) {
    slot.carrier = nullptr;
    spdlog::info("carrier {}: closed (removed by a reload)", slot.config.name);
  } else if (slot.next && !finishing_) {
    Reopen(slot);
  }
  if (!finishing_) ApplyCarrierModes();
  if (--old_carriers_closing_ == 0 && old_carriers_closed_) {
    auto done = std::move(old_carriers_closed_);
    old_carriers_closed_ = nullptr;
    done();
  }
}

// Every carrier unbinds at once (each bounded by its own unbind wait), then the store closes,
// then the handles. Carriers a reload is closing already finish on their own.
void Daemon::CloseCarriers() {
  auto left = std::make_shared<size_t>(carriers_.size() + http_carriers_.size() + 2);
  const auto one_closed = [this, left] {
    if (--*left == 0) CloseStore();
  };
  auto closing = [this](const Carrier* c) {
    return std::any_of(slots_.begin(), slots_.end(),
                       [c](const CarrierSlot& s) { return s.closing && s.carrier == c; });
  };
  for (auto& carrier : carriers_) {
    if (closing(carrier.get())) {
      one_closed();  // counted by old_carriers_closing_
    } else {
      carrier->Close(one_closed);
    }
  }
  for (auto& carrier : http_carriers_) {
    if (closing(carrier.get())) {
      one_closed();
    } else {
      carrier->Close(one_closed);
    }
  }
  test_carrier_->Close(one_closed);
  if (old_carriers_closing_ == 0) {
    one_closed();
  } else {
    old_carriers_closed_ = one_closed;
  }
}

}  // namespace sd
