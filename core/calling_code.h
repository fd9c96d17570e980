#pragma once
// The country calling code of an E.164 number, from the ITU's assignment of codes (E.164
// Annex; codes are prefix-free: no code is the start of another). The SMS-pumping defence
// groups destinations by "calling code + N digits" so a rule's prefix means the same depth
// into every country's numbering plan.
#include <cstddef>
#include <string>
#include <string_view>

namespace sd {

// Digits of the calling code at the start of `digits` (an E.164 number without '+'): 1, 2 or
// 3; 0 when `digits` is empty or not a digit.
size_t CallingCodeDigits(std::string_view digits);

// "+" + calling code + the next `extra_digits` digits of `e164` ("+4915112345678", 2 ->
// "+4915"); shorter when the number is. Empty when `e164` does not start with '+' and a digit.
std::string PumpingPrefix(std::string_view e164, int extra_digits);

}  // namespace sd
