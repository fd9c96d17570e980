#include "adapters/smpp/receipt_parser.h"

#include <algorithm>
#include <cctype>

#include "core/log_safe.h"

namespace sd::smpp {
namespace {

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Fields are separated by spaces; some SMSCs use tabs or line breaks, so any of them counts.
bool IsSeparator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// ASCII only, inline: what std::tolower does in the "C" locale, without a libc call per byte
// of every receipt.
char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithKey(std::string_view s, size_t pos, std::string_view key) {
  if (pos + key.size() > s.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (LowerAscii(s[pos + i]) != key[i]) return false;
  }
  return true;
}

// Value of `key` (lowercase, including the ':'), up to the next separator; empty if absent.
std::optional<std::string> Field(std::string_view text, std::string_view key) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    // Keys start at the beginning or after a separator.
    if (pos > 0 && !IsSeparator(text[pos - 1])) continue;
    if (!StartsWithKey(text, pos, key)) continue;
    size_t v = pos + key.size();
    while (v < text.size() && IsSeparator(text[v])) ++v;
    size_t end = v;
    while (end < text.size() && !IsSeparator(text[end])) ++end;
    const std::string_view value = text.substr(v, end - v);
    // "id: stat:X": the skipped spaces led to the next key, so this field is empty.
    if (value.find(':') != std::string_view::npos) return std::string();
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ReceiptText> ParseReceiptText(std::string_view text) {
  // "text:" holds arbitrary user text that may itself contain "stat:"; parse only before it.
  std::string_view head = text;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if ((pos == 0 || IsSeparator(text[pos - 1])) && StartsWithKey(text, pos, "text:")) {
      head = text.substr(0, pos);
      break;
    }
  }
  auto id = Field(head, "id:");
  if (!id || id->empty()) return std::nullopt;
  ReceiptText r;
  r.id = std::move(*id);
  r.stat = Field(head, "stat:").value_or("");
  r.err = Field(head, "err:").value_or("");
  return r;
}

ReceiptState ReceiptStateFromStat(std::string_view stat) {
  const std::string s = Upper(stat);
  if (s == "DELIVRD" || s == "DELIVERED" || s == "DELIVER") return ReceiptState::kDelivered;
  if (s == "UNDELIV" || s == "UNDELIVERABLE" || s == "UNDELIVERED" || s == "FAILED")
    return ReceiptState::kUndelivered;
  if (s == "EXPIRED") return ReceiptState::kExpired;
  if (s == "REJECTD" || s == "REJECTED") return ReceiptState::kRejected;
  if (s == "DELETED") return ReceiptState::kDeleted;
  if (s == "ACCEPTD" || s == "ACCEPTED") return ReceiptState::kAccepted;
  if (s == "ENROUTE") return ReceiptState::kEnroute;
  return ReceiptState::kUnknown;
}

std::string RawReceiptText(std::string_view bytes) {
  std::string out;
  out.reserve(std::min(bytes.size(), kMaxRawReceipt));
  AppendEscaped(out, bytes, kMaxRawReceipt);
  return out;
}

// esm_class bits 5-2 (SMPP 3.4 §5.2.12): 0001 SMSC delivery receipt, 0010 SME delivery
// acknowledgement, 0100 SME manual/user acknowledgement, 1000 intermediate delivery
// notification. Any of them is about a message we sent, never a recipient's own words.
bool FlaggedAsReceipt(const ShortMessage& sm) { return (sm.esm_class & 0x3C) != 0; }

std::optional<Receipt> ParseReceipt(const ShortMessage& sm, std::string_view carrier) {
  Receipt r;
  r.carrier = std::string(carrier);
  const Tlv* rid = sm.FindTlv(tag::kReceiptedMessageId);
  const bool is_receipt = FlaggedAsReceipt(sm) || rid != nullptr;
  if (!is_receipt) return std::nullopt;
  std::optional<ReceiptText> text = ParseReceiptText(sm.short_message);
  if (rid != nullptr) {
    std::string id = rid->value;
    while (!id.empty() && id.back() == '\0') id.pop_back();
    r.message_id = std::move(id);
  } else if (text) {
    r.message_id = text->id;
  } else {
    return std::nullopt;
  }
  const Tlv* state = sm.FindTlv(tag::kMessageState);
  if (state != nullptr && state->value.size() == 1) {
    switch (static_cast<uint8_t>(state->value[0])) {
      case 1:
        r.state = ReceiptState::kEnroute;
        r.carrier_status = "ENROUTE";
        break;
      case 2:
        r.state = ReceiptState::kDelivered;
        r.carrier_status = "DELIVRD";
        break;
      case 3:
        r.state = ReceiptState::kExpired;
        r.carrier_status = "EXPIRED";
        break;
      case 4:
        r.state = ReceiptState::kDeleted;
        r.carrier_status = "DELETED";
        break;
      case 5:
        r.state = ReceiptState::kUndelivered;
        r.carrier_status = "UNDELIV";
        break;
      case 6:
        r.state = ReceiptState::kAccepted;
        r.carrier_status = "ACCEPTD";
        break;
      case 8:
        r.state = ReceiptState::kRejected;
        r.carrier_status = "REJECTD";
        break;
      default:
        r.state = ReceiptState::kUnknown;
        r.carrier_status = "UNKNOWN";
        break;
    }
  } else if (text) {
    r.state = ReceiptStateFromStat(text->stat);
    r.carrier_status = text->stat;
  }
  if (text) r.error_code = text->err;
  if (const Tlv* ne = sm.FindTlv(tag::kNetworkErrorCode); ne != nullptr && ne->value.size() == 3) {
    r.error_code = std::to_string(static_cast<uint8_t>(ne->value[0])) + ":" +
                   std::to_string((static_cast<uint8_t>(ne->value[1]) << 8) |
                                  static_cast<uint8_t>(ne->value[2]));
  }
  return r;
}

}  // namespace sd::smpp
