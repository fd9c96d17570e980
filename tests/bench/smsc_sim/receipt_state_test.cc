// The simulator's receipt states: the SMPP 3.4 message_state numbers (5.2.28) and the
// Appendix B "stat:" names, both ways, and which of them count as delivered or failed.
#include "bench/smsc_sim/receipt_state.h"

#include <gtest/gtest.h>

namespace sd::smsc_sim {
namespace {

TEST(ReceiptState, EveryStateHasItsSpecNumberAndItsNameParsesBack) {
  const std::pair<ReceiptState, std::string_view> spec[] = {
      {ReceiptState::kEnroute, "ENROUTE"},       {ReceiptState::kDelivered, "DELIVRD"},
      {ReceiptState::kExpired, "EXPIRED"},       {ReceiptState::kDeleted, "DELETED"},
      {ReceiptState::kUndeliverable, "UNDELIV"}, {ReceiptState::kAccepted, "ACCEPTD"},
      {ReceiptState::kUnknown, "UNKNOWN"},       {ReceiptState::kRejected, "REJECTD"},
  };
  uint8_t number = 1;
  for (const auto& [state, name] : spec) {
    EXPECT_EQ(static_cast<uint8_t>(state), number++) << name;
    EXPECT_EQ(ReceiptStateText(state), name);
    EXPECT_EQ(ParseReceiptState(name), state) << name;
  }
}

TEST(ReceiptState, NamesAreExactNotPrefixesOrOtherCase) {
  for (std::string_view bad : {"", "DELIV", "delivrd", "DELIVRD ", "DELIVERED", "UNDELIVERABLE"}) {
    EXPECT_EQ(ParseReceiptState(bad), std::nullopt) << bad;
  }
}

TEST(ReceiptState, OnlyDeliveredIsDeliveredAndPendingStatesAreNotFailures) {
  for (uint8_t n = 1; n <= 8; ++n) {
    const auto s = static_cast<ReceiptState>(n);
    EXPECT_EQ(IsDelivered(s), s == ReceiptState::kDelivered) << ReceiptStateText(s);
    const bool pending_or_ok = s == ReceiptState::kDelivered || s == ReceiptState::kEnroute ||
                               s == ReceiptState::kAccepted;
    EXPECT_EQ(IsFailure(s), !pending_or_ok) << ReceiptStateText(s);
  }
}

}  // namespace
}  // namespace sd::smsc_sim
