#include "bench/smsc_sim/receipt_state.h"

#include <array>
#include <utility>

namespace sd::smsc_sim {
namespace {
constexpr std::array<std::pair<ReceiptState, std::string_view>, 8> kNames{{
    {ReceiptState::kEnroute, "ENROUTE"},
    {ReceiptState::kDelivered, "DELIVRD"},
    {ReceiptState::kExpired, "EXPIRED"},
    {ReceiptState::kDeleted, "DELETED"},
    {ReceiptState::kUndeliverable, "UNDELIV"},
    {ReceiptState::kAccepted, "ACCEPTD"},
    {ReceiptState::kUnknown, "UNKNOWN"},
    {ReceiptState::kRejected, "REJECTD"},
}};
}  // namespace

std::optional<ReceiptState> ParseReceiptState(std::string_view text_name) {
  for (const auto& [s, n] : kNames) {
    if (n == text_name) return s;
  }
  return std::nullopt;
}

std::string_view ReceiptStateText(ReceiptState s) {
  for (const auto& [st, n] : kNames) {
    if (st == s) return n;
  }
  return "UNKNOWN";
}

}  // namespace sd::smsc_sim
