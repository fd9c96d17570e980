#pragma once
// The Unicode rules host names are read by, behind a port. Core finds URLs in text and judges
// them (url_extract.h, content_scan.h); what a non-ASCII code point means in a host, how a
// written host maps to the name a browser resolves, and which hosts look alike are Unicode's
// answers, kept up to date by a library (adapters/policy/icu_domain_names.h: ICU's UTS #46
// and UTS #39), not by tables in core.
//
// Implementations are immutable once built and safe to call from several threads at once.
#include <cstdint>
#include <string>
#include <string_view>

namespace sd {

class DomainNames {
 public:
  virtual ~DomainNames() = default;

  // What one non-ASCII code point is in a host (core reads ASCII itself: letters, digits and
  // '-' are host characters, '.' separates labels, everything else ends a host).
  enum class CodePoint : uint8_t {
    kOther,  // ends a host: space, punctuation, symbols and emoji, unassigned, disallowed
    kHost,   // part of a label: UTS #46 maps it to letters, marks, digits or '-', or ignores it
    kDot,    // a label separator: UTS #46 maps it to '.' (U+3002, U+FF0E, U+FF61)
  };
  virtual CodePoint Classify(char32_t c) const = 0;

  // A host as written, resolved the way a browser does (UTS #46 processing as the WHATWG URL
  // standard applies it: nontransitional, CheckBidi, CheckJoiners, no CheckHyphens).
  struct Name {
    std::string ascii;      // lower-case, non-ASCII labels as "xn--"; set only when valid
    std::string unicode;    // the mapped form, "xn--" labels decoded: what a reader is shown
    std::string problem;    // why the host is not a valid domain name ("" when valid)
    bool too_long = false;  // over 253 bytes, or a label over 63, in ASCII form
  };
  // `written` is UTF-8 of host characters and separators only (Classify kHost/kDot, or ASCII
  // letters, digits, '-' and '.'); it has at least one label and no empty label.
  virtual Name Resolve(std::string_view written) const = 0;

  // UTS #39 skeleton of the text with its diacritics (nonspacing marks) removed, then
  // lower-cased: two strings that look alike in the same case have equal skeletons
  // ("pаypal" with a Cyrillic а, "pạypal", "paypa1" and "paypal" all give "paypal";
  // "G00GLE" and "GOOGLE" both give "google"). Input and output are UTF-8; the input is read
  // as written (a capital I is a look-alike of l before any case mapping).
  virtual std::string Skeleton(std::string_view utf8) const = 0;

  // True when one label's letters go beyond UTS #39's highly restrictive level: one script,
  // or Latin with Han and kana, Han with Bopomofo, or Han with Hangul ("pаypal" with a
  // Cyrillic а is mixed; "пример" and "bücher" are not).
  virtual bool MixedScript(std::string_view utf8_label) const = 0;
};

}  // namespace sd
