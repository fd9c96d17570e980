// api-load: drives the producers' HTTPS API (docs/api.md) as a producer fleet would: keeps
// --concurrency requests in flight over keep-alive TLS connections (HTTP/1.1, one request per
// connection at a time, like Kannel's clients), each message HMAC-signed afresh (or bearer),
// and reports requests/s, the latency to the answer (p50/p99), the answers by status, and with
// --daemon-pid the daemon's CPU per request. Runs on the daemon's machine; a warm-up of
// --warmup requests is not counted. With --presign PREFIX it sends nothing and writes
// --requests signed requests for wrk instead (presigned_requests.h).
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/http/api_auth.h"
#include "adapters/http/curl_multi.h"
#include "bench/api_load/presigned_requests.h"
#include "bench/process/proc_usage.h"
#include "core/hex.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;  // https://localhost:8443
  std::string ca_file;
  std::string kid;
  std::string secret_hex;
  std::string auth = "hmac";
  int requests = 20'000;
  int warmup = 1'000;
  int concurrency = 64;
  int daemon_pid = 0;
  int redis_pid = 0;
  int numbers = 100'000'000;  // distinct destinations cycled through (1: one number, as wrk)
  std::string presign;        // write requests for wrk to <presign>-<thread>.bin, send none
  int presign_threads = 2;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Load {
 public:
  Load(uv_loop_t* loop, Options o) : loop_(loop), o_(std::move(o)), secret_(*sd::HexDecode(o_.secret_hex)) {
    sd::http::HttpClientOptions co;
    co.ca_file = o_.ca_file;
    co.http2 = false;
    co.max_host_connections = o_.concurrency;
    co.max_in_flight = static_cast<size_t>(o_.concurrency);
    client_ = std::make_unique<sd::http::CurlMulti>(loop_, co);
  }

  void Run() {
    for (int i = 0; i < o_.concurrency; ++i) Next();
    uv_run(loop_, UV_RUN_DEFAULT);
  }

  nlohmann::json Report() const {
    std::vector<double> sorted = latencies_ms_;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double p) {
      return sorted.empty() ? 0.0 : sorted[static_cast<size_t>(p * (sorted.size() - 1))];
    };
    const double seconds = std::chrono::duration<double>(end_ - start_).count();
    const double counted = static_cast<double>(sorted.size());
    nlohmann::json statuses;
    for (const auto& [s, n] : statuses_) statuses[std::to_string(s)] = n;
    nlohmann::json j{{"requests", sorted.size()},
                     {"seconds", seconds},
                     {"requests_per_s", seconds > 0 ? counted / seconds : 0},
                     {"p50_ms", pct(0.50)},
                     {"p99_ms", pct(0.99)},
                     {"concurrency", o_.concurrency},
                     {"auth", o_.auth},
                     {"numbers", o_.numbers},
                     {"statuses", statuses}};
    if (o_.daemon_pid > 0 && counted > 0) {
      j["daemon_cpu_us_per_request"] = (cpu_end_ - cpu_start_) * 1e6 / counted;
    }
    // The load generator's own share of the machine (TLS, HMAC, libcurl), and redis-server's
    // when its pid is given: on a shared box these bound the rate as much as the daemon does.
    if (counted > 0) {
      j["client_cpu_us_per_request"] = (self_cpu_end_ - self_cpu_start_) * 1e6 / counted;
    }
    if (o_.redis_pid > 0 && counted > 0) {
      j["redis_cpu_us_per_request"] = (redis_cpu_end_ - redis_cpu_start_) * 1e6 / counted;
    }
    return j;
  }

 private:
  void Next() {
    if (sent_ >= o_.warmup + o_.requests) return;
    const int n = sent_++;
    if (n == o_.warmup) {
      start_ = Clock::now();
      if (o_.daemon_pid > 0) cpu_start_ = sd::process::CpuSeconds(o_.daemon_pid);
      self_cpu_start_ = sd::process::CpuSeconds(getpid());
      if (o_.redis_pid > 0) redis_cpu_start_ = sd::process::CpuSeconds(o_.redis_pid);
    }
    char to[32];
    std::snprintf(to, sizeof to, "+49151%08d", n % o_.numbers);
    sd::http::HttpRequest r;
    r.url = o_.url + "/v1/messages";
    // A client_ref per request: two requests in one millisecond to one number would
    // otherwise carry the same signature, and the second is (rightly) refused as a replay.
    r.body = nlohmann::json{{"to", to},
                            {"from", "BENCH"},
                            {"text", "Your code is 123456"},
                            {"kind", "otp"},
                            {"client_ref", "bench-" + std::to_string(n)}}
                 .dump();
    r.headers = {{"Content-Type", "application/json"}};
    if (o_.auth == "bearer") {
      r.headers.emplace_back("Authorization", "Bearer " + o_.kid + ":" + o_.secret_hex);
    } else {
      const int64_t ts = WallMs();
      r.headers.emplace_back("SD-Key-Id", o_.kid);
      r.headers.emplace_back("SD-Timestamp", std::to_string(ts));
      r.headers.emplace_back("SD-Signature",
                             sd::http::ApiSignature(secret_, "POST", "/v1/messages", ts, r.body));
    }
    const auto began = Clock::now();
    const bool counted = n >= o_.warmup;
    client_->Send(std::move(r), [this, began, counted](sd::http::HttpResponse res) {
      if (counted) {
        latencies_ms_.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        ++statuses_[res.error == sd::http::TransportError::kNone ? static_cast<int>(res.status)
                                                                  : 0];
      }
      if (++done_ == o_.warmup + o_.requests) {
        end_ = Clock::now();
        if (o_.daemon_pid > 0) cpu_end_ = sd::process::CpuSeconds(o_.daemon_pid);
        self_cpu_end_ = sd::process::CpuSeconds(getpid());
        if (o_.redis_pid > 0) redis_cpu_end_ = sd::process::CpuSeconds(o_.redis_pid);
        client_->Close([] {});
        return;
      }
      Next();
    });
  }

  uv_loop_t* loop_;
  Options o_;
  std::string secret_;
  std::unique_ptr<sd::http::CurlMulti> client_;
  int sent_ = 0;
  int done_ = 0;
  Clock::time_point start_, end_;
  double cpu_start_ = 0, cpu_end_ = 0;
  double self_cpu_start_ = 0, self_cpu_end_ = 0, redis_cpu_start_ = 0, redis_cpu_end_ = 0;
  std::vector<double> latencies_ms_;
  std::map<int, long> statuses_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"api-load: load on the producers' HTTPS API (docs/api.md)"};
  app.add_option("--url", o.url, "https://host:port of [api]")->required();
  app.add_option("--ca", o.ca_file, "CA file for the API's certificate");
  app.add_option("--kid", o.kid, "key id")->required();
  app.add_option("--secret", o.secret_hex, "the key's secret, hex")->required();
  app.add_option("--auth", o.auth, "hmac (default) or bearer")->check(CLI::IsMember({"hmac", "bearer"}));
  app.add_option("--requests", o.requests, "requests counted (default 20000)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "requests before counting (default 1000)");
  app.add_option("--concurrency", o.concurrency, "requests in flight (default 64)")->check(CLI::PositiveNumber);
  app.add_option("--daemon-pid", o.daemon_pid, "the daemon's pid, for CPU per request");
  app.add_option("--redis-pid", o.redis_pid, "redis-server's pid, for its CPU per request");
  app.add_option("--numbers", o.numbers, "distinct destinations (default 1e8; 1 = one number)")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--presign", o.presign,
                 "write --requests signed requests for wrk to PREFIX-<thread>.bin");
  app.add_option("--presign-threads", o.presign_threads, "wrk threads, one file each (default 2)")
      ->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  const auto secret = sd::HexDecode(o.secret_hex);
  if (!secret) {
    std::fprintf(stderr, "api-load: --secret must be hex\n");
    return 2;
  }
  if (!o.presign.empty()) {
    const std::string after_scheme =
        o.url.substr(o.url.find("://") == std::string::npos ? 0 : o.url.find("://") + 3);
    sd::bench::PresignOptions p{o.presign,
                                o.presign_threads,
                                o.requests,
                                o.numbers,
                                after_scheme.substr(0, after_scheme.find('/')),
                                o.kid,
                                *secret};
    std::string error;
    if (!sd::bench::WritePresignedRequests(p, &error)) {
      std::fprintf(stderr, "api-load: %s\n", error.c_str());
      return 1;
    }
    return 0;
  }
  Load load(uv_default_loop(), o);
  load.Run();
  std::printf("%s\n", load.Report().dump().c_str());
  return 0;
}
