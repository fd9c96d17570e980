#pragma once
// SMS-pumping blocks (docs/operations.md): a destination prefix refused for every key, or for
// one key family, until a time. Raised by a pumping rule (core/pumping.h) or an operator
// (`smsdispatch blocks add`), kept in Redis so every daemon and every restart sees them
// (adapters/redis/block_store.h), and held by each daemon as an immutable BlockList in its
// policy snapshot: the decision refuses a blocked job with reason pumping_suspected.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sd {

struct Block {
  std::string prefix;      // "+37120": '+' and 1 to 15 digits
  std::string key_family;  // "" = every key
  int64_t until_ms = 0;    // Unix ms; the block is gone after this
  int64_t created_ms = 0;
  std::string rule;  // the pumping rule that raised it, or "operator"
  std::string note;  // why, at most kMaxBlockNote bytes
};

inline constexpr size_t kMaxBlockNote = 200;
inline constexpr size_t kMaxBlocks = 10'000;  // a watcher ignores what is beyond

bool ValidBlockPrefix(std::string_view prefix);
// The Redis hash field and value of a block: "<family>|<prefix>" ("|+37120" for every key),
// and "<until_ms>|<created_ms>|<rule>|<note>".
std::string BlockField(const Block& b);
std::string BlockValue(const Block& b);
// A block from its field and value; nullopt when either does not parse (a bad record is
// skipped, never fatal).
std::optional<Block> ParseBlock(std::string_view field, std::string_view value);

class BlockList {
 public:
  BlockList() = default;
  explicit BlockList(std::vector<Block> blocks);

  // The block that refuses a job of key family `family` to `destination` at `now_ms`: one
  // for that family or for every key, on a prefix of the destination, not yet ended. Null if
  // none. A few hash lookups: one per distinct prefix length blocked.
  const Block* Find(std::string_view family, std::string_view destination, int64_t now_ms) const;
  // A new list with `b` added (replacing a block on the same family and prefix).
  std::shared_ptr<const BlockList> With(Block b) const;
  const std::vector<Block>& blocks() const { return blocks_; }
  size_t ActiveCount(int64_t now_ms) const;

 private:
  std::vector<Block> blocks_;
  std::unordered_map<std::string, std::vector<size_t>> by_prefix_;  // prefix -> blocks_ indices
  std::vector<size_t> lengths_;                                     // distinct prefix lengths
};

}  // namespace sd
