#include "adapters/redis/cluster_slots.h"

#include <hiredis/hiredis.h>

#include <array>
#include <charconv>

namespace sd::redis {
namespace {

// CRC16/XMODEM (polynomial 0x1021, initial value 0), the checksum the cluster specification
// names for key slots. Written here because hiredis 0.14 has no cluster support and no packaged
// library exposes this one function; a table built at compile time keeps it a byte per step.
constexpr std::array<uint16_t, 256> MakeCrcTable() {
  std::array<uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    auto crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrcTable = MakeCrcTable();

uint16_t Crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    crc = static_cast<uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ b) & 0xff]);
  }
  return crc;
}

std::string_view Str(const redisReply* r) {
  if (r == nullptr || r->str == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) return {};
  return {r->str, r->len};
}

// Name/value pairs of a flat array: false when it is not one.
template <typename Fn>
bool ForPairs(const redisReply* r, Fn&& fn) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return false;
  for (size_t i = 0; i < r->elements; i += 2) {
    if (r->element[i] == nullptr || r->element[i]->type != REDIS_REPLY_STRING) return false;
    if (!fn(Str(r->element[i]), r->element[i + 1])) return false;
  }
  return true;
}

bool ParseNode(const redisReply* r, std::string_view asked_host, ClusterNode* node,
               std::string* error) {
  std::string_view ip, endpoint, role, health;
  bool has_port = false;
  const bool pairs = ForPairs(r, [&](std::string_view name, const redisReply* v) {
    if (v == nullptr) return false;
    if (name == "port") {
      if (v->type != REDIS_REPLY_INTEGER || v->integer <= 0 || v->integer > 65535) return false;
      node->port = static_cast<int>(v->integer);
      has_port = true;
    } else if (name == "id") {
      node->id = std::string(Str(v));
    } else if (name == "ip") {
      ip = Str(v);
    } else if (name == "endpoint") {
      endpoint = Str(v);
    } else if (name == "role") {
      role = Str(v);
    } else if (name == "health") {
      health = Str(v);
    }
    return true;
  });
  if (!pairs || !has_port || node->id.empty() || (role != "master" && role != "replica")) {
    *error = "a node is not [id, port, ip, endpoint, role, ...] pairs";
    return false;
  }
  std::string_view host = endpoint.empty() || endpoint == "?" ? ip : endpoint;
  if (host.empty() || host == "?") host = asked_host;
  if (host.empty()) {
    *error = "node " + node->id + " has no address";
    return false;
  }
  node->host = std::string(host);
  node->master = role == "master";
  node->online = health.empty() || health == "online";
  return true;
}

bool ParseSlots(const redisReply* r, std::vector<std::pair<long long, long long>>* ranges) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return false;
  for (size_t i = 0; i < r->elements; i += 2) {
    const redisReply* a = r->element[i];
    const redisReply* b = r->element[i + 1];
    if (a == nullptr || b == nullptr || a->type != REDIS_REPLY_INTEGER ||
        b->type != REDIS_REPLY_INTEGER || a->integer < 0 || a->integer > b->integer ||
        b->integer >= kClusterSlots) {
      return false;
    }
    ranges->emplace_back(a->integer, b->integer);
  }
  return true;
}

}  // namespace

uint16_t KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & (kClusterSlots - 1);
}

SlotMap::SlotMap() : owner_(kClusterSlots, kNone) {}

std::optional<SlotMap> SlotMap::FromShards(const redisReply* reply, std::string* error,
                                           std::string_view asked_host) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    *error = "CLUSTER SHARDS did not answer an array";
    return std::nullopt;
  }
  SlotMap map;
  for (size_t s = 0; s < reply->elements; ++s) {
    std::vector<std::pair<long long, long long>> ranges;
    bool slots_ok = true, nodes_ok = true;
    size_t first = map.nodes_.size();
    const bool pairs = ForPairs(reply->element[s], [&](std::string_view name, const redisReply* v) {
      if (name == "slots") slots_ok = ParseSlots(v, &ranges);
      if (name != "nodes") return true;
      if (v == nullptr || v->type != REDIS_REPLY_ARRAY) return nodes_ok = false;
      for (size_t n = 0; n < v->elements && nodes_ok; ++n) {
        ClusterNode node;
        nodes_ok = ParseNode(v->element[n], asked_host, &node, error);
        if (nodes_ok) map.nodes_.push_back(std::move(node));
      }
      return nodes_ok;
    });
    if (!pairs || !slots_ok || !nodes_ok) {
      if (!nodes_ok) *error = "shard " + std::to_string(s) + ": " + *error;
      if (nodes_ok) *error = "shard " + std::to_string(s) + " is not [slots, nodes] pairs";
      return std::nullopt;
    }
    size_t master = kNone;
    for (size_t n = first; n < map.nodes_.size(); ++n) {
      if (map.nodes_[n].master && master == kNone) master = n;
    }
    if (!ranges.empty() && master == kNone) {
      *error = "shard " + std::to_string(s) + " serves slots but has no master";
      return std::nullopt;
    }
    if (map.nodes_.size() >= kNone) {
      *error = "too many nodes";
      return std::nullopt;
    }
    for (const auto& [lo, hi] : ranges) {
      for (long long slot = lo; slot <= hi; ++slot) {
        if (map.owner_[slot] != kNone) {
          *error = "slot " + std::to_string(slot) + " is served by two shards";
          return std::nullopt;
        }
        map.owner_[slot] = static_cast<uint16_t>(master);
      }
    }
  }
  return map;
}

const ClusterNode* SlotMap::MasterOf(uint16_t slot) const {
  if (slot >= kClusterSlots || owner_[slot] == kNone) return nullptr;
  return &nodes_[owner_[slot]];
}

std::vector<const ClusterNode*> SlotMap::Masters() const {
  std::vector<bool> seen(nodes_.size(), false);
  std::vector<const ClusterNode*> out;
  for (uint16_t owner : owner_) {
    if (owner == kNone || seen[owner]) continue;
    seen[owner] = true;
    out.push_back(&nodes_[owner]);
  }
  return out;
}

bool SlotMap::Complete() const {
  for (uint16_t owner : owner_) {
    if (owner == kNone) return false;
  }
  return true;
}

void SlotMap::Moved(uint16_t slot, const std::string& host, int port) {
  if (slot >= kClusterSlots) return;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].master && nodes_[i].host == host && nodes_[i].port == port) {
      owner_[slot] = static_cast<uint16_t>(i);
      return;
    }
  }
  if (nodes_.size() + 1 >= kNone) return;
  ClusterNode node;
  node.host = host;
  node.port = port;
  node.master = true;
  nodes_.push_back(std::move(node));
  owner_[slot] = static_cast<uint16_t>(nodes_.size() - 1);
}

ClusterRedirect ParseClusterError(std::string_view error) {
  ClusterRedirect r;
  using Kind = ClusterRedirect::Kind;
  const std::string_view code = error.substr(0, error.find(' '));
  if (code == "TRYAGAIN") r.kind = Kind::kTryAgain;
  if (code == "CLUSTERDOWN") r.kind = Kind::kClusterDown;
  if (code == "LOADING") r.kind = Kind::kLoading;
  if (code == "MASTERDOWN") r.kind = Kind::kMasterDown;
  if (code != "MOVED" && code != "ASK") return r;
  // "<code> <slot> <host>:<port>"
  const std::string_view rest = error.substr(code.size());
  if (rest.size() < 2 || rest[0] != ' ') return r;
  const size_t space = rest.find(' ', 1);
  if (space == std::string_view::npos) return r;
  const std::string_view slot_text = rest.substr(1, space - 1);
  const std::string_view address = rest.substr(space + 1);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return r;
  const std::string_view port_text = address.substr(colon + 1);
  unsigned slot = 0;
  int port = 0;
  auto [sp, se] = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
  auto [pp, pe] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (se != std::errc() || sp != slot_text.data() + slot_text.size() || slot_text.empty() ||
      slot >= kClusterSlots || pe != std::errc() || pp != port_text.data() + port_text.size() ||
      port_text.empty() || port <= 0 || port > 65535 ||
      address.find(' ') != std::string_view::npos) {
    return r;
  }
  r.kind = code == "MOVED" ? Kind::kMoved : Kind::kAsk;
  r.slot = static_cast<uint16_t>(slot);
  r.host = std::string(address.substr(0, colon));
  r.port = port;
  return r;
}

}  // namespace sd::redis
