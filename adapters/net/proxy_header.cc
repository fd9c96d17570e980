#include "adapters/net/proxy_header.h"

#include <arpa/inet.h>

#include <cstring>

namespace sd::net {
namespace {

constexpr std::string_view kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

ProxyHeader Invalid(std::string problem) {
  ProxyHeader h;
  h.status = ProxyHeader::Status::kInvalid;
  h.problem = std::move(problem);
  return h;
}

uint16_t Be16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}

std::string Address(int family, const char* raw) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, raw, text, sizeof text) == nullptr) return {};
  return text;
}

}  // namespace

ProxyHeader ParseProxyV2(std::string_view b) {
  // The signature first, byte by byte, so anything else is refused as soon as it differs.
  const size_t sig = std::min(b.size(), kSignature.size());
  if (b.substr(0, sig) != kSignature.substr(0, sig)) {
    return Invalid("not a PROXY protocol v2 header");
  }
  if (b.size() < 16) return {};
  const auto ver_cmd = static_cast<uint8_t>(b[12]);
  const auto fam = static_cast<uint8_t>(b[13]);
  const size_t len = Be16(b, 14);
  if ((ver_cmd >> 4) != 2) return Invalid("PROXY protocol version is not 2");
  const uint8_t cmd = ver_cmd & 0x0f;
  if (cmd > 1) return Invalid("PROXY protocol command is neither LOCAL nor PROXY");
  if (16 + len > kMaxProxyHeaderBytes) return Invalid("PROXY protocol header too long");
  if (b.size() < 16 + len) return {};
  ProxyHeader h;
  h.status = ProxyHeader::Status::kOk;
  h.consumed = 16 + len;
  if (cmd == 0) return h;  // LOCAL: the proxy speaking for itself
  const std::string_view body = b.substr(16, len);
  if (fam == 0x11) {  // TCP over IPv4: src, dst, src port, dst port
    if (len < 12) return Invalid("PROXY protocol IPv4 addresses truncated");
    h.source_address = Address(AF_INET, body.data());
    h.source_port = Be16(body, 8);
  } else if (fam == 0x21) {  // TCP over IPv6
    if (len < 36) return Invalid("PROXY protocol IPv6 addresses truncated");
    h.source_address = Address(AF_INET6, body.data());
    h.source_port = Be16(body, 32);
  }
  // Any other family (UNSPEC, UDP, unix sockets): the header is skipped and the connection's
  // own peer address stands, as the specification asks of a receiver.
  return h;
}

}  // namespace sd::net
