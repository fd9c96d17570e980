#include "adapters/redis/optout_writes.h"

#include "core/audit.h"
#include "core/log_safe.h"

namespace sd::redis {

OptOutKeys OptOutKeys::For(const std::string& key_prefix, const std::string& audit_stream) {
  return {key_prefix + "optouts", key_prefix + "optouts:version", key_prefix + "optouts:log",
          audit_stream};
}

void OptOutKeys::AppendTo(std::vector<std::string>* keys) const {
  keys->insert(keys->end(), {hash, version, log, audit});
}

void AppendOptOutBlock(const std::vector<OptOutChange>& changes, const OptOutOrigin& origin,
                       int64_t audit_maxlen, std::vector<std::string>* argv, bool audit_each) {
  argv->push_back(std::to_string(kOptOutLogMaxlen));
  argv->push_back(std::to_string(std::max<int64_t>(audit_maxlen, 0)));
  argv->push_back(std::to_string(changes.size()));
  const std::string value = OptOutValue({"", "", origin.now_ms, origin.source, origin.note});
  for (const OptOutChange& c : changes) {
    argv->push_back(c.add ? "add" : "del");
    argv->push_back(OptOutField(c.scope, c.number));
    argv->push_back(c.add ? value : "");
    if (!audit_each) {
      argv->push_back("0");
      continue;
    }
    const std::string detail =
        LogSafe(c.scope + " " + origin.source + (origin.note.empty() ? "" : ": " + origin.note),
                kMaxAuditDetailBytes);
    const std::vector<std::string> ev = {
        "reason", "opted_out", "action", c.add ? "optout_added" : "optout_removed",
        "entry",  "",          "job",    "",
        "kid",    "",          "dest",   MaskNumber(c.number),
        "detail", detail,      "ts",     std::to_string(origin.now_ms)};
    argv->push_back(std::to_string(ev.size()));
    argv->insert(argv->end(), ev.begin(), ev.end());
  }
}

}  // namespace sd::redis
