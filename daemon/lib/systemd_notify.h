#pragma once
// sd_notify for Type=notify units; every call is a no-op outside systemd.
#include <string>

namespace sd {

void NotifyReady();
void NotifyStopping();
void NotifyReloading();
void NotifyStatus(const std::string& status);

}  // namespace sd
