// Dispatcher: its carriers at run time (dispatcher.h): wiring, modes an operator or a reload
// sets, carriers a reload adds or replaces, and moving jobs off carriers that cannot take them.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/untrusted_log.h"
#include "daemon/lib/dispatcher.h"

namespace sd {

std::string_view CarrierModeName(CarrierMode m) {
  switch (m) {
    case CarrierMode::kActive:
      return "active";
    case CarrierMode::kPaused:
      return "paused";
    case CarrierMode::kDraining:
      return "draining";
    case CarrierMode::kReopening:
      return "reopening";
    case CarrierMode::kRemoved:
      return "removed";
  }
  return "active";
}

size_t Dispatcher::AddCarrier(DispatchCarrier carrier) {
  carriers_.push_back(std::move(carrier));
  ready_.emplace_back();
  unsettled_.push_back(0);
  at_carrier_by_.push_back(0);
  modes_.push_back(CarrierMode::kActive);
  receipts_by_state_.emplace_back();
  const size_t index = carriers_.size() - 1;
  if (started_) Wire(index);
  return index;
}

void Dispatcher::ReplaceCarrier(size_t c, DispatchCarrier carrier) {
  carriers_[c] = std::move(carrier);
  if (started_) Wire(c);
  Pump();  // what waited for the slot may go now (if its mode lets it)
}

void Dispatcher::SetCarrierMode(size_t c, CarrierMode mode) {
  if (modes_[c] == mode) return;
  modes_[c] = mode;
  // Jobs waiting for a carrier that no longer takes them move on now, not at the next tick;
  // a carrier that takes them again gets what waited for it.
  MoveOffDownCarriers();
  Pump();
}

void Dispatcher::Wire(size_t index) {
  DispatchCarrier& c = carriers_[index];
  c.carrier->SetReadyHandler([this] { Pump(); });
  c.carrier->SetSubmitGate(this);
  // Every carrier's receipts go to the store under that carrier's name (Receipt::carrier),
  // which is how their correlation keys were written at commit.
  c.carrier->SetReceiptHandler([this, index](Receipt receipt, std::function<void()> ack) {
    // `ts` on the receipt streams is when the daemon received it (docs/jobs.md), on the
    // same wall clock as outcome times; a store retry keeps this first time.
    receipt.ts_ms = clock_.NowMs();
    if (auto sent = receipt_clock_.Receipt(
            receipt.carrier, receipt.match_key.empty() ? receipt.message_id : receipt.match_key)) {
      timings_.submit_to_receipt.Observe((receipt.ts_ms - *sent) * 1000);
    }
    spdlog::debug("receipt: carrier {} message id '{}' state {}", Untrusted(receipt.carrier),
                  Untrusted(receipt.message_id), ReceiptStateName(receipt.state));
    // The carrier's acknowledgement (deliver_sm_resp) goes out only once the receipt is
    // durable: if we die first, the SMSC redelivers it.
    const auto state = std::min<size_t>(static_cast<size_t>(receipt.state), kReceiptStates - 1);
    store_.PutReceipt(std::move(receipt), [this, index, state, ack = std::move(ack)] {
      ++stats_.receipts;
      ++receipts_by_state_[index][state];
      ack();
    });
  });
}

void Dispatcher::MoveOffDownCarriers() {
  const int64_t now = clock_.NowMs();
  for (size_t c = 0; c < carriers_.size(); ++c) {
    // A draining carrier that can send keeps what waits for it.
    if (ready_[c].empty() || Up(c) || (modes_[c] == CarrierMode::kDraining && CarrierUp(c))) {
      continue;
    }
    std::deque<Pending> waiting;
    waiting.swap(ready_[c]);
    for (Pending& p : waiting) {
      // Jobs wait here only while no carrier of their route is up; they must not outlive
      // their validity (Pump, which checks it, never visits a carrier that is down).
      if (p.admitted.job.expires_ms <= now) {
        Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref, Reason::kExpired,
               "expired while every carrier of its route was down");
        continue;
      }
      // Another carrier of the route that is up takes it: an untried one first; failing that
      // one tried before (it has recovered since), so a job never waits on a carrier that is
      // down while another of its route is up.
      const RouteChoice& route = p.admitted.route;
      bool untried = false, tried_up = false;
      for (uint8_t i = 0; i < route.count; ++i) {
        if (i == p.pos || !Up(route.carriers[i])) continue;
        ((p.tried & (1u << i)) == 0 ? untried : tried_up) = true;
      }
      if (untried || tried_up) {
        p.tried = untried ? static_cast<uint8_t>(p.tried | (1u << p.pos))
                          : static_cast<uint8_t>(1u << p.pos);
        Enqueue(std::move(p), false);
      } else if (modes_[c] == CarrierMode::kRemoved) {
        Reject(p.entry_id, p.admitted.job.id, p.key_id, p.admitted.job.client_ref,
               Reason::kCarrierUnavailable,
               "its carrier was removed by a reload and no other carrier of its route is up");
      } else {
        ready_[c].push_back(std::move(p));
      }
    }
  }
}

// A job handed to a carrier waits here, not in its submit callback: the callback then fits
// std::function's inline buffer, so there is no allocation per job for it.
uint32_t Dispatcher::ParkAtCarrier(Pending p) {
  if (free_slots_.empty()) {
    parked_.push_back(std::move(p));
    return static_cast<uint32_t>(parked_.size() - 1);
  }
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  parked_[slot] = std::move(p);
  return slot;
}

Dispatcher::Pending Dispatcher::Unpark(uint32_t slot) {
  Pending p = std::move(parked_[slot]);
  free_slots_.push_back(slot);
  return p;
}

}  // namespace sd
