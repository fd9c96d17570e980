#pragma once
// One HTTP/1.1 request at a time out of a byte stream, with no socket: http-parser (Debian's
// libhttp-parser 2.9) underneath, our limits on top. HttpServer feeds it what a connection
// reads; the fuzzer (tests/fuzz/http_request_fuzzer.cc) feeds it anything.
#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sd::http {

struct HttpServerRequest {
  std::string method;
  std::string target;  // path and query as sent, e.g. "/v1/receipts/rest?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string peer_address;  // the TCP peer's IP address (set by the server)
  bool tls = false;
  std::string client_cert_sha256;  // the TLS client certificate's fingerprint, "" without one
  // The client the PROXY protocol header named (HttpServerOptions::proxy_protocol), "" without
  // one. Believed only when the peer is a trusted proxy (api_answers.h ApiClientAddress).
  std::string proxied_address;

  const std::string& Header(const std::string& lower_name) const;  // "" when absent
  std::string Path() const;  // target without the query
};

class HttpRequestParser {
 public:
  enum class Result {
    kNeedMore,  // every byte consumed, no whole request yet
    kRequest,   // a whole request: TakeRequest(); the bytes after it are not consumed
    kError,     // refused: error_status() (400, 413 or 431) and error(); parse no further
  };

  HttpRequestParser(size_t max_header_bytes, size_t max_body_bytes);
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Parses from the start of `data`; *consumed says how many bytes were used (the caller
  // keeps the rest for the next call).
  Result Parse(std::string_view data, size_t* consumed);
  // The request Parse returned kRequest for; the parser is then ready for the next one.
  HttpServerRequest TakeRequest() { return std::move(req_); }
  // Whether the connection may stay open after answering the last request (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with keep-alive).
  bool keep_alive() const { return keep_alive_; }
  // Whether bytes of a request have been parsed that did not make a whole request yet.
  bool in_request() const { return in_request_; }
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }

 private:
  static const http_parser_settings& Settings();
  bool CountHeader(size_t len);

  http_parser parser_{};
  size_t max_header_bytes_;
  size_t max_body_bytes_;
  HttpServerRequest req_;
  std::string field_;
  bool in_value_ = false;
  bool in_request_ = false;
  bool keep_alive_ = false;
  size_t header_bytes_ = 0;
  int limit_status_ = 0;  // a limit hit inside a callback: 413 or 431
  int error_status_ = 0;
  std::string error_;
};

}  // namespace sd::http
