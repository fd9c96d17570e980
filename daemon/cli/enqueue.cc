// smsdispatch enqueue: signs jobs exactly as docs/jobs.md describes and adds them to the job
// stream with pipelined XADDs. Can make every job of a call bad in one chosen way (--corrupt)
// so that tests and the demo exercise each rejection path.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/crypto/random.h"
#include "core/envelope.h"
#include "core/hex.h"
#include "core/shard_rule.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/redis_client.h"
#include "daemon/lib/key_file.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch enqueue [REDIS OPTIONS] [--stream sd:jobs] --key-file F --key-id ID\n"
    "         ( --to +E164 --from SENDER --text TEXT [--kind K] [--ref REF] [--id ID]\n"
    "         | --file JOBS.jsonl\n"
    "         | --count N --to-prefix +PREFIX --from SENDER --text TEXT [--kind K] [--ref REF] )\n"
    "         [--ttl-s 3600] [--send-in-s S] [--batch 500] [--entries-out FILE] [--corrupt MODE]\n"
    "         [--wait-replicas N [--wait-timeout-ms 5000]] [--shards N]\n"
    "Signs jobs and adds them to the job stream, pipelined in batches.\n";

std::vector<OptionSpec> EnqueueOptions() {
  return WithRedisOptions({
      {"stream", "NAME", "job stream (default sd:jobs); signatures are bound to it"},
      {"key-file", "FILE", "key file with the signing key (mode 0600)"},
      {"key-id", "ID", "which key of the file signs"},
      {"to", "+E164", "one job to this number (with --from and --text); prints ENTRY_ID JOB_ID"},
      {"from", "SENDER", "the sender id"},
      {"text", "TEXT", "the message text"},
      {"kind", "K", "otp | transactional (default) | marketing"},
      {"ref", "REF", "client reference, echoed on outcomes and receipts"},
      {"id", "ID", "idempotency id (default: 128 random bits in hex)"},
      {"file", "FILE",
       "JSON lines with to, from, text and optional kind, ref, id, ttl_s; the whole file is "
       "checked before anything is added"},
      {"count", "N", "N jobs to --to-prefix + a zero-padded counter (demos, benchmarks)"},
      {"to-prefix", "+PREFIX", "the numbers' prefix for --count"},
      {"ttl-s", "S", "expires = created + S seconds (default 3600)"},
      {"send-in-s", "S",
       "schedule every job S seconds ahead (send_at); the TTL then counts from send_at"},
      {"batch", "B", "XADDs per round trip (default 500)"},
      {"entries-out", "FILE",
       "also write ENTRY_ID JOB_ID lines to FILE (see outcomes --expect-entries)"},
      {"wait-replicas", "N",
       "after the last XADD, WAIT until N replicas have the jobs (exit 1 if fewer do within "
       "--wait-timeout-ms): a master failover then cannot lose them"},
      {"wait-timeout-ms", "MS", "how long --wait-replicas waits (default 5000)"},
      {"shards", "N",
       "the deployment's [redis] shards: each job goes to its shard's stream (--stream with "
       "its {0} tag replaced by {CRC-32 of the job id mod N}), signed for --stream"},
      {"corrupt", "MODE",
       "make every job bad: forged-signature | unknown-key | expired | malformed | "
       "wrong-stream | bad-number"},
  });
}

// Limits with reasons. A --file is validated completely before the first XADD (a bad line must
// not leave half a file enqueued), so its jobs are held in memory: bounded.
constexpr int64_t kMaxFileJobs = 1'000'000;
constexpr size_t kMaxLineBytes = 64 * 1024;  // a job is at most 4 KiB of msgpack
constexpr int64_t kMaxCount = 100'000'000;   // generated lazily, batch by batch
constexpr int64_t kMaxTtlS = 365 * 86'400;
constexpr int64_t kMaxBatch = 10'000;  // one pipeline's replies stay small

enum class Corruption {
  kNone,
  kForgedSignature,
  kUnknownKey,
  kExpired,
  kMalformed,
  kWrongStream,
  kBadNumber
};

std::optional<Corruption> ParseCorruption(const std::string& s) {
  if (s.empty()) return Corruption::kNone;
  if (s == "forged-signature") return Corruption::kForgedSignature;
  if (s == "unknown-key") return Corruption::kUnknownKey;
  if (s == "expired") return Corruption::kExpired;
  if (s == "malformed") return Corruption::kMalformed;
  if (s == "wrong-stream") return Corruption::kWrongStream;
  if (s == "bad-number") return Corruption::kBadNumber;
  return std::nullopt;
}

std::optional<JobKind> ParseKind(const std::string& s) {
  if (s.empty() || s == "transactional") return JobKind::kTransactional;
  if (s == "otp") return JobKind::kOtp;
  if (s == "marketing") return JobKind::kMarketing;
  return std::nullopt;
}

// What the user asked for; becomes a Job (with times and an id) when its batch is sent.
struct JobSpec {
  std::string to;
  std::string from;
  std::string text;
  JobKind kind = JobKind::kTransactional;
  std::string ref;
  std::string id;  // empty: random
  int64_t ttl_s = 3600;
};

// The problem, then the synopsis; --help lists every option.
int Usage(const std::string& why) {
  fprintf(stderr, "smsdispatch enqueue: %s\n%sRun 'smsdispatch enqueue --help' for every option.\n",
          why.c_str(), kSynopsis);
  return kExitUsage;
}

int Fail(const std::string& why) {
  fprintf(stderr, "smsdispatch enqueue: %s\n", why.c_str());
  return kExitFailure;
}

// Parses one JSON line into *spec; returns a problem or "".
std::string ParseJsonLine(const std::string& line, int64_t default_ttl_s, JobSpec* spec) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "not a JSON object";
  for (const auto& [key, value] : j.items()) {
    std::string* field = key == "to"     ? &spec->to
                         : key == "from" ? &spec->from
                         : key == "text" ? &spec->text
                         : key == "ref"  ? &spec->ref
                         : key == "id"   ? &spec->id
                                         : nullptr;
    if (field != nullptr) {
      if (!value.is_string()) return "'" + key + "' must be a string";
      *field = value.get<std::string>();
    } else if (key == "kind") {
      const auto kind = value.is_string() ? ParseKind(value.get<std::string>()) : std::nullopt;
      if (!kind) return "'kind' must be \"otp\", \"transactional\" or \"marketing\"";
      spec->kind = *kind;
    } else if (key == "ttl_s") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > kMaxTtlS) {
        return "'ttl_s' must be an integer in [1, " + std::to_string(kMaxTtlS) + "]";
      }
      spec->ttl_s = value.get<int64_t>();
    } else {
      return "unknown key '" + key + "' (to, from, text, kind, ref, id, ttl_s)";
    }
  }
  if (!j.contains("ttl_s")) spec->ttl_s = default_ttl_s;
  if (spec->to.empty() || spec->from.empty() || spec->text.empty()) {
    return "'to', 'from' and 'text' are required";
  }
  return "";
}

// Reads and checks a whole JSON-lines file; false after printing the problem.
bool ReadJobFile(const std::string& path, int64_t default_ttl_s, std::vector<JobSpec>* jobs) {
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "smsdispatch enqueue: cannot read %s\n", path.c_str());
    return false;
  }
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.size() > kMaxLineBytes) {
      fprintf(stderr, "smsdispatch enqueue: %s:%lld: line longer than %zu bytes\n", path.c_str(),
              static_cast<long long>(n), kMaxLineBytes);
      return false;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (static_cast<int64_t>(jobs->size()) >= kMaxFileJobs) {
      fprintf(stderr, "smsdispatch enqueue: %s: more than %lld jobs; split the file\n",
              path.c_str(), static_cast<long long>(kMaxFileJobs));
      return false;
    }
    JobSpec spec;
    const std::string problem = ParseJsonLine(line, default_ttl_s, &spec);
    if (!problem.empty()) {
      fprintf(stderr, "smsdispatch enqueue: %s:%lld: %s\n", path.c_str(), static_cast<long long>(n),
              problem.c_str());
      return false;
    }
    jobs->push_back(std::move(spec));
  }
  if (in.bad()) {
    fprintf(stderr, "smsdispatch enqueue: error reading %s\n", path.c_str());
    return false;
  }
  return true;
}

// Signs one job (applying the corruption) and returns the XADD arguments.
class EntryMaker {
 public:
  EntryMaker(const SigningKey& key, std::string stream, Corruption corruption,
             int64_t send_in_ms = 0, uint32_t shards = 1)
      : key_(key),
        stream_(std::move(stream)),
        shards_(shards),
        corruption_(corruption),
        send_in_ms_(send_in_ms),
        // One stranger secret per call is enough: no verifier knows it either way.
        stranger_secret_(RandomBytes(32)) {}

  // `*shard`: the job's shard (core/shard_rule.h), whose stream the XADD names.
  std::vector<std::string> Make(const JobSpec& spec, std::string* job_id, uint32_t* shard) {
    Job job;
    job.id = spec.id.empty() ? HexEncode(RandomBytes(16)) : spec.id;
    job.created_ms = WallNowMs();
    // A scheduled send (--send-in-s): its validity runs from when it is due.
    if (send_in_ms_ > 0) job.send_at_ms = job.created_ms + send_in_ms_;
    job.expires_ms = (send_in_ms_ > 0 ? job.send_at_ms : job.created_ms) + spec.ttl_s * 1000;
    job.destination = spec.to;
    job.sender = spec.from;
    job.text = spec.text;
    job.kind = spec.kind;
    job.client_ref = spec.ref;
    std::string_view secret = key_.secret;
    std::string kid = key_.id;
    std::string sign_stream = stream_;
    switch (corruption_) {
      case Corruption::kNone:
        break;
      case Corruption::kForgedSignature:
        secret = stranger_secret_;
        break;
      case Corruption::kUnknownKey:
        kid = "unknown.v1";
        secret = stranger_secret_;
        break;
      case Corruption::kExpired:
        job.created_ms -= 2 * 3'600'000;
        job.expires_ms = job.created_ms + 3'600'000;
        break;
      case Corruption::kMalformed:
        break;
      case Corruption::kWrongStream:
        sign_stream = "other";
        break;
      case Corruption::kBadNumber:
        job.destination = "12345";
        break;
    }
    // 0xc1 is the one byte msgpack never uses, so these bytes cannot be read as a job.
    std::string bytes =
        corruption_ == Corruption::kMalformed ? std::string("\xc1 not msgpack") : EncodeJob(job);
    std::string sig = SignJob(mac_, secret, kid, sign_stream, bytes);
    *job_id = job.id;
    *shard = JobShard(job.id, shards_);
    return {"XADD",
            ShardName(stream_, *shard),
            "*",
            "v",
            std::string(kEnvelopeVersion),
            "kid",
            kid,
            "job",
            std::move(bytes),
            "sig",
            std::move(sig)};
  }

 private:
  const SigningKey& key_;
  std::string stream_;  // what jobs are signed for; shard 0's stream
  uint32_t shards_ = 1;
  Corruption corruption_;
  int64_t send_in_ms_ = 0;
  std::string stranger_secret_;
  OpenSslMac mac_;
};

// The jobs to add: a list (one job, a file) or a generator (--count), behind one function.
struct JobSource {
  std::vector<JobSpec> listed;
  int64_t total = 0;
  std::function<JobSpec(int64_t)> spec_at;
  bool single = false;  // one job from --to: its entry id is printed
};

// Fills `source` from the options; an exit code when it cannot (usage error, bad file).
std::optional<int> BuildJobSource(const Args& args, JobKind kind, int64_t ttl_s, int64_t count,
                                  JobSource* source) {
  if (args.Has("file")) {
    for (const char* o : {"to", "from", "text", "ref", "id", "to-prefix", "kind"}) {
      if (args.Has(o)) return Usage(std::string("--") + o + " does not go with --file");
    }
    if (!ReadJobFile(args.Get("file"), ttl_s, &source->listed)) return kExitFailure;
  } else {
    if (!args.Has("from") || !args.Has("text")) return Usage("--from and --text are required");
    JobSpec base;
    base.from = args.Get("from");
    base.text = args.Get("text");
    base.kind = kind;
    base.ref = args.Get("ref");
    base.ttl_s = ttl_s;
    if (args.Has("count")) {
      if (!args.Has("to-prefix")) return Usage("--count needs --to-prefix");
      if (args.Has("to") || args.Has("id")) return Usage("--to and --id do not go with --count");
      source->total = count;
      // Wide enough for the largest counter, so the N destinations are distinct.
      const int width = std::max<int>(6, static_cast<int>(std::to_string(count - 1).size()));
      const std::string prefix = args.Get("to-prefix");
      source->spec_at = [base, prefix, width](int64_t i) {
        JobSpec s = base;
        std::string digits = std::to_string(i);
        s.to = prefix + std::string(static_cast<size_t>(width) - digits.size(), '0') + digits;
        return s;
      };
      return std::nullopt;
    }
    if (args.Has("to-prefix")) return Usage("--to-prefix goes with --count");
    base.to = args.Get("to");
    base.id = args.Get("id");
    source->listed.push_back(base);
    source->single = true;
  }
  source->total = static_cast<int64_t>(source->listed.size());
  source->spec_at = [listed = &source->listed](int64_t i) {
    return (*listed)[static_cast<size_t>(i)];
  };
  return std::nullopt;
}

// Adds the jobs in pipelined batches: a batch goes out whole (each job on its shard's
// connection), then its replies are read in order. Counts the jobs added in `*done`; stops at
// the first failed reply.
int SendJobs(std::vector<RedisClient>& shards, EntryMaker& maker, const JobSource& source,
             int64_t batch, FILE* entries_out, int64_t* done) {
  std::vector<std::string> job_ids;
  std::vector<uint32_t> job_shards;
  while (*done < source.total) {
    const int64_t begin = *done;
    const int64_t end = std::min(source.total, begin + batch);
    job_ids.clear();
    job_shards.clear();
    for (int64_t i = begin; i < end; ++i) {
      job_ids.emplace_back();
      job_shards.emplace_back();
      std::vector<std::string> xadd =
          maker.Make(source.spec_at(i), &job_ids.back(), &job_shards.back());
      shards[job_shards.back()].Append(xadd);
    }
    for (int64_t i = begin; i < end; ++i) {
      RedisClient& redis = shards[job_shards[static_cast<size_t>(i - begin)]];
      RedisReplyPtr r = redis.GetReply();
      if (!r) return Fail("Redis: " + redis.error());
      if (r->type != REDIS_REPLY_STRING) {
        return Fail("XADD failed: " + (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                                    : "unexpected reply"));
      }
      const std::string& job_id = job_ids[static_cast<size_t>(i - begin)];
      const std::string entry(r->str, r->len);
      if (source.single) printf("%s %s\n", entry.c_str(), job_id.c_str());
      if (entries_out != nullptr) fprintf(entries_out, "%s %s\n", entry.c_str(), job_id.c_str());
      ++*done;
    }
  }
  return kExitOk;
}

// WAIT after the last XADD (docs/redis.md, "Replication and failover"): one call covers every
// write this connection made.
int AwaitReplicas(RedisClient& redis, int64_t replicas, int64_t timeout_ms) {
  RedisReplyPtr r = redis.Command({"WAIT", std::to_string(replicas), std::to_string(timeout_ms)});
  if (!r) return Fail("Redis: " + redis.error());
  if (r->type != REDIS_REPLY_INTEGER) {
    return Fail("WAIT failed: " +
                (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply"));
  }
  if (r->integer < replicas) {
    return Fail("the jobs were added, but " + std::to_string(r->integer) + " of " +
                std::to_string(replicas) + " replicas had them within " +
                std::to_string(timeout_ms) + " ms: a master failover now could lose them");
  }
  return kExitOk;
}

std::optional<std::string> StreamProblem(const std::string& stream, int64_t shards) {
  if (stream.empty() || stream.find('\n') != std::string::npos) {
    return "--stream must be a non-empty name without newlines";
  }
  if (shards > 1 && stream.find(kShardTag) == std::string::npos) {
    return "--shards needs a --stream with the {0} hash tag, e.g. sd:{0}:jobs";
  }
  return std::nullopt;
}

// One connection per shard (on a cluster, to the master of the shard's slot); an exit code
// when one cannot be made.
std::optional<int> ConnectShards(const Args& args, const std::string& stream, int64_t shards,
                                 std::vector<RedisClient>* clients) {
  std::string error;
  bool usage_error = false;
  for (int64_t i = 0; i < shards; ++i) {
    std::optional<RedisClient> redis = RedisClient::Connect(
        args, &error, &usage_error, ShardName(stream, static_cast<uint32_t>(i)));
    if (!redis) return usage_error ? Usage(error) : Fail(error);
    clients->push_back(std::move(*redis));
  }
  return std::nullopt;
}

}  // namespace

int RunEnqueue(int argc, char** argv) {
  Args args(kSynopsis, EnqueueOptions());
  if (!args.Parse(argc, argv, 2)) return Usage(args.error());
  if (args.Has("help")) {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  if (!args.Has("key-file") || !args.Has("key-id")) {
    return Usage("--key-file and --key-id are required");
  }
  const int modes = (args.Has("to") && !args.Has("count") ? 1 : 0) + (args.Has("file") ? 1 : 0) +
                    (args.Has("count") ? 1 : 0);
  if (modes != 1) return Usage("give exactly one of --to (one job), --file or --count");
  const std::optional<Corruption> corruption = ParseCorruption(args.Get("corrupt"));
  if (!corruption) return Usage("unknown --corrupt mode '" + args.Get("corrupt") + "'");
  const std::optional<JobKind> kind = ParseKind(args.Get("kind"));
  if (!kind) return Usage("--kind must be otp, transactional or marketing");
  const std::optional<int64_t> ttl_s = args.Int("ttl-s", 3600, 1, kMaxTtlS);
  const std::optional<int64_t> send_in_s = args.Int("send-in-s", 0, 0, kMaxTtlS);
  if (!send_in_s) return Usage(args.error());
  const std::optional<int64_t> batch = args.Int("batch", 500, 1, kMaxBatch);
  const std::optional<int64_t> count = args.Int("count", 0, 1, kMaxCount);
  if (!ttl_s || !batch || !count) return Usage(args.error());
  const std::optional<int64_t> wait_replicas = args.Int("wait-replicas", 0, 1, 100);
  const std::optional<int64_t> wait_timeout_ms = args.Int("wait-timeout-ms", 5000, 1, 600'000);
  if (!wait_replicas || !wait_timeout_ms) return Usage(args.error());
  if (args.Has("wait-timeout-ms") && !args.Has("wait-replicas")) {
    return Usage("--wait-timeout-ms goes with --wait-replicas");
  }
  const std::string stream = args.Get("stream", "sd:jobs");
  const std::optional<int64_t> shards = args.Int("shards", 1, 1, kMaxShards);
  if (!shards) return Usage(args.error());
  if (std::optional<std::string> bad = StreamProblem(stream, *shards)) return Usage(*bad);
  JobSource source;
  if (std::optional<int> rc = BuildJobSource(args, *kind, *ttl_s, *count, &source)) return *rc;

  auto keys = LoadKeyFile(args.Get("key-file"));
  if (auto* err = std::get_if<ConfigError>(&keys)) return Fail(err->ToString());
  const auto ring = std::get<std::shared_ptr<const KeyRing>>(keys);
  const SigningKey* key = ring->Find(args.Get("key-id"));
  if (key == nullptr) {
    return Fail("key '" + args.Get("key-id") + "' is not in " + args.Get("key-file"));
  }
  FILE* entries_out = nullptr;
  if (args.Has("entries-out")) {
    entries_out = fopen(args.Get("entries-out").c_str(), "w");
    if (entries_out == nullptr) return Fail("cannot write " + args.Get("entries-out"));
  }
  std::vector<RedisClient> clients;
  if (std::optional<int> failed = ConnectShards(args, stream, *shards, &clients)) {
    if (entries_out != nullptr) fclose(entries_out);
    return *failed;
  }

  EntryMaker maker(*key, stream, *corruption, *send_in_s * 1000, static_cast<uint32_t>(*shards));
  const int64_t start_ms = WallNowMs();
  int64_t done = 0;
  int rc = SendJobs(clients, maker, source, *batch, entries_out, &done);
  for (RedisClient& redis : clients) {
    if (rc == kExitOk && *wait_replicas > 0) {
      rc = AwaitReplicas(redis, *wait_replicas, *wait_timeout_ms);
    }
  }
  if (entries_out != nullptr && fclose(entries_out) != 0 && rc == kExitOk) {
    rc = Fail("cannot write " + args.Get("entries-out"));
  }
  if (rc != kExitOk) {
    fprintf(stderr, "smsdispatch enqueue: %lld of %lld jobs were added before the error\n",
            static_cast<long long>(done), static_cast<long long>(source.total));
    return rc;
  }
  if (!source.single) {
    const std::string others =
        *shards > 1 ? " and its " + std::to_string(*shards - 1) + " other shards" : "";
    printf("enqueued %lld jobs to %s%s in %lld ms\n", static_cast<long long>(source.total),
           stream.c_str(), others.c_str(), static_cast<long long>(WallNowMs() - start_ms));
  }
  return kExitOk;
}

}  // namespace sd::cli
