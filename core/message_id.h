#pragma once
// Carrier message ids in one canonical form, so a receipt finds its submit whatever the SMSC
// does: many answer submit_sm_resp with a hex id and put the same number in decimal in the
// receipt text, pad with zeros, or change case. Each carrier declares both formats.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sd {

enum class MessageIdFormat : uint8_t {
  kString,   // opaque: trimmed and lowercased; leading zeros stripped only if all digits
  kHex,      // hex digits in any case, optional 0x prefix, leading zeros
  kDecimal,  // decimal digits, leading zeros
};

// "string", "hex", "decimal" (config strings); nullopt for anything else.
std::optional<MessageIdFormat> MessageIdFormatFromName(std::string_view name);
std::string_view MessageIdFormatName(MessageIdFormat f);

// SMPP 3.4 message_id is a C-Octet String of at most 65 octets including the NUL.
inline constexpr size_t kMaxMessageIdLength = 64;

struct NormalizedMessageId {
  // Canonical key: for a number (kHex, kDecimal) its decimal digits without leading zeros
  // ("0" for zero), any length up to kMaxMessageIdLength digits (not limited to 64 bits);
  // otherwise the string form. A fallback key always has a non-digit, so it never equals a
  // number's key.
  std::string key;
  // The id did not parse in the declared hex/decimal format and `key` is its string form:
  // the adapter counts these (a carrier whose declared format is wrong shows up here).
  bool fell_back = false;
};

// Canonical key of `id` read in `format`. Spaces, tabs and NULs around the id are ignored.
// Errors: kMalformed when nothing is left; kTooLarge when more than kMaxMessageIdLength
// characters are left.
Result<NormalizedMessageId> NormalizeMessageId(std::string_view id, MessageIdFormat format);

// One carrier's pair of formats: ids from submit_sm_resp and ids from receipts map to the
// same key when they name the same message.
class MessageIdNormalizer {
 public:
  MessageIdNormalizer() = default;
  MessageIdNormalizer(MessageIdFormat submit_format, MessageIdFormat receipt_format)
      : submit_(submit_format), receipt_(receipt_format) {}

  // From config strings; kMalformed naming the bad value otherwise. Empty means "string".
  static Result<MessageIdNormalizer> FromNames(std::string_view submit_format,
                                               std::string_view receipt_format);

  Result<NormalizedMessageId> ForSubmit(std::string_view id) const {
    return NormalizeMessageId(id, submit_);
  }
  Result<NormalizedMessageId> ForReceipt(std::string_view id) const {
    return NormalizeMessageId(id, receipt_);
  }

  MessageIdFormat submit_format() const { return submit_; }
  MessageIdFormat receipt_format() const { return receipt_; }

 private:
  MessageIdFormat submit_ = MessageIdFormat::kString;
  MessageIdFormat receipt_ = MessageIdFormat::kString;
};

}  // namespace sd
