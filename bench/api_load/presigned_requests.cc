#include "bench/api_load/presigned_requests.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "adapters/http/api_auth.h"

namespace sd::bench {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string Request(const PresignOptions& o, int n, int64_t ts) {
  char to[32];
  std::snprintf(to, sizeof to, "+49151%08d", n % o.numbers);
  // A client_ref per request, as api-load: equal bodies in one millisecond would share a
  // signature, and the second is (rightly) refused as a replay.
  const std::string body = nlohmann::json{{"to", to},
                                          {"from", "BENCH"},
                                          {"text", "Your code is 123456"},
                                          {"kind", "otp"},
                                          {"client_ref", "wrk-" + std::to_string(n)}}
                               .dump();
  std::string r = "POST /v1/messages HTTP/1.1\r\nHost: " + o.host +
                  "\r\nContent-Type: application/json\r\nSD-Key-Id: " + o.kid +
                  "\r\nSD-Timestamp: " + std::to_string(ts) + "\r\nSD-Signature: " +
                  http::ApiSignature(o.secret, "POST", "/v1/messages", ts, body) +
                  "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  r.push_back('\0');
  return r;
}

}  // namespace

bool WritePresignedRequests(const PresignOptions& o, std::string* error) {
  std::vector<File> files;
  for (int t = 1; t <= o.threads; ++t) {
    const std::string path = o.prefix + "-" + std::to_string(t) + ".bin";
    files.emplace_back(std::fopen(path.c_str(), "wb"));
    if (!files.back()) {
      *error = "cannot write " + path;
      return false;
    }
  }
  const int64_t ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  for (int n = 0; n < o.requests; ++n) {
    const std::string r = Request(o, n, ts);
    std::FILE* f = files[static_cast<size_t>(n % o.threads)].get();
    if (std::fwrite(r.data(), 1, r.size(), f) != r.size()) {
      *error = "short write to " + o.prefix + "-*.bin";
      return false;
    }
  }
  for (File& f : files) {
    if (std::fflush(f.get()) != 0) {
      *error = "cannot flush " + o.prefix + "-*.bin";
      return false;
    }
  }
  return true;
}

}  // namespace sd::bench
