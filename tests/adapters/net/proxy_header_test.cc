// The PROXY protocol v2 header (proxy_header.h): built here byte by byte from the
// specification (HAProxy's proxy-protocol.txt 2.2), every prefix, and what is refused.
#include "adapters/net/proxy_header.h"

#include <gtest/gtest.h>

#include <string>

namespace sd::net {
namespace {

const std::string kSig("\r\n\r\n\0\r\nQUIT\n", 12);

std::string Header(uint8_t ver_cmd, uint8_t fam, const std::string& body) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xff);
  return h + body;
}

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

TEST(ProxyHeaderTest, TcpOverIpv4NamesTheClientAndKeepsWhatFollows) {
  // src 203.0.113.7:51234, dst 10.0.0.1:443, then a TLV (type 0x04 NOOP, 2 bytes) to skip.
  const std::string body = V4(203, 0, 113, 7) + V4(10, 0, 0, 1) + "\xc8\x22" + "\x01\xbb" +
                           std::string("\x04\x00\x02xx", 5);
  const std::string h = Header(0x21, 0x11, body);
  const ProxyHeader p = ParseProxyV2(h + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(p.status, ProxyHeader::Status::kOk) << p.problem;
  EXPECT_EQ(p.consumed, h.size());
  EXPECT_EQ(p.source_address, "203.0.113.7");
  EXPECT_EQ(p.source_port, 51234);
  // Every proper prefix asks for more.
  for (size_t n = 0; n < h.size(); ++n) {
    EXPECT_EQ(ParseProxyV2(h.substr(0, n)).status, ProxyHeader::Status::kNeedMore) << n;
  }
}

TEST(ProxyHeaderTest, TcpOverIpv6) {
  std::string src(16, '\0'), dst(16, '\0');
  src[0] = '\x20', src[1] = '\x01', src[2] = '\x0d', src[3] = '\xb8', src[15] = '\x07';
  dst[15] = '\x01';
  const std::string ports("\x00\x50\x01\xbb", 4);  // 80, 443
  const ProxyHeader p = ParseProxyV2(Header(0x21, 0x21, src + dst + ports));
  ASSERT_EQ(p.status, ProxyHeader::Status::kOk) << p.problem;
  EXPECT_EQ(p.source_address, "2001:db8::7");
  EXPECT_EQ(p.source_port, 80);
}

TEST(ProxyHeaderTest, LocalAndUnspecifiedLeaveThePeerAddress) {
  const ProxyHeader local = ParseProxyV2(Header(0x20, 0x00, ""));
  ASSERT_EQ(local.status, ProxyHeader::Status::kOk);
  EXPECT_EQ(local.source_address, "");
  EXPECT_EQ(local.consumed, 16u);
  const ProxyHeader unix_socket = ParseProxyV2(Header(0x21, 0x31, std::string(216, 'a')));
  ASSERT_EQ(unix_socket.status, ProxyHeader::Status::kOk);
  EXPECT_EQ(unix_socket.source_address, "");
}

TEST(ProxyHeaderTest, RefusesAnythingElse) {
  const auto invalid = [](const std::string& b) {
    return ParseProxyV2(b).status == ProxyHeader::Status::kInvalid;
  };
  EXPECT_TRUE(invalid("GET / HTTP/1.1\r\n"));                     // no header at all
  EXPECT_TRUE(invalid("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"));     // version 1 (text)
  EXPECT_TRUE(invalid("\x16\x03\x01"));                           // a TLS ClientHello
  EXPECT_TRUE(invalid(Header(0x11, 0x11, std::string(12, 'a'))));  // version 1 nibble
  EXPECT_TRUE(invalid(Header(0x22, 0x11, std::string(12, 'a'))));  // command 2
  EXPECT_TRUE(invalid(Header(0x21, 0x11, std::string(8, 'a'))));   // IPv4 truncated
  EXPECT_TRUE(invalid(Header(0x21, 0x21, std::string(20, 'a'))));  // IPv6 truncated
  EXPECT_TRUE(invalid(Header(0x21, 0x11, std::string(513, 'a'))));  // too long
  // Refused as soon as the length says so: nothing more is buffered.
  EXPECT_TRUE(invalid(Header(0x21, 0x11, std::string(600, 'a')).substr(0, 16)));
}

}  // namespace
}  // namespace sd::net
