#pragma once
// The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt, section 2.2): what a load
// balancer in front of a listener sends first on each connection, before TLS, to say whom it
// accepted the connection from. Binary, fixed layout:
//   12-byte signature \r\n\r\n\0\r\nQUIT\n
//   1 byte  version (high nibble, must be 2) and command (low nibble: 0 LOCAL, 1 PROXY)
//   1 byte  family and transport (0x11 TCP over IPv4, 0x21 TCP over IPv6; others are passed
//           through as "unspecified": the connection's own peer counts)
//   2 bytes length of what follows, big-endian
//   addresses: IPv4 src, dst (4 + 4) and ports (2 + 2); IPv6 the same with 16-byte addresses;
//   then optional TLVs, which are skipped.
// Pure function over bytes (no socket), so it is unit-tested and fuzzed on its own. Whether the
// header is believed is the caller's decision: only from a configured trusted proxy.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sd::net {

// Longest header accepted: the 16 fixed bytes and 512 of addresses and TLVs (HAProxy's own
// senders stay far below; a longer one is refused rather than buffered).
inline constexpr size_t kMaxProxyHeaderBytes = 16 + 512;

struct ProxyHeader {
  enum class Status : uint8_t {
    kNeedMore,  // a prefix of a valid header: read more
    kInvalid,   // not a PROXY v2 header (or too long): close the connection
    kOk,
  };
  Status status = Status::kNeedMore;
  std::string problem;         // kInvalid: why, for the log
  size_t consumed = 0;         // kOk: header bytes; what follows is the connection's data
  std::string source_address;  // kOk, PROXY over TCP: the client's address; "" for LOCAL
                               // (the proxy's own health check) or an unspecified family
  uint16_t source_port = 0;
};

ProxyHeader ParseProxyV2(std::string_view bytes);

}  // namespace sd::net
