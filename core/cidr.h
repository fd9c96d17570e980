#pragma once
// IPv4 and IPv6 address ranges ("203.0.113.0/24", "2001:db8::/32", a bare address = one host)
// for allowlists: webhook sources per carrier, producers per key.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sd {

struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network address (IPv4 in the first 4)
  int prefix = 0;
};

// nullopt when malformed (bad address, prefix beyond 32/128, bits set past the prefix are
// allowed and ignored like most tools do).
std::optional<Cidr> ParseCidr(std::string_view text);
// Whether `address` (text, as StreamConnection::peer_address gives it) is in any of `ranges`.
// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as the IPv4 address.
bool AddressAllowed(std::string_view address, const std::vector<Cidr>& ranges);

}  // namespace sd
