// libFuzzer target for the PROXY protocol v2 parser (adapters/net/proxy_header.h): the first
// bytes of every connection to a listener with proxy_protocol on, sent by whoever connects.
// Properties: a header is accepted only within its bounds; what it names is an address that
// parses back; feeding the same bytes in two pieces decides the same.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/net/proxy_header.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sd::net::ParseProxyV2;
  using sd::net::ProxyHeader;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ProxyHeader h = ParseProxyV2(bytes);
  if (h.status == ProxyHeader::Status::kOk) {
    Check(h.consumed >= 16 && h.consumed <= size && h.consumed <= sd::net::kMaxProxyHeaderBytes);
    if (!h.source_address.empty()) {
      unsigned char buf[16];
      Check(inet_pton(AF_INET, h.source_address.c_str(), buf) == 1 ||
            inet_pton(AF_INET6, h.source_address.c_str(), buf) == 1);
    }
    // More bytes after a complete header change nothing about it.
    const ProxyHeader longer = ParseProxyV2(std::string(bytes) + "GET / HTTP/1.1\r\n");
    Check(longer.status == ProxyHeader::Status::kOk && longer.consumed == h.consumed &&
          longer.source_address == h.source_address);
  }
  // A prefix never decides differently from the whole, except that it may need more.
  const ProxyHeader half = ParseProxyV2(bytes.substr(0, size / 2));
  if (half.status == ProxyHeader::Status::kInvalid) {
    Check(h.status == ProxyHeader::Status::kInvalid);
  }
  if (half.status == ProxyHeader::Status::kOk) {
    Check(h.status == ProxyHeader::Status::kOk && h.consumed == half.consumed);
  }
  if (h.status == ProxyHeader::Status::kNeedMore) Check(size < sd::net::kMaxProxyHeaderBytes);
  return 0;
}
