// The config-to-adapter mapping: each key lands in the option it names, with its unit
// converted (seconds to ms, percent to a fraction) and each enum name mapped. Every value
// below differs from its default and from the others, so a swapped or forgotten line fails.
#include "daemon/lib/adapter_options.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(StoreOptionsFrom, EveryRedisKeyReachesItsOption) {
  Config c;
  c.daemon.consumer = "gw-7";
  c.redis.host = "10.0.0.9";
  c.redis.port = 6390;
  c.redis.unix_socket = "/run/r.sock";
  c.redis.user = "sd";
  c.redis.password = "pw";
  c.redis.jobs_stream = "j";
  c.redis.group = "g";
  c.redis.outcomes_stream = "o";
  c.redis.receipts_stream = "r";
  c.redis.dead_letter_stream = "d";
  c.redis.quarantine_stream = "q";
  c.redis.key_prefix = "p:";
  c.redis.batch = 11;
  c.redis.block_ms = 12;
  c.redis.read_linger_ms = 13;
  c.redis.write_linger_ms = 14;
  c.redis.plain_writes = true;
  c.redis.wait_replicas = 2;
  c.redis.wait_timeout_ms = 300;
  c.redis.claim_idle_ms = 15;
  c.redis.claim_interval_ms = 16;
  c.redis.max_deliveries = 17;
  c.redis.correlation_ttl_s = 18;
  c.redis.unmatched_receipt_wait_ms = 19;
  c.redis.outcome_maxlen = 20;
  c.redis.audit_stream = "a";
  c.redis.audit_maxlen = 21;
  c.redis.audit_queue_max = 22;
  c.redis.audit_burst_per_minute = 23;
  c.redis.delayed_set = "ds";
  c.redis.defer_move_interval_ms = 24;
  c.redis.defer_move_batch = 25;
  const redis::RedisStoreOptions o = StoreOptionsFrom(c);
  EXPECT_EQ(o.consumer, "gw-7");
  EXPECT_EQ(o.endpoint.host, "10.0.0.9");
  EXPECT_EQ(o.endpoint.port, 6390);
  EXPECT_EQ(o.endpoint.unix_socket, "/run/r.sock");
  EXPECT_EQ(o.endpoint.user, "sd");
  EXPECT_EQ(o.endpoint.password, "pw");
  EXPECT_EQ(o.jobs_stream, "j");
  EXPECT_EQ(o.group, "g");
  EXPECT_EQ(o.outcomes_stream, "o");
  EXPECT_EQ(o.receipts_stream, "r");
  EXPECT_EQ(o.dead_letter_stream, "d");
  EXPECT_EQ(o.quarantine_stream, "q");
  EXPECT_EQ(o.key_prefix, "p:");
  EXPECT_EQ(o.batch, 11u);
  EXPECT_EQ(o.block_ms, 12);
  EXPECT_EQ(o.read_linger_ms, 13);
  EXPECT_EQ(o.write_linger_ms, 14);
  EXPECT_TRUE(o.plain_writes);
  EXPECT_EQ(o.wait_replicas, 2);
  EXPECT_EQ(o.wait_timeout_ms, 300);
  EXPECT_EQ(o.claim_idle_ms, 15);
  EXPECT_EQ(o.claim_interval_ms, 16);
  EXPECT_EQ(o.max_deliveries, 17);
  EXPECT_EQ(o.correlation_ttl_ms, 18'000) << "seconds in the config, ms in the store";
  EXPECT_EQ(o.unmatched_receipt_wait_ms, 19);
  EXPECT_EQ(o.outcome_maxlen, 20);
  EXPECT_EQ(o.audit_stream, "a");
  EXPECT_EQ(o.audit_maxlen, 21);
  EXPECT_EQ(o.audit_queue_max, 22u);
  EXPECT_EQ(o.audit_burst_per_minute, 23);
  EXPECT_EQ(o.delayed_set, "ds");
  EXPECT_EQ(o.defer_move_interval_ms, 24);
  EXPECT_EQ(o.defer_move_batch, 25);
}

CarrierConfig DistinctCarrier() {
  CarrierConfig c;
  c.name = "acme";
  c.host = "smsc.example";
  c.port = 2776;
  c.system_id = "sys";
  c.password = "pw";
  c.system_type = "VMA";
  c.bind = "transmitter";
  c.window = 31;
  c.response_timeout_ms = 32;
  c.enquire_link_interval_ms = 33;
  c.max_missed_enquire_links = 34;
  c.reconnect_initial_ms = 35;
  c.reconnect_max_ms = 36;
  c.binds = 37;
  c.receiver_binds = 38;
  c.tps = 39;
  c.min_tps = 40;
  c.adjust_interval_ms = 41;
  c.increase_tps = 42;
  c.refusal_margin_percent = 43;
  c.throttle_pause_ms = 44;
  c.max_throttle_pause_ms = 45;
  c.validity = "relative";
  c.source_ton = 5;
  c.source_npi = 0;
  c.dest_ton = 2;
  c.dest_npi = 9;
  c.split = "sar";
  c.data_coding = "ucs2";
  c.submit_id_format = "hex";
  c.receipt_id_format = "decimal";
  c.max_throttled_attempts = 46;
  c.max_temporary_attempts = 47;
  c.temporary_statuses = {0x58, 0x400};
  c.tls_server_name = "smsc.example.net";
  return c;
}

TEST(CarrierOptionsFrom, EverySmppKeyReachesItsOption) {
  const smpp::SmppCarrierOptions o = CarrierOptionsFrom(DistinctCarrier());
  EXPECT_EQ(o.name, "acme");
  EXPECT_EQ(o.host, "smsc.example");
  EXPECT_EQ(o.port, 2776);
  EXPECT_EQ(o.session.system_id, "sys");
  EXPECT_EQ(o.session.password, "pw");
  EXPECT_EQ(o.session.system_type, "VMA");
  EXPECT_EQ(o.session.bind, smpp::BindType::kTransmitter);
  EXPECT_EQ(o.session.window, 31u);
  EXPECT_EQ(o.session.response_timeout_ms, 32);
  EXPECT_EQ(o.session.enquire_link_interval_ms, 33);
  EXPECT_EQ(o.session.max_missed_enquire_links, 34);
  EXPECT_EQ(o.reconnect_initial_ms, 35);
  EXPECT_EQ(o.reconnect_max_ms, 36);
  EXPECT_EQ(o.transmit_binds, 37);
  EXPECT_EQ(o.receiver_binds, 38);
  EXPECT_DOUBLE_EQ(o.rate.tps, 39);
  EXPECT_DOUBLE_EQ(o.rate.min_tps, 40);
  EXPECT_EQ(o.rate.adjust_interval_ms, 41);
  EXPECT_DOUBLE_EQ(o.rate.increase_tps, 42);
  EXPECT_DOUBLE_EQ(o.rate.refusal_margin, 0.43) << "percent in the config, a fraction here";
  EXPECT_EQ(o.rate.throttle_pause_ms, 44);
  EXPECT_EQ(o.rate.max_throttle_pause_ms, 45);
  EXPECT_EQ(o.parts.validity, smpp::ValidityMode::kRelative);
  EXPECT_EQ(o.parts.addresses.source_ton, 5);
  EXPECT_EQ(o.parts.addresses.source_npi, 0);
  EXPECT_EQ(o.parts.addresses.dest_ton, 2);
  EXPECT_EQ(o.parts.addresses.dest_npi, 9);
  EXPECT_EQ(o.parts.split, *SplitMethodFromName("sar"));
  EXPECT_EQ(o.parts.coding, smpp::DataCodingChoice::kUcs2);
  EXPECT_EQ(o.ids.submit_format(), MessageIdFormat::kHex);
  EXPECT_EQ(o.ids.receipt_format(), MessageIdFormat::kDecimal);
  EXPECT_EQ(o.max_throttled_attempts, 46);
  EXPECT_EQ(o.max_temporary_attempts, 47);
  EXPECT_EQ(o.extra_temporary_statuses, (std::vector<uint32_t>{0x58, 0x400}));
  EXPECT_EQ(o.tls_server_name, "smsc.example.net");
  EXPECT_EQ(o.tls, nullptr);
}

TEST(CarrierOptionsFrom, EachEnumNameMapsToItsValue) {
  CarrierConfig c = DistinctCarrier();
  c.bind = "transceiver";
  c.validity = "off";
  c.data_coding = "auto";
  smpp::SmppCarrierOptions o = CarrierOptionsFrom(c);
  EXPECT_EQ(o.session.bind, smpp::BindType::kTransceiver);
  EXPECT_EQ(o.parts.validity, smpp::ValidityMode::kOff);
  EXPECT_EQ(o.parts.coding, smpp::DataCodingChoice::kAuto);
  c.bind = "receiver";
  c.validity = "absolute";
  for (const char* split : {"udh8", "udh16", "payload"}) {
    c.split = split;
    o = CarrierOptionsFrom(c);
    EXPECT_EQ(o.session.bind, smpp::BindType::kReceiver);
    EXPECT_EQ(o.parts.validity, smpp::ValidityMode::kAbsolute);
    EXPECT_EQ(o.parts.split, *SplitMethodFromName(split)) << split;
  }
}

}  // namespace
}  // namespace sd
