#pragma once
// One HTTP request and what came back, as the HTTP carriers (and their tests) see them: no
// libcurl types, so callers and the classification (http_submit_status.h) do not depend on it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sd::http {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value (sent as given)
  std::string body;
  int64_t connect_timeout_ms = 5'000;
  int64_t total_timeout_ms = 15'000;  // the whole exchange, connect included
};

// Why no HTTP status came back. Every kind but kNone means the carrier may or may not have
// acted on the request (a lost response), except kConnect and kTls: nothing was sent.
enum class TransportError : uint8_t {
  kNone,
  kConnect,   // resolve, refused, unreachable: the request never left
  kTls,       // handshake or certificate verification failed: the request never left
  kTimeout,   // connect or total timeout
  kSend,      // the connection broke while sending
  kReceive,   // the connection broke or the response was malformed while receiving
  kTooLarge,  // the response body passed the configured bound
  kOther,
};
const char* TransportErrorName(TransportError e);

struct HttpResponse {
  TransportError error = TransportError::kNone;
  std::string error_text;  // libcurl's message when error != kNone
  long status = 0;         // NOLINT(google-runtime-int): libcurl's type for the status
  // Header fields with lower-case names, in arrival order, of the final response (not of
  // 100 Continue or redirects); bounded in number and size.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // bounded (HttpClientOptions::max_response_bytes)
  int64_t elapsed_ms = 0;
  bool reused_connection = false;  // keep-alive or an HTTP/2 stream on an open connection
  long http_version = 0;           // NOLINT(google-runtime-int): 11 or 20 (HTTP/1.1, HTTP/2)

  // The first header named `lower_name`, or "" (and false from HasHeader).
  const std::string& Header(const std::string& lower_name) const;
  bool HasHeader(const std::string& lower_name) const;
};

}  // namespace sd::http
