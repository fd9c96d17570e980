#include "bench/smsc_sim/stats_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

namespace sd::smsc_sim {
namespace {

nlohmann::ordered_json SessionsJson(const std::vector<SessionStats>& sessions) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const SessionStats& s : sessions) {
    out.push_back({{"session_id", s.id},
                   {"session_system_id", s.system_id},
                   {"session_bind", s.bind},
                   {"session_submits", s.counters.submits},
                   {"session_accepted", s.counters.accepted},
                   {"session_throttled", s.counters.throttled},
                   {"session_msgqful", s.counters.msgqful},
                   {"session_temp_errors", s.counters.temp_errors},
                   {"session_receipts_sent", s.counters.receipts_sent},
                   {"session_receipts_acked", s.counters.receipts_acked}});
  }
  return out;
}

}  // namespace

std::string StatsJson(const Counters& c, const QueueSizes& q,
                      const std::vector<SessionStats>& sessions) {
  uint64_t bound_tx = 0, bound_rx = 0, bound_trx = 0;
  for (const SessionStats& s : sessions) {
    bound_tx += s.bind == "tx";
    bound_rx += s.bind == "rx";
    bound_trx += s.bind == "trx";
  }
  const std::pair<const char*, uint64_t> fields[] = {
      {"connections", c.connections},
      {"binds", c.binds},
      {"bind_failures", c.bind_failures},
      {"submits", c.submits},
      {"submit_resps", c.submit_resps},
      {"accepted_submits", c.accepted_submits},
      {"rejected_submits", c.rejected_submits},
      {"receipts_sent", c.receipts_sent},
      {"receipts_acked", c.receipts_acked},
      {"receipts_redelivered", c.receipts_redelivered},
      {"mo_sent", c.mo_sent},
      {"mo_acked", c.mo_acked},
      {"mo_redelivered", c.mo_redelivered},
      {"mo_bad_lines", c.mo_bad_lines},
      {"receipts_waiting", q.receipts_waiting},
      {"receipts_scheduled", q.receipts_scheduled},
      {"enquire_links", c.enquire_links},
      {"unknown_pdus", c.unknown_pdus},
      {"malformed_pdus", c.malformed_pdus},
      {"unbinds", c.unbinds},
      {"read_pauses", c.read_pauses},
      {"binds_tx", c.binds_tx},
      {"binds_rx", c.binds_rx},
      {"binds_trx", c.binds_trx},
      {"bound_tx", bound_tx},
      {"bound_rx", bound_rx},
      {"bound_trx", bound_trx},
      {"bind_limit_refusals", c.bind_limit_refusals},
      {"throttled", c.throttled},
      {"msgqful", c.msgqful},
      {"temp_errors", c.temp_errors},
      {"dropped_connections", c.dropped_connections},
      {"enquire_links_ignored", c.enquire_links_ignored},
      {"receipts_dropped", c.receipts_dropped},
      {"garbage_receipts", c.garbage_receipts},
      {"expired_deliveries", c.expired_deliveries},
      {"invalid_validity", c.invalid_validity},
      {"max_window_submits", c.max_window_submits},
      {"tls_handshakes", c.tls_handshakes},
      {"tls_handshake_failures", c.tls_handshake_failures},
      {"write_overflows", c.write_overflows},
      {"parts", c.parts},
      {"payload_messages", c.payload_messages},
      {"messages", c.messages},
      {"reassembled_messages", c.reassembled_messages},
      {"reassembly_errors", c.reassembly_duplicates + c.reassembly_mismatches +
                                c.reassembly_bad_parts + c.reassembly_incomplete +
                                c.reassembly_overflows},
      {"reassembly_duplicates", c.reassembly_duplicates},
      {"reassembly_mismatches", c.reassembly_mismatches},
      {"reassembly_bad_parts", c.reassembly_bad_parts},
      {"reassembly_incomplete", c.reassembly_incomplete},
      {"reassembly_missing_parts", c.reassembly_missing_parts},
      {"reassembly_overflows", c.reassembly_overflows},
      {"reassembly_pending", q.reassembly_pending},
  };
  nlohmann::ordered_json j;
  for (const auto& [name, value] : fields) j[name] = value;
  j["sessions"] = SessionsJson(sessions);
  // The system id comes from the client: bytes that are not UTF-8 are replaced, not thrown on.
  return j.dump(-1, ' ', true, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

void StatsFile::Write(const std::string& json) {
  if (path_.empty()) return;
  const std::string tmp = path_ + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    if (!error_logged_) fprintf(stderr, "smsc-sim: %s: %s\n", tmp.c_str(), strerror(errno));
    error_logged_ = true;
    return;
  }
  fputs(json.c_str(), f);
  if (fclose(f) == 0) rename(tmp.c_str(), path_.c_str());
}

}  // namespace sd::smsc_sim
