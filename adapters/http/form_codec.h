#pragma once
// application/x-www-form-urlencoded, both ways (WHATWG URL standard: '+' is a space, %XX a
// byte). Request bodies to providers are encoded; webhook bodies from them are decoded.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sd::http {

std::string FormEncode(std::string_view s);
// The pairs in order (a name may repeat); nullopt on a malformed %-escape or more than
// `max_pairs` pairs.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body,
                                                                         size_t max_pairs = 256);

}  // namespace sd::http
