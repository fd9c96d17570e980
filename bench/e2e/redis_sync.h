#pragma once
// The benchmark's synchronous hiredis helpers: connecting with retries, scanning keys and
// streams, pipelining, and reading the server's own figures (INFO, XINFO). The load generator
// and the watcher run them on their own threads, each with its own connection.
#include <hiredis/hiredis.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/e2e/bench_report.h"

namespace sd::bench {

// One connection, freed with the object.
struct Redis {
  redisContext* c = nullptr;
  Redis() = default;
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;
  ~Redis() {
    if (c) redisFree(c);
  }
};

// Connects (over sock when not empty) and waits for PING to answer, for up to 5 s.
bool ConnectRedis(Redis& r, const std::string& host, int port, const std::string& sock);

// The namespace of everything the daemon (key_prefix "sd:", its streams) and the bench write.
inline constexpr char kOurKeys[] = "sd:*";

// Every key matching `pattern` (SCAN, so a big database is not blocked).
std::set<std::string> ScanKeys(redisContext* c, const char* pattern);

// Deletes the keys in our namespace that were not there before: what this tool created. A
// key that was there (only with --reuse) is never deleted, even though entries were added.
void DeleteCreated(redisContext* c, const std::set<std::string>& before);

// An integer reply (0 for anything else).
long long RedisInt(redisContext* c, const char* fmt, const char* arg);

// Pipelining: queue a binary-safe command; read and drop n replies.
void AppendArgv(redisContext* c, const std::vector<std::string>& argv);
void DrainReplies(redisContext* c, size_t n);

// The entry ids of an XREADGROUP reply naming one stream (none for anything else).
std::vector<std::string> ReadGroupEntryIds(const redisReply* r);

// The milliseconds part of a stream entry id.
int64_t EntryMs(const std::string& id);

// Reads a whole stream (after entry `after`, when given), calling fn(entry id, fields).
void ScanStream(
    redisContext* c, const char* stream,
    const std::function<void(const std::string&, const std::map<std::string, std::string>&)>& fn,
    const std::string& after = "");

// The newest entry id of a stream, "" when it is empty or absent.
std::string LastId(redisContext* c, const char* stream);

// used_cpu_sys + used_cpu_user of INFO cpu: the server's own CPU seconds so far.
double RedisCpuSeconds(redisContext* c);

// INFO commandstats, parsed (ParseCommandStats in bench_report.h).
std::map<std::string, CommandCost> RedisCommandStats(redisContext* c);

// The server's resident set now, from INFO memory (used_memory_rss): a server this tool did
// not start has no /proc peak it may read.
double RedisRssMib(redisContext* c);

// The daemons' consumer group as Redis sees it (XINFO GROUPS: one small reply per sample),
// with its lag checked against the stream (CheckedLag: Redis's lag can be NULL or wrong).
BacklogSample GroupBacklog(redisContext* c, const std::string& stream = "sd:jobs");

}  // namespace sd::bench
