#pragma once
// --messages-file: one JSON line per whole message as the SMSC would hand it on, the user data
// in hex (it may be UCS-2 or binary) so a test can compare it byte for byte.
#include <cstdio>
#include <string>
#include <string_view>

#include "adapters/smpp/pdu.h"
#include "bench/smsc_sim/multipart.h"

namespace sd::smsc_sim {

class MessageLog {
 public:
  MessageLog() = default;
  ~MessageLog();
  MessageLog(const MessageLog&) = delete;
  MessageLog& operator=(const MessageLog&) = delete;

  // Creates (truncates) the file; returns "" or why not.
  std::string Open(const std::string& path);
  bool open() const { return f_ != nullptr; }

  // One message: the submit that completed it (its addresses, TON/NPI, validity and coding),
  // how it was split and its whole user data. received_ms: wall clock when that submit
  // arrived, so tests can compare it with a job's expiry or a key's revocation. Flushed at
  // once: tests read the file while the simulator runs.
  void Record(std::string_view system_id, const smpp::ShortMessage& sm, PartMethod method,
              int parts, std::string_view text, int64_t received_ms);

 private:
  void String(std::string_view s);
  FILE* f_ = nullptr;
};

}  // namespace sd::smsc_sim
