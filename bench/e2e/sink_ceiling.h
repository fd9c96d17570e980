#pragma once
// The SMSC simulator's own ceiling: smsc-sim driven directly by the project's SMPP client
// (adapters/smpp SmppCarrier), with the binds, window, latency and receipts of the daemon runs
// but no Redis and no daemon. The benchmark measures the daemon only while the simulator sinks
// well above what the daemon sends (the issue asks for at least twice); this measures that
// claim on every run instead of assuming it.
#include <cstdint>
#include <string>

#include "bench/e2e/bench_report.h"
#include "bench/e2e/message_mix.h"

namespace sd::bench {

struct SinkSetup {
  int port = 0;          // smsc-sim already listening here
  int binds = 1;         // transceiver binds, all daemons' together
  int window = 256;      // per bind
  uint64_t jobs = 0;     // submits to send (each one job, one or more parts)
  bool receipts = true;  // wait for a receipt per accepted part
  MessageMix mix;
};

// Runs its own libuv loop until every submit is answered and every receipt is in, or a
// deadline (30 s plus 1 s per 1,000 jobs) passes.
SinkResult MeasureSinkCeiling(const SinkSetup& s);

}  // namespace sd::bench
