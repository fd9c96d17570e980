#pragma once
// Delivery receipts from deliver_sm: the receipted_message_id / message_state TLVs when the
// SMSC sends them, else the de-facto text format (SMPP 3.4 Appendix B), parsed tolerantly.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/smpp/pdu.h"
#include "core/outcome.h"

namespace sd::smpp {

struct ReceiptText {
  std::string id;
  std::string stat;
  std::string err;
};

// Parses "id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…": keys in any
// case and order, extra spaces tolerated; nullopt when there is no id.
std::optional<ReceiptText> ParseReceiptText(std::string_view text);

// Maps vendor state words (DELIVRD, DELIVERED, UNDELIV, REJECTD, …) to a ReceiptState.
ReceiptState ReceiptStateFromStat(std::string_view stat);

// The bytes of a receipt that did not parse, for Receipt::raw: escaped as in core/log_safe.h
// (printable ASCII kept, every other byte, '\' and '"' as \xNN), cut at a whole escape so the
// result is <= kMaxRawReceipt.
inline constexpr size_t kMaxRawReceipt = 254;
std::string RawReceiptText(std::string_view bytes);

// A deliver_sm whose esm_class says it is about a message we sent (bits 2-5 not 0000: an SMSC
// delivery receipt, an SME acknowledgement or an intermediate notification), not an MO.
bool FlaggedAsReceipt(const ShortMessage& deliver_sm);

// nullopt when the deliver_sm is not a receipt (a mobile-originated message), or is flagged
// as one but carries no id in TLVs or text (the caller then keeps it with RawReceiptText).
std::optional<Receipt> ParseReceipt(const ShortMessage& deliver_sm, std::string_view carrier);

}  // namespace sd::smpp
