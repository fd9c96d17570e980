#include "daemon/lib/systemd_notify.h"

#include <systemd/sd-daemon.h>

namespace sd {

// Return values are ignored on purpose: a lost notification is not a reason to stop
// dispatching, and systemd itself reports a unit that never became ready.
void NotifyReady() { sd_notify(0, "READY=1"); }
void NotifyStopping() { sd_notify(0, "STOPPING=1"); }
void NotifyReloading() { sd_notify(0, "RELOADING=1"); }

void NotifyStatus(const std::string& status) {
  // One line: a newline would start a new assignment in the notification message.
  std::string line = "STATUS=";
  for (char c : status) line += (c == '\n' || c == '\r') ? ' ' : c;
  sd_notify(0, line.c_str());
}

uint64_t WatchdogIntervalUsec() {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) names this process.
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void NotifyWatchdog() { sd_notify(0, "WATCHDOG=1"); }

}  // namespace sd
