#pragma once
// The simulator's stats file (docs/simulator.md): every counter, the queues' sizes and one
// object per bound session, as one line of JSON replaced atomically so readers never see half.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/smsc_sim/sim_counters.h"

namespace sd::smsc_sim {

struct SessionStats {
  uint64_t id = 0;
  std::string system_id;  // as the client sent it; invalid UTF-8 is replaced in the file
  std::string bind;       // tx, rx or trx
  SessionCounters counters;
};

// What the counters do not hold: the queues' sizes at the moment of writing.
struct QueueSizes {
  uint64_t receipts_waiting = 0;
  uint64_t receipts_scheduled = 0;
  uint64_t reassembly_pending = 0;
};

// The file's content: totals first (a flat "name":number scan of the file finds them), then
// "sessions", whose fields carry a session_ prefix so that scan never confuses them.
std::string StatsJson(const Counters& c, const QueueSizes& q,
                      const std::vector<SessionStats>& sessions);

class StatsFile {
 public:
  explicit StatsFile(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  // Writes path.tmp and renames it over path. A failure is reported on stderr once, not
  // every period.
  void Write(const std::string& json);

 private:
  std::string path_;
  bool error_logged_ = false;
};

}  // namespace sd::smsc_sim
