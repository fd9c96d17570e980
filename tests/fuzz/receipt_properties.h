#pragma once
// Properties every receipt text must satisfy, shared by the libFuzzer target
// (tests/fuzz/receipt_fuzzer.cc traps on a violation) and the corpus replay test
// (tests/adapters/smpp/receipt_corpus_test.cc reports it). Returns the first violated property, or ""
// when all hold. Covers ParseReceiptText, ParseReceipt with and without receipt TLVs, and the
// message-id normalizer on the parsed id.
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/smpp/receipt_parser.h"
#include "core/message_id.h"

namespace sd::smpp::fuzz {

// Fields end at a separator (space, tab, CR, LF) and a value never holds a ':'.
inline bool HasSeparatorOrColon(std::string_view s) {
  return s.find_first_of(" \t\r\n:") != std::string_view::npos;
}

inline std::string CheckNormalizer(std::string_view id) {
  std::string_view trimmed = id;
  auto pad = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; };
  while (!trimmed.empty() && pad(trimmed.front())) trimmed.remove_prefix(1);
  while (!trimmed.empty() && pad(trimmed.back())) trimmed.remove_suffix(1);
  const bool acceptable = !trimmed.empty() && trimmed.size() <= kMaxMessageIdLength;
  for (MessageIdFormat f :
       {MessageIdFormat::kString, MessageIdFormat::kHex, MessageIdFormat::kDecimal}) {
    auto n = NormalizeMessageId(id, f);
    if (n.ok() != acceptable) return "normalizer accepts exactly non-empty ids of <= 64 chars";
    if (!n.ok()) continue;
    const std::string& key = n->key;
    if (key.empty()) return "normalized key is empty";
    const bool digits = key.find_first_not_of("0123456789") == std::string::npos;
    if (digits && key.size() > 1 && key[0] == '0') return "numeric key has a leading zero";
    if (n->fell_back && digits) return "a fallback key looks like a number";
    if (f != MessageIdFormat::kString && !n->fell_back && !digits) return "number key not digits";
    // Keys are fixed points: normalizing a key again in its own kind gives the same key.
    const MessageIdFormat again = (f == MessageIdFormat::kString || n->fell_back)
                                      ? MessageIdFormat::kString
                                      : MessageIdFormat::kDecimal;
    if (key.size() <= kMaxMessageIdLength) {
      auto k2 = NormalizeMessageId(key, again);
      if (!k2.ok() || k2->key != key || k2->fell_back) return "normalized key is not a fixed point";
    }
    // Up to 64 bits the hex conversion agrees with strtoull.
    if (f == MessageIdFormat::kHex && !n->fell_back) {
      std::string_view h = trimmed;
      if (h.size() > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
      while (h.size() > 1 && h[0] == '0') h.remove_prefix(1);
      if (h.size() <= 16) {
        const std::string hs(h);
        if (std::to_string(std::strtoull(hs.c_str(), nullptr, 16)) != key) {
          return "hex key disagrees with strtoull";
        }
      }
    }
  }
  return "";
}

inline std::string CheckReceiptText(std::string_view text) {
  const std::optional<ReceiptText> r = ParseReceiptText(text);
  if (r) {
    if (r->id.empty()) return "parsed receipt has an empty id";
    if (HasSeparatorOrColon(r->id) || HasSeparatorOrColon(r->stat) || HasSeparatorOrColon(r->err)) {
      return "a parsed field holds a separator or a colon";
    }
    for (const std::string* f : {&r->id, &r->stat, &r->err}) {
      if (text.find(*f) == std::string_view::npos) return "a parsed field is not in the text";
    }
    if (std::string e = CheckNormalizer(r->id); !e.empty()) return e;
  }

  // As a text-only receipt (esm_class 0x04, no TLVs) it is exactly the text parse.
  ShortMessage sm;
  sm.esm_class = 0x04;
  sm.short_message = std::string(text);
  const std::optional<Receipt> rec = ParseReceipt(sm, "fuzz");
  if (rec.has_value() != r.has_value()) return "ParseReceipt disagrees with ParseReceiptText";
  if (rec) {
    if (rec->carrier != "fuzz" || rec->message_id != r->id || rec->carrier_status != r->stat ||
        rec->error_code != r->err || rec->state != ReceiptStateFromStat(r->stat)) {
      return "ParseReceipt fields differ from the text parse";
    }
  }
  // Without the receipt flag and TLVs it is a mobile-originated message, never a receipt.
  sm.esm_class = 0x00;
  if (ParseReceipt(sm, "fuzz")) return "an MO message was taken for a receipt";

  // With TLVs built from the same bytes the TLVs win over the text.
  sm.esm_class = 0x04;
  const std::string rid = std::string(text.substr(0, 65)) + std::string(2, '\0');
  sm.tlvs.push_back(Tlv{tag::kReceiptedMessageId, rid});
  if (!text.empty()) sm.tlvs.push_back(Tlv{tag::kMessageState, std::string(text.substr(0, 1))});
  if (text.size() >= 3)
    sm.tlvs.push_back(Tlv{tag::kNetworkErrorCode, std::string(text.substr(0, 3))});
  const std::optional<Receipt> tl = ParseReceipt(sm, "fuzz");
  if (!tl) return "a receipt with receipted_message_id was not parsed";
  if (!tl->message_id.empty() && tl->message_id.back() == '\0') return "message id keeps a NUL";
  if (rid.compare(0, tl->message_id.size(), tl->message_id) != 0) return "TLV id not taken";
  if (!text.empty()) {
    const auto st = static_cast<uint8_t>(text[0]);
    const bool known = (st >= 1 && st <= 6) || st == 8;
    if (known == (tl->state == ReceiptState::kUnknown)) return "message_state TLV not mapped";
  }
  if (text.size() >= 3 && tl->error_code.find(':') == std::string::npos) {
    return "network_error_code TLV not used";
  }
  return "";
}

}  // namespace sd::smpp::fuzz
