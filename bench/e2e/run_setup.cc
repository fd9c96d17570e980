#include "bench/e2e/run_setup.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace sd::bench {

namespace {

// Where the daemon finds Redis: the one server, or the cluster's seeds with every name under
// the shard tag and shards = the masters.
std::string RedisPlace(const RunSetup& s) {
  if (s.cluster_ports.empty()) {
    // A server reached only by its socket (--redis-socket) has no port to name.
    return "host = \"" + s.redis_host + "\"\n" +
           (s.redis_port > 0 ? "port = " + std::to_string(s.redis_port) + "\n" : std::string());
  }
  std::string seeds;
  for (int port : s.cluster_ports) {
    seeds += (seeds.empty() ? "\"" : ", \"") + s.redis_host + ":" + std::to_string(port) + "\"";
  }
  std::string names = "cluster = [" + seeds +
                      "]\nshards = " + std::to_string(s.cluster_ports.size()) +
                      "\nkey_prefix = \"sd:{0}:\"\n";
  static const std::pair<const char*, const char*> kNames[] = {
      {"jobs_stream", "jobs"},
      {"outcomes_stream", "outcomes"},
      {"receipts_stream", "receipts"},
      {"dead_letter_stream", "dead"},
      {"quarantine_stream", "receipts:unmatched"},
      {"audit_stream", "audit"},
      {"delayed_set", "delayed"}};
  for (const auto& [key, suffix] : kNames) {
    names += std::string(key) + " = \"sd:{0}:" + suffix + "\"\n";
  }
  return names;
}

}  // namespace

std::string DaemonConfigText(const RunSetup& s) {
  std::ostringstream cfg;
  cfg << "[daemon]\nlog_level = \"warn\"\nmax_inflight = " << s.max_inflight
      << "\nstats_interval_ms = 60000\nconsumer = \"" << s.consumer << "\"\n"
      << "[redis]\n"
      << RedisPlace(s) << "batch = " << s.batch << "\nblock_ms = 100\n"
      << (s.linger_ms > 0 ? "read_linger_ms = " + std::to_string(s.linger_ms) +
                                "\nwrite_linger_ms = " + std::to_string(s.linger_ms) + "\n"
                          : std::string())
      << (s.plain_writes ? "plain_writes = true\n" : "")
      << (s.wait_replicas > 0 ? "wait_replicas = " + std::to_string(s.wait_replicas) + "\n"
                              : std::string())
      << (!s.redis_socket.empty() ? "unix_socket = \"" + s.redis_socket + "\"\n"
          : s.redis_unix          ? std::string("unix_socket = \"redis.sock\"\n")
                                  : std::string())
      << "[keys]\nfile = \"keys.toml\"\n"
      // On a cluster every name the daemon uses carries shard 0's tag, the inbound stream too.
      << (s.cluster_ports.empty() ? "" : "[inbound]\nstream = \"sd:{0}:inbound\"\n");
  if (s.http) {
    const std::string listen = "127.0.0.1:" + std::to_string(s.listen_port);
    cfg << "[[carrier]]\nname = \"sim\"\nprotocol = \"http\"\npreset = \"messages-form\"\n"
        << "url = \"http://127.0.0.1:" << s.sim_port << "/Messages.json\"\n"
        << "username = \"bench\"\nsecret_file = \"smpp.pw\"\n"
        << "idempotency_header = \"Idempotency-Key\"\nmax_connections = 32\nhttp2 = false\n"
        << "callback_url = \"http://" << listen << "/v1/receipts/sim\"\nwindow = " << s.window
        << "\n";
    if (s.max_unsettled >= 0) cfg << "max_unsettled = " << s.max_unsettled << "\n";
    cfg << "[carrier.webhook]\nsecret_files = [\"hook.secret\"]\n"
        << "[listener]\nlisten = \"" << listen << "\"\nplain = true\nmax_connections = 1024\n";
    return cfg.str();
  }
  cfg << "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = " << s.sim_port
      << "\nsystem_id = \"bench\"\npassword_file = \"smpp.pw\"\nwindow = " << s.window << "\n";
  if (s.binds > 1) cfg << "binds = " << s.binds << "\n";
  if (s.max_unsettled >= 0) cfg << "max_unsettled = " << s.max_unsettled << "\n";
  return cfg.str();
}

std::vector<std::string> SimArguments(const RunSetup& s, const std::string& dir) {
  if (s.http) {
    return {"--port", "0", "--port-file", dir + "/sim.port", "--username", "bench", "--password",
            "benchpw", "--latency-ms", std::to_string(s.smsc_latency_ms), "--receipt-delay-ms",
            std::to_string(s.receipt_delay_ms), "--webhook-secret", "benchhook", "--stats-file",
            dir + "/sim.json"};
  }
  return {"--port",
          "0",
          "--port-file",
          dir + "/sim.port",
          "--system-id",
          "bench",
          "--password",
          "benchpw",
          "--submit-latency-ms",
          std::to_string(s.smsc_latency_ms),
          "--receipt-delay-ms",
          std::to_string(s.receipt_delay_ms),
          "--max-binds",
          std::to_string(s.binds * s.daemons),
          "--stats-file",
          dir + "/sim.json"};
}

std::map<std::string, int64_t> ParseSimStats(const std::string& json) {
  std::map<std::string, int64_t> out;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [name, value] : j.items()) {
    if (value.is_number_integer()) out[name] = value.get<int64_t>();
  }
  return out;
}

}  // namespace sd::bench
