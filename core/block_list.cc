#include "core/block_list.h"

#include <algorithm>
#include <charconv>

namespace sd {
namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool ValidBlockPrefix(std::string_view p) {
  if (p.size() < 2 || p.size() > 16 || p[0] != '+') return false;
  return std::all_of(p.begin() + 1, p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string BlockField(const Block& b) { return b.key_family + "|" + b.prefix; }

std::string BlockValue(const Block& b) {
  return std::to_string(b.until_ms) + "|" + std::to_string(b.created_ms) + "|" + b.rule + "|" +
         b.note.substr(0, kMaxBlockNote);
}

std::optional<Block> ParseBlock(std::string_view field, std::string_view value) {
  Block b;
  const size_t bar = field.rfind('|');
  if (bar == std::string_view::npos) return std::nullopt;
  b.key_family = std::string(field.substr(0, bar));
  b.prefix = std::string(field.substr(bar + 1));
  if (!ValidBlockPrefix(b.prefix) || b.key_family.size() > 64) return std::nullopt;
  const size_t a = value.find('|');
  const size_t c = a == std::string_view::npos ? a : value.find('|', a + 1);
  const size_t d = c == std::string_view::npos ? c : value.find('|', c + 1);
  if (d == std::string_view::npos) return std::nullopt;
  if (!ParseInt(value.substr(0, a), &b.until_ms) ||
      !ParseInt(value.substr(a + 1, c - a - 1), &b.created_ms)) {
    return std::nullopt;
  }
  b.rule = std::string(value.substr(c + 1, std::min<size_t>(d - c - 1, 64)));
  b.note = std::string(value.substr(d + 1, kMaxBlockNote));
  return b;
}

BlockList::BlockList(std::vector<Block> blocks) : blocks_(std::move(blocks)) {
  if (blocks_.size() > kMaxBlocks) blocks_.resize(kMaxBlocks);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    by_prefix_[blocks_[i].prefix].push_back(i);
    const size_t len = blocks_[i].prefix.size();
    if (std::find(lengths_.begin(), lengths_.end(), len) == lengths_.end()) lengths_.push_back(len);
  }
}

const Block* BlockList::Find(std::string_view family, std::string_view destination,
                             int64_t now_ms) const {
  for (size_t len : lengths_) {
    if (len > destination.size()) continue;
    const auto it = by_prefix_.find(std::string(destination.substr(0, len)));
    if (it == by_prefix_.end()) continue;
    for (size_t i : it->second) {
      const Block& b = blocks_[i];
      if (b.until_ms > now_ms && (b.key_family.empty() || b.key_family == family)) return &b;
    }
  }
  return nullptr;
}

std::shared_ptr<const BlockList> BlockList::With(Block b) const {
  std::vector<Block> next;
  next.reserve(blocks_.size() + 1);
  for (const Block& x : blocks_) {
    if (x.prefix != b.prefix || x.key_family != b.key_family) next.push_back(x);
  }
  next.push_back(std::move(b));
  return std::make_shared<const BlockList>(std::move(next));
}

size_t BlockList::ActiveCount(int64_t now_ms) const {
  return static_cast<size_t>(std::count_if(blocks_.begin(), blocks_.end(),
                                           [&](const Block& b) { return b.until_ms > now_ms; }));
}

}  // namespace sd
