#include "bench/smsc_sim/message_log.h"

#include <cerrno>
#include <cstring>

namespace sd::smsc_sim {

MessageLog::~MessageLog() {
  if (f_ != nullptr) fclose(f_);
}

std::string MessageLog::Open(const std::string& path) {
  f_ = fopen(path.c_str(), "w");
  return f_ == nullptr ? path + ": " + strerror(errno) : "";
}

// A JSON string of arbitrary bytes: quotes and backslashes escaped, every byte outside
// printable ASCII as \u00XX (the bytes, not a decoding of them).
void MessageLog::String(std::string_view s) {
  fputc('"', f_);
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      fprintf(f_, "\\%c", ch);
    } else if (ch < 0x20 || ch > 0x7e) {
      fprintf(f_, "\\u%04x", ch);
    } else {
      fputc(ch, f_);
    }
  }
  fputc('"', f_);
}

void MessageLog::Record(std::string_view system_id, const smpp::ShortMessage& sm, PartMethod method,
                        int parts, std::string_view text, int64_t received_ms) {
  if (f_ == nullptr) return;
  fputs("{\"system_id\":", f_);
  String(system_id);
  fputs(",\"source\":", f_);
  String(sm.source_addr);
  fputs(",\"dest\":", f_);
  String(sm.destination_addr);
  // The addresses' TON/NPI and the validity_period as sent (already checked: digits and a
  // sign only), so tests can check what the ESME put on the wire.
  fprintf(f_, ",\"source_ton\":%u,\"source_npi\":%u,\"dest_ton\":%u,\"dest_npi\":%u,\"validity\":",
          sm.source_addr_ton, sm.source_addr_npi, sm.dest_addr_ton, sm.dest_addr_npi);
  String(sm.validity_period);
  fprintf(f_, ",\"data_coding\":%u,\"method\":\"%s\",\"parts\":%d,\"received_ms\":%lld,\"hex\":\"",
          sm.data_coding, std::string(PartMethodName(method)).c_str(), parts,
          static_cast<long long>(received_ms));
  for (unsigned char ch : text) fprintf(f_, "%02x", ch);
  fputs("\"}\n", f_);
  fflush(f_);
}

}  // namespace sd::smsc_sim
