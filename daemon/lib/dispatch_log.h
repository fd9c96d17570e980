#pragma once
// Words for the dispatcher's debug lines (log_level = "debug"): one line per batch, claim,
// submit, submit response, receipt and commit, naming entry ids, job ids, carriers and
// states, never a number, a text or a secret. Ids come from producers and carriers, so they
// are written through Untrusted (adapters/untrusted_log.h).
#include <string_view>

#include "core/outcome.h"
#include "core/ports.h"

namespace sd {

constexpr std::string_view ClaimStateWord(ClaimState s) {
  switch (s) {
    case ClaimState::kNew:
      return "new";
    case ClaimState::kResume:
      return "resume";
    case ClaimState::kAlreadyDone:
      return "already done";
    case ClaimState::kReplay:
      return "replay";
    case ClaimState::kWrongShard:
      return "wrong shard";
  }
  return "?";
}

constexpr std::string_view SubmitKindWord(SubmitResult::Kind k) {
  switch (k) {
    case SubmitResult::Kind::kAccepted:
      return "accepted";
    case SubmitResult::Kind::kTemporaryFailure:
      return "temporary failure";
    case SubmitResult::Kind::kPermanentFailure:
      return "permanent failure";
    case SubmitResult::Kind::kWithheld:
      return "withheld before the wire";
  }
  return "?";
}

constexpr std::string_view OutcomeStatusWord(OutcomeStatus s) {
  return s == OutcomeStatus::kSubmitted ? "submitted" : "rejected";
}

}  // namespace sd
