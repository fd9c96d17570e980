#pragma once
// The adapters' option structs filled from the loaded config: one place maps each config key
// to the option it sets (docs/configuration.md names both).
#include "adapters/redis/inbound_store.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/smpp/smpp_carrier.h"
#include "daemon/lib/config.h"

namespace sd {

redis::RedisStoreOptions StoreOptionsFrom(const Config& c);
// The config refuses invalid names (split, id formats, bind, validity) before this runs.
smpp::SmppCarrierOptions CarrierOptionsFrom(const CarrierConfig& c);
redis::InboundStoreOptions InboundOptionsFrom(const Config& c);

}  // namespace sd
