#include "daemon/lib/adapter_options.h"

#include <algorithm>

namespace sd {

redis::RedisStoreOptions StoreOptionsFrom(const Config& c) {
  redis::RedisStoreOptions o;
  o.endpoint.host = c.redis.host;
  o.endpoint.port = c.redis.port;
  o.endpoint.unix_socket = c.redis.unix_socket;
  o.endpoint.user = c.redis.user;
  o.endpoint.password = c.redis.password;
  o.endpoint.cluster_seeds = c.redis.cluster;
  o.endpoint.cluster_slot = c.redis.cluster_slot;
  o.jobs_stream = c.redis.jobs_stream;
  o.group = c.redis.group;
  o.consumer = c.daemon.consumer;
  o.outcomes_stream = c.redis.outcomes_stream;
  o.receipts_stream = c.redis.receipts_stream;
  o.dead_letter_stream = c.redis.dead_letter_stream;
  o.quarantine_stream = c.redis.quarantine_stream;
  o.key_prefix = c.redis.key_prefix;
  o.batch = static_cast<size_t>(c.redis.batch);
  o.block_ms = c.redis.block_ms;
  o.read_linger_ms = c.redis.read_linger_ms;
  o.write_linger_ms = c.redis.write_linger_ms;
  o.plain_writes = c.redis.plain_writes;
  o.wait_replicas = c.redis.wait_replicas;
  o.wait_timeout_ms = c.redis.wait_timeout_ms;
  o.claim_idle_ms = c.redis.claim_idle_ms;
  o.claim_interval_ms = c.redis.claim_interval_ms;
  o.max_deliveries = c.redis.max_deliveries;
  o.correlation_ttl_ms = c.redis.correlation_ttl_s * 1000;
  o.unmatched_receipt_wait_ms = c.redis.unmatched_receipt_wait_ms;
  o.outcome_maxlen = c.redis.outcome_maxlen;
  o.audit_stream = c.redis.audit_stream;
  o.audit_maxlen = c.redis.audit_maxlen;
  o.audit_queue_max = static_cast<size_t>(c.redis.audit_queue_max);
  o.audit_burst_per_minute = c.redis.audit_burst_per_minute;
  o.delayed_set = c.redis.delayed_set;
  o.defer_move_interval_ms = c.redis.defer_move_interval_ms;
  o.defer_move_batch = c.redis.defer_move_batch;
  return o;
}

smpp::SmppCarrierOptions CarrierOptionsFrom(const CarrierConfig& c) {
  smpp::SmppCarrierOptions o;
  o.name = c.name;
  o.host = c.host;
  o.port = c.port;
  o.session.system_id = c.system_id;
  o.session.password = c.password;
  o.session.system_type = c.system_type;
  o.session.bind = c.bind == "transmitter" ? smpp::BindType::kTransmitter
                   : c.bind == "receiver"  ? smpp::BindType::kReceiver
                                           : smpp::BindType::kTransceiver;
  o.session.window = static_cast<size_t>(c.window);
  o.session.response_timeout_ms = c.response_timeout_ms;
  o.session.enquire_link_interval_ms = c.enquire_link_interval_ms;
  o.session.max_missed_enquire_links = static_cast<int>(c.max_missed_enquire_links);
  o.reconnect_initial_ms = c.reconnect_initial_ms;
  o.reconnect_max_ms = c.reconnect_max_ms;
  o.transmit_binds = static_cast<int>(c.binds);
  o.receiver_binds = static_cast<int>(c.receiver_binds);
  o.rate.tps = static_cast<double>(c.tps);
  o.rate.min_tps = static_cast<double>(c.min_tps);
  o.rate.adjust_interval_ms = c.adjust_interval_ms;
  o.rate.increase_tps = static_cast<double>(c.increase_tps);
  o.rate.refusal_margin = static_cast<double>(c.refusal_margin_percent) / 100;
  o.rate.throttle_pause_ms = c.throttle_pause_ms;
  o.rate.max_throttle_pause_ms = c.max_throttle_pause_ms;
  o.parts.validity = c.validity == "off"        ? smpp::ValidityMode::kOff
                     : c.validity == "relative" ? smpp::ValidityMode::kRelative
                                                : smpp::ValidityMode::kAbsolute;
  o.parts.addresses.source_ton = static_cast<int>(c.source_ton);
  o.parts.addresses.source_npi = static_cast<int>(c.source_npi);
  o.parts.addresses.dest_ton = static_cast<uint8_t>(c.dest_ton);
  o.parts.addresses.dest_npi = static_cast<uint8_t>(c.dest_npi);
  o.parts.split = *SplitMethodFromName(c.split);  // the config only lets valid names in
  o.parts.coding =
      c.data_coding == "ucs2" ? smpp::DataCodingChoice::kUcs2 : smpp::DataCodingChoice::kAuto;
  o.ids = MessageIdNormalizer(*MessageIdFormatFromName(c.submit_id_format),
                              *MessageIdFormatFromName(c.receipt_id_format));
  o.max_throttled_attempts = static_cast<int>(c.max_throttled_attempts);
  o.max_temporary_attempts = static_cast<int>(c.max_temporary_attempts);
  o.extra_temporary_statuses = c.temporary_statuses;
  o.tls = c.tls;
  o.tls_server_name = c.tls_server_name;
  o.mo_default_coding = ParseMoCoding(c.mo_alphabet).value_or(MoCoding::kGsm7);
  return o;
}

redis::InboundStoreOptions InboundOptionsFrom(const Config& c) {
  redis::InboundStoreOptions o;
  o.stream = c.inbound.stream;
  o.key_prefix = c.redis.key_prefix;
  o.maxlen = c.inbound.maxlen;
  o.part_timeout_ms = c.inbound.part_timeout_ms;
  o.dedupe_window_ms = std::max<int64_t>(c.inbound.dedupe_window_ms, 1);
  o.max_queued = c.inbound.max_queued;
  if (c.optouts.enabled) o.optout_rules = std::make_shared<const OptOutRules>(c.optouts);
  o.audit_stream = c.redis.audit_stream;
  o.wait_replicas = c.redis.wait_replicas;
  o.wait_timeout_ms = c.redis.wait_timeout_ms;
  o.audit_maxlen = c.redis.audit_maxlen;
  return o;
}

}  // namespace sd
