#pragma once
// An AuditSink that writes each event as one log line (journald under systemd). The daemon
// uses it until an audit stream on Redis is configured; events are already masked
// (core/audit.h), so the log never sees a text, a secret or a whole number.
#include <spdlog/spdlog.h>

#include "core/ports.h"
#include "core/reason.h"

namespace sd {

class LogAuditSink final : public AuditSink {
 public:
  void Emit(AuditEvent e) override {
    spdlog::warn("audit: {} reason={} entry={} job={} key={} to={} detail=\"{}\"", e.action,
                 ReasonName(e.reason), e.entry_id, e.job_id, e.key_id, e.destination, e.detail);
  }
};

}  // namespace sd
