#include "bench/e2e/redis_sync.h"

#include <chrono>
#include <initializer_list>
#include <map>
#include <sstream>
#include <thread>

namespace sd::bench {

bool ConnectRedis(Redis& r, const std::string& host, int port, const std::string& sock) {
  for (int i = 0; i < 200; ++i) {
    r.c = sock.empty() ? redisConnect(host.c_str(), port) : redisConnectUnix(sock.c_str());
    if (r.c && !r.c->err) {
      auto* rep = static_cast<redisReply*>(redisCommand(r.c, "PING"));
      const bool ok = rep && rep->type == REDIS_REPLY_STATUS;
      if (rep) freeReplyObject(rep);
      if (ok) return true;
    }
    if (r.c) redisFree(r.c);
    r.c = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// Every key matching `pattern` (SCAN, so a big database is not blocked).
std::set<std::string> ScanKeys(redisContext* c, const char* pattern) {
  std::set<std::string> keys;
  std::string cursor = "0";
  do {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (r) freeReplyObject(r);
      break;
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      keys.emplace(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    }
    freeReplyObject(r);
  } while (cursor != "0");
  return keys;
}

// Deletes the keys in our namespace that were not there before: what this tool created. A
// key that was there (only with --reuse) is never deleted, even though entries were added.
void DeleteCreated(redisContext* c, const std::set<std::string>& before) {
  for (const std::string& k : ScanKeys(c, kOurKeys)) {
    if (before.count(k) == 0) freeReplyObject(redisCommand(c, "DEL %b", k.data(), k.size()));
  }
}

long long RedisInt(redisContext* c, const char* fmt, const char* arg) {
  auto* r = static_cast<redisReply*>(redisCommand(c, fmt, arg));
  const long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
  if (r) freeReplyObject(r);
  return v;
}

void AppendArgv(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (auto& a : argv) {
    p.push_back(a.data());
    l.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), p.data(), l.data());
}

void DrainReplies(redisContext* c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) return;
    freeReplyObject(r);
  }
}

int64_t EntryMs(const std::string& id) { return std::stoll(id.substr(0, id.find('-'))); }

std::vector<std::string> ReadGroupEntryIds(const redisReply* r) {
  std::vector<std::string> ids;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return ids;
  const redisReply* list = r->element[0]->element[1];
  for (size_t i = 0; i < list->elements; ++i) {
    ids.emplace_back(list->element[i]->element[0]->str, list->element[i]->element[0]->len);
  }
  return ids;
}

// Reads a whole stream, calling fn(entry id, fields).
void ScanStream(
    redisContext* c, const char* stream,
    const std::function<void(const std::string&, const std::map<std::string, std::string>&)>& fn,
    const std::string& after) {
  std::string start = after.empty() ? "-" : "(" + after;
  while (true) {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "XRANGE %s %s + COUNT 5000", stream, start.c_str()));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
      if (r) freeReplyObject(r);
      return;
    }
    std::string last;
    for (size_t i = 0; i < r->elements; ++i) {
      last.assign(r->element[i]->element[0]->str, r->element[i]->element[0]->len);
      std::map<std::string, std::string> f;
      const redisReply* kv = r->element[i]->element[1];
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[std::string(kv->element[k]->str, kv->element[k]->len)] =
            std::string(kv->element[k + 1]->str, kv->element[k + 1]->len);
      }
      fn(last, f);
    }
    const bool more = r->elements == 5000;
    freeReplyObject(r);
    if (!more) return;
    start = "(" + last;
  }
}

std::string LastId(redisContext* c, const char* stream) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "XREVRANGE %s + - COUNT 1", stream));
  std::string id;
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
    id.assign(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
  }
  if (r) freeReplyObject(r);
  return id;
}

namespace {

// The sum of the named numeric fields of one INFO section ("name:value" lines).
double InfoSum(redisContext* c, const char* section, std::initializer_list<const char*> names) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO %s", section));
  double total = 0;
  if (r && r->type == REDIS_REPLY_STRING) {
    std::istringstream in(std::string(r->str, r->len));
    std::string line;
    while (std::getline(in, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      for (const char* name : names) {
        if (line.compare(0, colon, name) == 0) total += std::stod(line.substr(colon + 1));
      }
    }
  }
  if (r) freeReplyObject(r);
  return total;
}

}  // namespace

double RedisCpuSeconds(redisContext* c) {
  return InfoSum(c, "cpu", {"used_cpu_sys", "used_cpu_user"});
}

std::map<std::string, CommandCost> RedisCommandStats(redisContext* c) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO commandstats"));
  std::map<std::string, CommandCost> out;
  if (r && r->type == REDIS_REPLY_STRING) out = ParseCommandStats(std::string(r->str, r->len));
  if (r) freeReplyObject(r);
  return out;
}

double RedisRssMib(redisContext* c) {
  return InfoSum(c, "memory", {"used_memory_rss"}) / (1024.0 * 1024.0);
}

// The daemons' consumer group as Redis sees it (XINFO GROUPS: one small reply per sample),
// with its lag checked against the stream (CheckedLag: Redis's lag can be NULL or wrong).
BacklogSample GroupBacklog(redisContext* c, const std::string& stream) {
  BacklogSample b;
  int64_t reported_lag = -1;
  std::string last_delivered;
  auto* r = static_cast<redisReply*>(redisCommand(c, "XINFO GROUPS %s", stream.c_str()));
  if (r && r->type == REDIS_REPLY_ARRAY) {
    for (size_t g = 0; g < r->elements; ++g) {
      const redisReply* kv = r->element[g];
      if (kv->type != REDIS_REPLY_ARRAY) continue;
      std::map<std::string, const redisReply*> f;
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[std::string(kv->element[k]->str, kv->element[k]->len)] = kv->element[k + 1];
      }
      auto name = f.find("name");
      if (name == f.end() || std::string(name->second->str, name->second->len) != "smsdispatch")
        continue;
      auto pending = f.find("pending"), lag = f.find("lag"), last = f.find("last-delivered-id");
      if (pending != f.end() && pending->second->type == REDIS_REPLY_INTEGER)
        b.pending = pending->second->integer;
      if (lag != f.end() && lag->second->type == REDIS_REPLY_INTEGER)
        reported_lag = lag->second->integer;
      if (last != f.end() && last->second->type == REDIS_REPLY_STRING)
        last_delivered.assign(last->second->str, last->second->len);
    }
  }
  if (r) freeReplyObject(r);
  if (b.pending < 0) return b;  // no group (yet)
  // The newest entry: when the group has read it, nothing is unread, whatever lag says.
  bool read_to_end = false;
  auto* top = static_cast<redisReply*>(redisCommand(c, "XREVRANGE %s + - COUNT 1", stream.c_str()));
  if (top && top->type == REDIS_REPLY_ARRAY) {
    if (top->elements == 0) {
      read_to_end = true;
    } else if (top->element[0]->type == REDIS_REPLY_ARRAY && top->element[0]->elements > 0 &&
               top->element[0]->element[0]->type == REDIS_REPLY_STRING) {
      const redisReply* id = top->element[0]->element[0];
      read_to_end = StreamIdAtOrAfter(last_delivered, std::string_view(id->str, id->len));
    }
  }
  if (top) freeReplyObject(top);
  b.lag = CheckedLag(reported_lag, b.pending, RedisInt(c, "XLEN %s", stream.c_str()), read_to_end);
  return b;
}

}  // namespace sd::bench
