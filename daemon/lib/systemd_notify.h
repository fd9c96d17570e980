#pragma once
// sd_notify for Type=notify units. Every call is a no-op outside systemd (NOTIFY_SOCKET
// unset), so the daemon calls them unconditionally.
#include <cstdint>
#include <string>

namespace sd {

void NotifyReady();      // READY=1: start-up finished; systemctl start returns
void NotifyStopping();   // STOPPING=1: shutdown began
void NotifyReloading();  // RELOADING=1: a reload began; NotifyReady() ends it
void NotifyStatus(const std::string& status);  // STATUS=...: shown by systemctl status

// The unit's WatchdogSec= in microseconds if systemd expects keep-alives from this process,
// else 0. Send NotifyWatchdog() at half this interval (sd_watchdog_enabled(3) advice), from
// the event loop so that a stuck loop stops the keep-alives.
uint64_t WatchdogIntervalUsec();
void NotifyWatchdog();  // WATCHDOG=1

}  // namespace sd
