#pragma once
// The syntax of the addresses a job carries, in one place: the destination (E.164), number
// prefixes (routes, high-risk lists), and sender ids. The decision, the router, the number
// checker, the key registry and the config all ask these.
#include <string_view>

namespace sd {

// E.164 with '+': a country code not starting with 0, 7 to 15 digits in all ("+4915123456").
bool IsE164(std::string_view s);

// '+' and 1 to 15 digits: the start of an E.164 number ("+49", "+44740").
bool IsE164Prefix(std::string_view s);

// A sender id networks accept: numeric (optionally '+', at most 15 digits) or alphanumeric up
// to 11 characters (ASCII letters, digits and inner spaces, at least one letter).
bool IsValidSender(std::string_view s);

}  // namespace sd
