#include "adapters/http/request_parser.h"

#include <algorithm>
#include <cctype>

namespace sd::http {

const std::string& HttpServerRequest::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  for (const auto& [n, v] : headers) {
    if (n == lower_name) return v;
  }
  return kEmpty;
}

std::string HttpServerRequest::Path() const { return target.substr(0, target.find('?')); }

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

HttpRequestParser* Of(http_parser* p) { return static_cast<HttpRequestParser*>(p->data); }

}  // namespace

HttpRequestParser::HttpRequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

bool HttpRequestParser::CountHeader(size_t len) {
  header_bytes_ += len;
  if (header_bytes_ <= max_header_bytes_) return true;
  limit_status_ = 431;
  return false;
}

// The callbacks are lambdas inside a member function, so they may use the parser's state.
const http_parser_settings& HttpRequestParser::Settings() {
  static const http_parser_settings s = [] {
    http_parser_settings x{};
    x.on_message_begin = [](http_parser* p) {
      HttpRequestParser* c = Of(p);
      c->req_ = HttpServerRequest{};
      c->field_.clear();
      c->in_value_ = false;
      c->header_bytes_ = 0;
      c->in_request_ = true;
      return 0;
    };
    x.on_url = [](http_parser* p, const char* at, size_t len) {
      HttpRequestParser* c = Of(p);
      if (!c->CountHeader(len)) return -1;
      c->req_.target.append(at, len);
      return 0;
    };
    x.on_header_field = [](http_parser* p, const char* at, size_t len) {
      HttpRequestParser* c = Of(p);
      if (!c->CountHeader(len)) return -1;
      if (c->in_value_) {  // a new field: the previous value is complete
        c->in_value_ = false;
        c->field_.clear();
      }
      c->field_.append(at, len);
      return 0;
    };
    x.on_header_value = [](http_parser* p, const char* at, size_t len) {
      HttpRequestParser* c = Of(p);
      if (!c->CountHeader(len)) return -1;
      if (!c->in_value_) {
        c->req_.headers.emplace_back(Lower(c->field_), std::string());
        c->in_value_ = true;
      }
      c->req_.headers.back().second.append(at, len);
      return 0;
    };
    x.on_headers_complete = [](http_parser* p) {
      HttpRequestParser* c = Of(p);
      if (p->upgrade != 0 || p->method == HTTP_CONNECT) return -1;  // not spoken here
      c->req_.method = http_method_str(static_cast<http_method>(p->method));
      // A declared length over the bound is refused before its body is read.
      if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > c->max_body_bytes_) {
        c->limit_status_ = 413;
        return -1;
      }
      return 0;
    };
    x.on_body = [](http_parser* p, const char* at, size_t len) {
      HttpRequestParser* c = Of(p);
      if (c->req_.body.size() + len > c->max_body_bytes_) {
        c->limit_status_ = 413;  // chunked bodies are counted as they come
        return -1;
      }
      c->req_.body.append(at, len);
      return 0;
    };
    x.on_message_complete = [](http_parser* p) {
      HttpRequestParser* c = Of(p);
      c->keep_alive_ = http_should_keep_alive(p) != 0;
      c->in_request_ = false;
      http_parser_pause(p, 1);  // one request at a time: execute returns here
      return 0;
    };
    return x;
  }();
  return s;
}

HttpRequestParser::Result HttpRequestParser::Parse(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (error_status_ != 0) return Result::kError;
  if (data.empty()) return Result::kNeedMore;
  *consumed = http_parser_execute(&parser_, &Settings(), data.data(), data.size());
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
    return Result::kRequest;
  }
  if (err == HPE_OK) return Result::kNeedMore;
  if (limit_status_ != 0) {
    error_status_ = limit_status_;
    error_ = limit_status_ == 413 ? "body too large" : "headers too large";
  } else {
    error_status_ = 400;
    error_ = std::string("malformed request: ") + http_errno_name(err);
  }
  return Result::kError;
}

}  // namespace sd::http
