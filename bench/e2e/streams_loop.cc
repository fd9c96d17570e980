#include "bench/e2e/streams_loop.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bench/e2e/redis_sync.h"

namespace sd::bench {
namespace {

constexpr char kLoopJobs[] = "sd:bench:loop:jobs";
constexpr char kLoopReceipts[] = "sd:bench:loop:receipts";

}  // namespace

CeilingResult MeasureStreamsLoop(const Options& o, Env& e, JobSource& jobs) {
  Redis c;
  ConnectRedis(c, e, e.load_over_socket);
  freeReplyObject(redisCommand(c.c, "XGROUP CREATE %s loop $ MKSTREAM", kLoopJobs));
  const double cpu_start = RedisCpuSeconds(c.c);
  const auto start = Clock::now();
  uint64_t done = 0;
  const uint64_t batch = static_cast<uint64_t>(std::max(1, o.batch));
  while (done < jobs.limit()) {
    const uint64_t n = std::min(batch, jobs.limit() - done);
    for (uint64_t i = 0; i < n; ++i) AppendArgv(c.c, XaddArgv(kLoopJobs, jobs.Get(done + i)));
    AppendArgv(c.c, {"XREADGROUP", "GROUP", "loop", "c", "COUNT", std::to_string(n), "STREAMS",
                     kLoopJobs, ">"});
    DrainReplies(c.c, n);
    void* reply = nullptr;
    if (redisGetReply(c.c, &reply) != REDIS_OK) break;
    const std::vector<std::string> ids = ReadGroupEntryIds(static_cast<redisReply*>(reply));
    freeReplyObject(reply);
    if (ids.empty()) break;
    for (const std::string& id : ids) {
      AppendArgv(c.c, {"XACK", kLoopJobs, "loop", id});
      AppendArgv(c.c, {"XADD", kLoopReceipts, "*", "entry", id, "status", "delivered"});
    }
    DrainReplies(c.c, 2 * ids.size());
    done += ids.size();
  }
  CeilingResult r;
  r.jobs = done;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.jobs_per_second = r.seconds > 0 ? static_cast<double>(done) / r.seconds : 0;
  if (done > 0) {
    r.redis_cpu_us_per_job =
        (RedisCpuSeconds(c.c) - cpu_start) * 1e6 / static_cast<double>(done);
  }
  DeleteCreated(c.c, e.keys_before);
  return r;
}

}  // namespace sd::bench
