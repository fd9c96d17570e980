#include "core/mac.h"

namespace sd {

bool MacEquals(const Mac256& a, const Mac256& b) {
  // Accumulate every difference so the time taken does not depend on where they differ.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace sd
