#pragma once
// SMS text encoding: GSM 03.38 default alphabet (with the extension table) when the text
// allows it, UCS-2 (UTF-16BE) otherwise.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sd {

enum class DataCoding : uint8_t { kGsm7 = 0x00, kUcs2 = 0x08 };

struct EncodedText {
  DataCoding coding = DataCoding::kGsm7;
  // GSM: one unpacked septet value per byte (escape 0x1B included), as SMPP carries it.
  // UCS-2: UTF-16BE code units (surrogate pairs for characters outside the BMP).
  std::string bytes;
  // How many SMS parts this needs (concatenated when > 1), counted exactly as SplitText cuts
  // with SplitMethod::kUdh8 (core/segmenter.h): an escape or surrogate pair never straddles
  // a part, so this can exceed SegmentCount(units). kUdh16 may need more; see CountParts.
  int segments = 1;
};

// Fails with kInvalidText for invalid UTF-8 or empty text. `force` overrides the choice;
// forcing GSM-7 on text it cannot carry fails with kInvalidText.
Result<EncodedText> EncodeText(std::string_view utf8, std::optional<DataCoding> force = {});

// Naive segments for a message of `units` septets (GSM) or UTF-16 code units (UCS-2), 8-bit
// UDH sizes. A lower bound only: it does not know where pairs fall. For a real text use
// CountParts (core/segmenter.h), which EncodeText does.
int SegmentCount(DataCoding coding, size_t units);

}  // namespace sd
