#pragma once
// What one benchmark run starts: the daemon's configuration text, the simulator's command
// line, and how the simulator's stats file is read back. Kept apart from the process
// handling so that it can be unit-tested without starting anything.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sd::bench {

struct RunSetup {
  std::string redis_host = "127.0.0.1";
  int redis_port = 0;
  bool redis_unix = false;   // the daemon talks to Redis over dir/redis.sock
  std::string redis_socket;  // or over this socket (connect mode); wins over redis_unix
  int batch = 512;
  int linger_ms = 0;  // the daemon's [redis] read_linger_ms and write_linger_ms
  bool plain_writes = false;  // the daemon's [redis] plain_writes
  int wait_replicas = 0;      // the daemon's [redis] wait_replicas
  int max_inflight = 4096;
  int sim_port = 0;
  int window = 256;
  int binds = 1;                   // transmit/transceiver binds of the one carrier, per daemon
  int max_unsettled = -1;          // the carrier's max_unsettled; < 0: the daemon's default
  int daemons = 1;                 // daemons sharing the simulator: it admits binds x daemons
  std::string consumer = "bench";  // the daemon's consumer name, distinct per daemon
  int smsc_latency_ms = 1;
  int receipt_delay_ms = 10;
  bool http = false;    // --carrier http: http-sim and a webhook [listener]
  int listen_port = 0;  // http: this daemon's listener (receipts come back to it)
  // --cluster: the masters' ports (seeds); the daemon then has shards = their count and the
  // tagged names.
  std::vector<int> cluster_ports;
};

// smsdispatchd.toml, relative paths resolved against the run directory (keys.toml,
// smpp.pw, redis.sock). `binds = N` goes into [[carrier]] only when N > 1, so the default
// configuration stays one that every daemon version accepts.
std::string DaemonConfigText(const RunSetup& s);

// smsc-sim's argv (without the binary). --max-binds is the configured bind count times the
// daemons: the simulator refuses any bind beyond it, so a run also shows none opened more.
// With `http`: http-sim's argv (credentials, latency, receipt delay, webhook secret).
std::vector<std::string> SimArguments(const RunSetup& s, const std::string& dir);

// The top-level integer counters of smsc-sim's stats file ("name": number), without the
// per-session objects. Empty when the text is not such a JSON object.
std::map<std::string, int64_t> ParseSimStats(const std::string& json);

}  // namespace sd::bench
