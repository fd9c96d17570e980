// smsdispatch: the producer/operator CLI. keygen makes signing keys, enqueue signs and adds
// jobs (pipelined), outcomes summarises the outcome and receipt streams. docs/cli.md.
#include <hiredis/hiredis.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/crypto/random.h"
#include "core/envelope.h"
#include "core/hex.h"
#include "daemon/lib/config.h"
#include "daemon/lib/key_file.h"

namespace {

constexpr int kUsage = 2;
constexpr int kFail = 1;
constexpr const char* kKeygenUsage = "usage: smsdispatch keygen --id KEY_ID [--out FILE]\n";
constexpr const char* kEnqueueUsage =
    "usage: smsdispatch enqueue [--redis HOST:PORT | --redis-unix PATH] [--user U --password-file F]\n"
    "         [--stream sd:jobs] --key-file F --key-id ID\n"
    "         ( --to +E164 --from SENDER --text TEXT [--kind otp|transactional|marketing] [--ref R] [--id ID]\n"
    "         | --file JOBS.jsonl | --count N --to-prefix +PREFIX --from S --text T )\n"
    "         [--ttl-s 3600] [--corrupt forged-signature|unknown-key|expired|malformed|wrong-stream|bad-number]\n";
constexpr const char* kOutcomesUsage =
    "usage: smsdispatch outcomes [--redis HOST:PORT | --redis-unix PATH] [--outcomes-stream S]\n"
    "         [--receipts-stream S] [--wait-for N] [--wait-receipts M] [--timeout-s T] [--json]\n";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Flag parsing shared by the subcommands: --name value pairs plus bare flags.
class Args {
 public:
  Args(int argc, char** argv, int start, std::set<std::string> bare) {
    for (int i = start; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        error = "unexpected argument '" + a + "'";
        return;
      }
      a = a.substr(2);
      if (bare.count(a)) {
        values[a] = "1";
      } else if (i + 1 < argc) {
        values[a] = argv[++i];
      } else {
        error = "--" + a + " needs a value";
        return;
      }
    }
  }
  std::string Get(const std::string& k, std::string def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
  bool Has(const std::string& k) const { return values.count(k) > 0; }
  bool OnlyKnown(const std::set<std::string>& known) {
    for (auto& [k, v] : values) {
      if (!known.count(k)) {
        error = "unknown option --" + k;
        return false;
      }
    }
    return true;
  }
  std::map<std::string, std::string> values;
  std::string error;
};

struct RedisDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisPtr = std::unique_ptr<redisContext, RedisDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr Cmd(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (auto& a : argv) {
    p.push_back(a.data());
    l.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), p.data(), l.data())));
}

std::optional<RedisPtr> ConnectRedis(const Args& a) {
  redisContext* c = nullptr;
  if (a.Has("redis-unix")) {
    c = redisConnectUnix(a.Get("redis-unix").c_str());
  } else {
    const std::string hp = a.Get("redis", "127.0.0.1:6379");
    const auto colon = hp.rfind(':');
    const std::string host = colon == std::string::npos ? hp : hp.substr(0, colon);
    const int port = colon == std::string::npos ? 6379 : atoi(hp.c_str() + colon + 1);
    c = redisConnect(host.c_str(), port);
  }
  if (c == nullptr || c->err) {
    fprintf(stderr, "smsdispatch: cannot connect to redis: %s\n", c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return std::nullopt;
  }
  RedisPtr r(c);
  if (a.Has("password-file")) {
    auto pw = sd::ReadSecretFile(a.Get("password-file"));
    if (auto* e = std::get_if<sd::ConfigError>(&pw)) {
      fprintf(stderr, "smsdispatch: %s\n", e->ToString().c_str());
      return std::nullopt;
    }
    std::vector<std::string> auth{"AUTH"};
    if (a.Has("user")) auth.push_back(a.Get("user"));
    auth.push_back(std::get<std::string>(pw));
    ReplyPtr rep = Cmd(r.get(), auth);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
      fprintf(stderr, "smsdispatch: redis AUTH failed%s%s\n", rep ? ": " : "", rep ? rep->str : "");
      return std::nullopt;
    }
  }
  return r;
}

// ---- keygen ----------------------------------------------------------------------------------

int Keygen(int argc, char** argv) {
  Args a(argc, argv, 2, {});
  if (!a.error.empty() || !a.OnlyKnown({"id", "out"}) || !a.Has("id")) {
    fprintf(stderr, "smsdispatch keygen: %s\n%s", a.error.empty() ? "--id is required" : a.error.c_str(),
            kKeygenUsage);
    return kUsage;
  }
  const std::string entry = "[[key]]\nid = \"" + a.Get("id") + "\"\nsecret = \"" +
                            sd::HexEncode(sd::RandomBytes(32)) + "\"\n";
  if (!a.Has("out")) {
    fputs(entry.c_str(), stdout);
    return 0;
  }
  // Created 0600 from the start: the secret is never readable by others, not even briefly.
  const int fd = open(a.Get("out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) {
    fprintf(stderr, "smsdispatch keygen: cannot open %s: %s\n", a.Get("out").c_str(), strerror(errno));
    return kFail;
  }
  struct stat st {};
  fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    close(fd);
    fprintf(stderr, "smsdispatch keygen: %s is accessible by group or others; refusing\n", a.Get("out").c_str());
    return kFail;
  }
  const std::string text = (st.st_size > 0 ? "\n" : "") + entry;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok) return kFail;
  printf("key %s written to %s\n", a.Get("id").c_str(), a.Get("out").c_str());
  return 0;
}

// ---- enqueue ---------------------------------------------------------------------------------

struct JobSpec {
  sd::Job job;
};

int Enqueue(int argc, char** argv) {
  Args a(argc, argv, 2, {});
  const std::set<std::string> known{"redis", "redis-unix", "user", "password-file", "stream", "key-file",
                                    "key-id", "to", "from", "text", "kind", "ref", "id", "ttl-s", "file",
                                    "count", "to-prefix", "corrupt", "batch"};
  auto usage = [&](const std::string& why) {
    fprintf(stderr,
            "smsdispatch enqueue: %s\n%s", why.c_str(), kEnqueueUsage);
    return kUsage;
  };
  if (!a.error.empty() || !a.OnlyKnown(known)) return usage(a.error);
  if (!a.Has("key-file") || !a.Has("key-id")) return usage("--key-file and --key-id are required");
  const std::string corrupt = a.Get("corrupt");
  static const std::set<std::string> kCorrupt{"", "forged-signature", "unknown-key", "expired",
                                              "malformed", "wrong-stream", "bad-number"};
  if (!kCorrupt.count(corrupt)) return usage("unknown --corrupt mode '" + corrupt + "'");
  auto keys = sd::LoadKeyFile(a.Get("key-file"));
  if (auto* e = std::get_if<sd::ConfigError>(&keys)) {
    fprintf(stderr, "smsdispatch: %s\n", e->ToString().c_str());
    return kFail;
  }
  const sd::SigningKey* key = std::get<std::shared_ptr<const sd::KeyRing>>(keys)->Find(a.Get("key-id"));
  if (key == nullptr) {
    fprintf(stderr, "smsdispatch: key '%s' is not in %s\n", a.Get("key-id").c_str(), a.Get("key-file").c_str());
    return kFail;
  }
  const int64_t ttl_ms = atoll(a.Get("ttl-s", "3600").c_str()) * 1000;
  auto kind_of = [](const std::string& k) -> std::optional<sd::JobKind> {
    if (k == "otp") return sd::JobKind::kOtp;
    if (k == "transactional" || k.empty()) return sd::JobKind::kTransactional;
    if (k == "marketing") return sd::JobKind::kMarketing;
    return std::nullopt;
  };
  auto new_job = [&](std::string to, std::string from, std::string text, std::string kind, std::string ref,
                     std::string id, int64_t ttl) -> std::optional<sd::Job> {
    sd::Job j;
    auto k = kind_of(kind);
    if (!k) return std::nullopt;
    j.kind = *k;
    j.id = id.empty() ? sd::HexEncode(sd::RandomBytes(16)) : id;
    j.created_ms = NowMs();
    j.expires_ms = j.created_ms + ttl;
    j.destination = std::move(to);
    j.sender = std::move(from);
    j.text = std::move(text);
    j.client_ref = std::move(ref);
    return j;
  };
  std::vector<sd::Job> jobs;
  if (a.Has("file")) {
    std::ifstream in(a.Get("file"));
    if (!in) {
      fprintf(stderr, "smsdispatch: cannot read %s\n", a.Get("file").c_str());
      return kFail;
    }
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        fprintf(stderr, "smsdispatch: %s:%d: not a JSON object\n", a.Get("file").c_str(), n);
        return kFail;
      }
      auto s = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
      const int64_t ttl = j.contains("ttl_s") && j["ttl_s"].is_number_integer() ? j["ttl_s"].get<int64_t>() * 1000 : ttl_ms;
      auto job = new_job(s("to"), s("from"), s("text"), s("kind"), s("ref"), s("id"), ttl);
      if (!job) {
        fprintf(stderr, "smsdispatch: %s:%d: kind must be otp, transactional or marketing\n", a.Get("file").c_str(), n);
        return kFail;
      }
      jobs.push_back(std::move(*job));
    }
  } else if (a.Has("count")) {
    const long n = atol(a.Get("count").c_str());
    if (n <= 0 || !a.Has("to-prefix")) return usage("--count needs a positive N and --to-prefix");
    const std::string prefix = a.Get("to-prefix");
    for (long i = 0; i < n; ++i) {
      char num[32];
      snprintf(num, sizeof num, "%06ld", i);
      auto job = new_job(prefix + num, a.Get("from", "SMSDISP"), a.Get("text", "test message"), a.Get("kind"),
                         a.Get("ref"), "", ttl_ms);
      if (!job) return usage("bad --kind");
      jobs.push_back(std::move(*job));
    }
  } else {
    if (!a.Has("to") || !a.Has("from") || !a.Has("text")) return usage("--to, --from and --text are required");
    auto job = new_job(a.Get("to"), a.Get("from"), a.Get("text"), a.Get("kind"), a.Get("ref"), a.Get("id"), ttl_ms);
    if (!job) return usage("bad --kind");
    jobs.push_back(std::move(*job));
  }

  auto conn = ConnectRedis(a);
  if (!conn) return kFail;
  redisContext* c = conn->get();
  const std::string stream = a.Get("stream", "sd:jobs");
  sd::OpenSslMac mac;
  const size_t batch = static_cast<size_t>(std::max(1L, atol(a.Get("batch", "500").c_str())));
  const int64_t start = NowMs();
  size_t done = 0;
  const bool single = jobs.size() == 1 && !a.Has("count") && !a.Has("file");
  while (done < jobs.size()) {
    const size_t end = std::min(jobs.size(), done + batch);
    // Pipelined: append the whole batch, then read the replies.
    for (size_t i = done; i < end; ++i) {
      sd::Job& j = jobs[i];
      std::string secret = key->secret;
      std::string kid = key->id;
      std::string sign_stream = stream;
      if (corrupt == "expired") {
        j.created_ms = NowMs() - 7'200'000;
        j.expires_ms = NowMs() - 3'600'000;
      } else if (corrupt == "bad-number") {
        j.destination = "12345";
      }
      std::string bytes = sd::EncodeJob(j);
      if (corrupt == "malformed") bytes = std::string("\xc1not msgpack", 12);
      if (corrupt == "forged-signature") secret = sd::RandomBytes(32);
      if (corrupt == "unknown-key") {
        kid = "unknown.v1";
        secret = sd::RandomBytes(32);
      }
      if (corrupt == "wrong-stream") sign_stream = "other";
      const std::string sig = sd::SignJob(mac, secret, kid, sign_stream, bytes);
      std::vector<std::string> argv{"XADD", stream, "*", "v", "sd1", "kid", kid, "job", bytes, "sig", sig};
      std::vector<const char*> p;
      std::vector<size_t> l;
      for (auto& s : argv) {
        p.push_back(s.data());
        l.push_back(s.size());
      }
      redisAppendCommandArgv(c, static_cast<int>(argv.size()), p.data(), l.data());
    }
    for (size_t i = done; i < end; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        fprintf(stderr, "smsdispatch: redis error: %s\n", c->errstr);
        return kFail;
      }
      ReplyPtr r(static_cast<redisReply*>(raw));
      if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "smsdispatch: XADD failed: %s\n", r->str);
        return kFail;
      }
      if (single) printf("%s %s\n", std::string(r->str, r->len).c_str(), jobs[i].id.c_str());
    }
    done = end;
  }
  if (!single) {
    printf("enqueued %zu jobs to %s in %lld ms\n", jobs.size(), stream.c_str(),
           static_cast<long long>(NowMs() - start));
  }
  return 0;
}

// ---- outcomes --------------------------------------------------------------------------------

struct Summary {
  uint64_t outcomes = 0, submitted = 0, rejected = 0, receipts = 0, duplicates = 0;
  std::map<std::string, uint64_t> by_reason;
  std::map<std::string, uint64_t> receipts_by_status;
};

// Reads a whole stream in pages of 1000 with XRANGE; calls fn(fields) per entry.
bool ScanStream(redisContext* c, const std::string& stream,
                const std::function<void(const std::map<std::string, std::string>&)>& fn) {
  std::string start = "-";
  while (true) {
    ReplyPtr r = Cmd(c, {"XRANGE", stream, start, "+", "COUNT", "1000"});
    if (!r || r->type != REDIS_REPLY_ARRAY) return false;
    if (r->elements == 0) return true;
    std::string last;
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      last = std::string(e->element[0]->str, e->element[0]->len);
      std::map<std::string, std::string> f;
      const redisReply* kv = e->element[1];
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[std::string(kv->element[k]->str, kv->element[k]->len)] =
            std::string(kv->element[k + 1]->str, kv->element[k + 1]->len);
      }
      fn(f);
    }
    start = "(" + last;
    if (r->elements < 1000) return true;
  }
}

Summary Summarise(redisContext* c, const std::string& outcomes, const std::string& receipts) {
  Summary s;
  std::set<std::string> entries;
  ScanStream(c, outcomes, [&](const std::map<std::string, std::string>& f) {
    ++s.outcomes;
    auto e = f.find("entry");
    if (e != f.end() && !entries.insert(e->second).second) ++s.duplicates;
    auto st = f.find("status");
    if (st != f.end() && st->second == "submitted") {
      ++s.submitted;
    } else {
      ++s.rejected;
      auto r = f.find("reason");
      ++s.by_reason[r == f.end() ? "?" : r->second];
    }
  });
  ScanStream(c, receipts, [&](const std::map<std::string, std::string>& f) {
    ++s.receipts;
    auto st = f.find("status");
    ++s.receipts_by_status[st == f.end() ? "?" : st->second];
  });
  return s;
}

int Outcomes(int argc, char** argv) {
  Args a(argc, argv, 2, {"json"});
  const std::set<std::string> known{"redis", "redis-unix", "user", "password-file", "outcomes-stream",
                                    "receipts-stream", "wait-for", "wait-receipts", "timeout-s", "json"};
  if (!a.error.empty() || !a.OnlyKnown(known)) {
    fprintf(stderr,
            "smsdispatch outcomes: %s\n%s", a.error.c_str(), kOutcomesUsage);
    return kUsage;
  }
  auto conn = ConnectRedis(a);
  if (!conn) return kFail;
  const uint64_t want = strtoull(a.Get("wait-for", "0").c_str(), nullptr, 10);
  const uint64_t want_receipts = strtoull(a.Get("wait-receipts", "0").c_str(), nullptr, 10);
  const int64_t deadline = NowMs() + atoll(a.Get("timeout-s", "60").c_str()) * 1000;
  const std::string os = a.Get("outcomes-stream", "sd:outcomes");
  const std::string rs = a.Get("receipts-stream", "sd:receipts");
  Summary s;
  while (true) {
    // Cheap XLEN polling until the counts are reached; one full scan at the end.
    ReplyPtr ol = Cmd(conn->get(), {"XLEN", os});
    ReplyPtr rl = Cmd(conn->get(), {"XLEN", rs});
    const uint64_t have_o = ol && ol->type == REDIS_REPLY_INTEGER ? static_cast<uint64_t>(ol->integer) : 0;
    const uint64_t have_r = rl && rl->type == REDIS_REPLY_INTEGER ? static_cast<uint64_t>(rl->integer) : 0;
    if ((have_o >= want && have_r >= want_receipts) || NowMs() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  s = Summarise(conn->get(), os, rs);
  const bool met = s.outcomes >= want && s.receipts >= want_receipts && s.duplicates == 0;
  if (a.Has("json")) {
    nlohmann::json j{{"outcomes", s.outcomes}, {"submitted", s.submitted}, {"rejected", s.rejected},
                     {"rejected_by_reason", s.by_reason}, {"receipts", s.receipts},
                     {"receipts_by_status", s.receipts_by_status}, {"duplicate_outcomes", s.duplicates},
                     {"complete", met}};
    printf("%s\n", j.dump().c_str());
  } else {
    printf("outcomes: %llu (submitted %llu, rejected %llu)\n", static_cast<unsigned long long>(s.outcomes),
           static_cast<unsigned long long>(s.submitted), static_cast<unsigned long long>(s.rejected));
    for (auto& [reason, n] : s.by_reason) printf("  rejected %-22s %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
    printf("receipts: %llu\n", static_cast<unsigned long long>(s.receipts));
    for (auto& [st, n] : s.receipts_by_status) printf("  %-31s %llu\n", st.c_str(), static_cast<unsigned long long>(n));
    printf("duplicate outcomes (same entry twice): %llu\n", static_cast<unsigned long long>(s.duplicates));
    if (want > 0 || want_receipts > 0) {
      printf("%s\n", met ? "complete: every expected outcome and receipt is present"
                         : "INCOMPLETE: timed out before every expected outcome/receipt arrived");
    }
  }
  return met ? 0 : kFail;
}

void Usage(FILE* f) {
  fprintf(f,
          "usage: smsdispatch COMMAND [options]\n"
          "  keygen    generate a signing key (256-bit secret) into a key file\n"
          "  enqueue   sign and add jobs to the job stream\n"
          "  outcomes  summarise the outcome and receipt streams (optionally wait for counts)\n"
          "Run 'smsdispatch COMMAND --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return kUsage;
  }
  const std::string cmd = argv[1];
  for (int i = 2; i < argc; ++i) {
    if (!strcmp(argv[i], "--help")) {
      const char* text = cmd == "keygen" ? kKeygenUsage : cmd == "enqueue" ? kEnqueueUsage
                         : cmd == "outcomes" ? kOutcomesUsage : nullptr;
      if (text != nullptr) {
        fputs(text, stdout);
        return 0;
      }
    }
  }
  if (cmd == "keygen") return Keygen(argc, argv);
  if (cmd == "enqueue") return Enqueue(argc, argv);
  if (cmd == "outcomes") return Outcomes(argc, argv);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    Usage(stdout);
    return 0;
  }
  fprintf(stderr, "smsdispatch: unknown command '%s'\n", cmd.c_str());
  Usage(stderr);
  return kUsage;
}
