// The smsdispatch binary against a real redis-server: keygen's file, what enqueue writes (and
// that it verifies with the key), each --corrupt mode's defect, JSON lines, Redis AUTH, the
// outcomes summary and its wait, and usage errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/envelope.h"
#include "daemon/lib/key_file.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace sd {
namespace {

using ::sd::testing::ReadTextFile;
using ::sd::testing::RedisServer;
using ::sd::testing::RedisServerOptions;
using ::sd::testing::ReplyPairs;
using ::sd::testing::ReplyPtr;
using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

// base followed by more: argument lists built from a common prefix.
std::vector<std::string> Plus(std::vector<std::string> base,
                              std::initializer_list<std::string> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

struct CliResult {
  int status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// The CLI as a child process with stdout and stderr captured apart (which stream a message
// goes to is part of the interface). Start() and Finish() are split so that a test can act
// while the CLI waits.
class CliProcess {
 public:
  explicit CliProcess(const TempDir& dir) : dir_(dir) {}
  ~CliProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void Start(const std::vector<std::string>& args) {
    ++runs_;
    out_ = dir_.File("cli" + std::to_string(runs_) + ".out");
    err_ = dir_.File("cli" + std::to_string(runs_) + ".err");
    std::vector<std::string> argv{SD_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&pid_, SD_CLI, &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_EQ(rc, 0) << "posix_spawn " << SD_CLI;
  }

  // Waits for the exit (a deadline, not a timing assertion: only a hang trips it).
  CliResult Finish() {
    CliResult r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int st = 0;
    while (waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &st, 0);
        ADD_FAILURE() << "smsdispatch did not exit within 60 s";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = ReadTextFile(out_);
    r.err = ReadTextFile(err_);
    return r;
  }

 private:
  const TempDir& dir_;
  pid_t pid_ = -1;
  int runs_ = 0;
  std::string out_;
  std::string err_;
};

class CliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    CliProcess p(dir_);
    p.Start(args);
    return p.Finish();
  }
  std::string Redis() const { return "127.0.0.1:" + std::to_string(redis_->port()); }
  void StartRedis(RedisServerOptions options = {}) {
    redis_ = std::make_unique<RedisServer>(std::move(options));
    ASSERT_TRUE(redis_->Start()) << redis_->error();
  }
  // A key file made by the CLI itself; returns its path.
  std::string MakeKeys() {
    const std::string path = dir_.File("keys.toml");
    const CliResult r = Run({"keygen", "--id", "test.v1", "--out", path});
    EXPECT_EQ(r.status, 0) << r.err;
    auto keys = LoadKeyFile(path);
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(keys));
    if (auto* ring = std::get_if<std::shared_ptr<const KeyRing>>(&keys)) {
      secret_ = (*ring)->Find("test.v1")->secret;
    }
    return path;
  }
  std::vector<std::string> EnqueueArgs(const std::string& keys) const {
    return {"enqueue", "--redis", Redis(), "--key-file", keys, "--key-id", "test.v1"};
  }
  struct Entry {
    std::string id;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string Get(const std::string& k) const {
      for (const auto& [f, v] : fields) {
        if (f == k) return v;
      }
      return "";
    }
  };
  std::vector<Entry> ReadStream(const std::string& stream) {
    std::vector<Entry> out;
    ReplyPtr r = redis_->Command({"XRANGE", stream, "-", "+"});
    EXPECT_TRUE(r && r->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; r && i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      out.push_back(
          Entry{std::string(e->element[0]->str, e->element[0]->len), ReplyPairs(e->element[1])});
    }
    return out;
  }
  bool Verifies(const Entry& e, const std::string& stream, const std::string& secret) {
    return VerifyJobSignature(mac_, secret, e.Get("kid"), stream, e.Get("job"), e.Get("sig"));
  }
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  TempDir dir_{"sd-cli-test"};
  std::unique_ptr<RedisServer> redis_;
  std::string secret_;
  OpenSslMac mac_;
};

TEST_F(CliTest, KeygenWritesAPrivateKeyFileTheDaemonLoads) {
  const std::string path = dir_.File("k.toml");
  CliResult r = Run({"keygen", "--id", "acme.v1", "--out", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "key acme.v1 written to " + path + "\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(Run({"keygen", "--id", "acme.v2", "--out", path}).status, 0);
  auto keys = LoadKeyFile(path);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(keys))
      << std::get<ConfigError>(keys).ToString();
  const auto& ring = std::get<std::shared_ptr<const KeyRing>>(keys);
  ASSERT_EQ(ring->size(), 2u);
  EXPECT_EQ(ring->Find("acme.v1")->secret.size(), 32u);
  EXPECT_NE(ring->Find("acme.v1")->secret, ring->Find("acme.v2")->secret);
  EXPECT_NE(ring->Find("acme.v1")->secret, std::string(32, '\0'));

  // The same id twice would make the file unloadable: refused, file unchanged.
  const std::string before = ReadTextFile(path);
  r = Run({"keygen", "--id", "acme.v1", "--out", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("already in"), std::string::npos) << r.err;
  EXPECT_EQ(ReadTextFile(path), before);

  // A file others can read is not made worse.
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  r = Run({"keygen", "--id", "acme.v3", "--out", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("refusing"), std::string::npos) << r.err;
  EXPECT_EQ(ReadTextFile(path), before);
}

TEST_F(CliTest, KeygenToStdoutPrintsALoadableEntry) {
  const CliResult r = Run({"keygen", "--id", "x.v1"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(WriteTextFile(dir_.File("s.toml"), r.out, 0600));
  auto keys = LoadKeyFile(dir_.File("s.toml"));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(keys)) << r.out;
  EXPECT_NE(std::get<std::shared_ptr<const KeyRing>>(keys)->Find("x.v1"), nullptr);
}

TEST_F(CliTest, UsageErrorsExit2OnStderr) {
  const std::string keys = dir_.File("none.toml");
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"keygen"},
      {"keygen", "--id", "bad id"},
      {"keygen", "--id", "a\"b"},
      {"keygen", "--id", "a.v1", "--bogus", "1"},
      {"keygen", "--id"},
      {"enqueue", "--to", "+4915112345678"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A", "--text", "t",
       "--ttl-s", "soon"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A", "--text", "t",
       "--kind", "spam"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A", "--text", "t",
       "--corrupt", "gently"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A", "--text", "t",
       "--file", "j.jsonl"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--count", "0", "--to-prefix", "+49",
       "--from", "A", "--text", "t"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--count", "5", "--from", "A", "--text",
       "t"},
      {"enqueue", "--key-file", keys, "--key-id", "k", "--to", "+49", "--from", "A", "--text", "t",
       "--text", "again"},
      {"enqueue", "positional"},
      {"outcomes", "--wait-for", "-1"},
      {"outcomes", "--wait-receipts", "3"},
      {"outcomes", "--json=yes"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    const CliResult r = Run(args);
    EXPECT_EQ(r.status, 2) << shown << "\n" << r.err;
    EXPECT_EQ(r.out, "") << shown;
    EXPECT_NE(r.err.find("usage"), std::string::npos) << shown << "\n" << r.err;
  }
  // Redis address problems are usage errors too, found before connecting anywhere.
  for (const char* addr : {"localhost", "127.0.0.1:0", "127.0.0.1:http", ":6379"}) {
    const CliResult r = Run({"outcomes", "--redis", addr});
    EXPECT_EQ(r.status, 2) << addr << "\n" << r.err;
  }
  EXPECT_EQ(Run({"outcomes", "--redis", "127.0.0.1:1", "--redis-unix", "/x"}).status, 2);
  EXPECT_EQ(Run({"outcomes", "--user", "u"}).status, 2) << "--user without a password";
}

TEST_F(CliTest, HelpGoesToStdoutAndExits0) {
  for (const std::string cmd : {"keygen", "enqueue", "outcomes"}) {
    const CliResult r = Run({cmd, "--help"});
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_EQ(r.out.rfind("usage: smsdispatch " + cmd, 0), 0u) << r.out;
    EXPECT_EQ(r.err, "");
  }
  const CliResult r = Run({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("keygen"), std::string::npos);
}

// --help is generated from the options each command declares: every option is listed with
// its help, the Redis ones under their own heading, so none can be accepted but undocumented.
TEST_F(CliTest, HelpListsEveryOptionTheCommandAccepts) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"keygen"}, {"--id KEY_ID", "--out FILE"}},
      {{"enqueue"},
       {"--stream NAME", "--key-file FILE", "--key-id ID", "--to +E164", "--from SENDER",
        "--text TEXT", "--kind K", "--ref REF", "--id ID", "--file FILE", "--count N",
        "--to-prefix +PREFIX", "--ttl-s S", "--batch B", "--entries-out FILE", "--corrupt MODE",
        "Redis options:", "--redis HOST:PORT", "--password-file FILE"}},
      {{"outcomes"}, {"--wait-for N", "--timeout-s T", "--expect-entries FILE", "--json"}},
      {{"stats"}, {"--key-prefix P", "--json", "--redis-unix PATH"}},
      {{"keys", "create"}, {"--name NAME", "--otp-template TEXT", "Scopes (create):", "--rate"}},
      {{"keys", "rotate"}, {"--overlap DURATION"}},
  };
  for (const auto& [cmd, listed] : cases) {
    std::vector<std::string> args = cmd;
    args.push_back("--help");
    const CliResult r = Run(args);
    EXPECT_EQ(r.status, 0) << cmd[0];
    for (const std::string& opt : listed) {
      EXPECT_NE(r.out.find(opt), std::string::npos) << cmd.back() << ": " << opt << "\n" << r.out;
    }
  }
  // A flag takes no value, and errors name the option.
  const CliResult flag = Run({"stats", "--json=yes"});
  EXPECT_EQ(flag.status, 2);
  EXPECT_NE(flag.err.find("json"), std::string::npos) << flag.err;
  const CliResult twice = Run({"outcomes", "--wait-for", "1", "--wait-for", "2"});
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("--wait-for"), std::string::npos) << twice.err;
}

TEST_F(CliTest, FailuresExit1) {
  StartRedis();
  const std::string keys = MakeKeys();
  CliResult r = Run({"enqueue", "--redis", Redis(), "--key-file", keys, "--key-id", "other.v1",
                     "--to", "+4915112345678", "--from", "ACME", "--text", "hi"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("key 'other.v1' is not in"), std::string::npos) << r.err;
  ASSERT_EQ(chmod(keys.c_str(), 0644), 0);
  r = Run({"enqueue", "--redis", Redis(), "--key-file", keys, "--key-id", "test.v1", "--to",
           "+4915112345678", "--from", "ACME", "--text", "hi"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("accessible by group or others"), std::string::npos) << r.err;
  ASSERT_EQ(chmod(keys.c_str(), 0600), 0);
  // Nothing listens on the port of a stopped server.
  const std::string addr = Redis();
  redis_->Stop();
  r = Run({"enqueue", "--redis", addr, "--key-file", keys, "--key-id", "test.v1", "--to",
           "+4915112345678", "--from", "ACME", "--text", "hi"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot connect to Redis"), std::string::npos) << r.err;
  EXPECT_EQ(Run({"outcomes", "--redis", addr}).status, 1);
}

TEST_F(CliTest, EnqueueOneJobWritesTheFourFieldsAndAVerifyingSignature) {
  StartRedis();
  const std::string keys = MakeKeys();
  const auto args = Plus(EnqueueArgs(keys), {"--to", "+4915112345678", "--from", "ACME", "--text",
                                             "Your code is 123456", "--kind", "otp", "--ref",
                                             "order-7", "--id", "job-1", "--ttl-s", "600"});
  const int64_t before = NowMs();
  const CliResult r = Run(args);
  const int64_t after = NowMs();
  ASSERT_EQ(r.status, 0) << r.err;
  const auto entries = ReadStream("sd:jobs");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(r.out, entries[0].id + " job-1\n");
  std::vector<std::string> names;
  for (const auto& [f, v] : entries[0].fields) names.push_back(f);
  EXPECT_EQ(names, (std::vector<std::string>{"v", "kid", "job", "sig"}));
  EXPECT_EQ(entries[0].Get("v"), "sd1");
  EXPECT_EQ(entries[0].Get("kid"), "test.v1");
  // Recomputed independently of the CLI's own signing call.
  EXPECT_EQ(entries[0].Get("sig"),
            SignJob(mac_, secret_, "test.v1", "sd:jobs", entries[0].Get("job")));
  EXPECT_TRUE(Verifies(entries[0], "sd:jobs", secret_));
  EXPECT_FALSE(Verifies(entries[0], "sd:other", secret_)) << "bound to the stream name";
  Result<Job> job = DecodeJob(entries[0].Get("job"));
  ASSERT_TRUE(job.ok()) << job.error().detail;
  EXPECT_EQ(job->id, "job-1");
  EXPECT_EQ(job->destination, "+4915112345678");
  EXPECT_EQ(job->sender, "ACME");
  EXPECT_EQ(job->text, "Your code is 123456");
  EXPECT_EQ(job->kind, JobKind::kOtp);
  EXPECT_EQ(job->client_ref, "order-7");
  EXPECT_GE(job->created_ms, before);
  EXPECT_LE(job->created_ms, after);
  EXPECT_EQ(job->expires_ms - job->created_ms, 600'000);
}

TEST_F(CliTest, EnqueueCountMakesDistinctJobsAcrossBatches) {
  StartRedis();
  const std::string keys = MakeKeys();
  const auto args =
      Plus(EnqueueArgs(keys),
           {"--count", "1203", "--batch", "500", "--to-prefix", "+4915100", "--from", "ACME",
            "--text", "load", "--stream", "bench:jobs", "--entries-out", dir_.File("entries.txt")});
  const CliResult r = Run(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("enqueued 1203 jobs to bench:jobs in ", 0), 0u) << r.out;
  const auto entries = ReadStream("bench:jobs");
  ASSERT_EQ(entries.size(), 1203u);
  std::set<std::string> ids;
  std::set<std::string> destinations;
  std::string listed;
  for (const auto& e : entries) {
    ASSERT_TRUE(Verifies(e, "bench:jobs", secret_));
    Result<Job> job = DecodeJob(e.Get("job"));
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->id.size(), 32u) << "128 random bits in hex";
    ids.insert(job->id);
    destinations.insert(job->destination);
    listed += e.id + " " + job->id + "\n";
  }
  EXPECT_EQ(ids.size(), 1203u);
  EXPECT_EQ(destinations.size(), 1203u);
  EXPECT_EQ(*destinations.begin(), "+4915100000000");
  EXPECT_EQ(*destinations.rbegin(), "+4915100001202");
  EXPECT_EQ(ReadTextFile(dir_.File("entries.txt")), listed);
}

TEST_F(CliTest, EachCorruptModeHasItsDefect) {
  StartRedis();
  const std::string keys = MakeKeys();
  auto enqueue = [&](const std::string& mode) {
    const auto args =
        Plus(EnqueueArgs(keys), {"--count", "2", "--to-prefix", "+4915199", "--from", "ACME",
                                 "--text", "bad", "--corrupt", mode, "--stream", "s:" + mode});
    const CliResult r = Run(args);
    EXPECT_EQ(r.status, 0) << mode << r.err;
    auto entries = ReadStream("s:" + mode);
    EXPECT_EQ(entries.size(), 2u) << mode;
    return entries;
  };
  const int64_t now = NowMs();
  for (const auto& e : enqueue("forged-signature")) {
    EXPECT_EQ(e.Get("kid"), "test.v1");
    EXPECT_FALSE(Verifies(e, "s:forged-signature", secret_));
    EXPECT_TRUE(DecodeJob(e.Get("job")).ok());
  }
  for (const auto& e : enqueue("unknown-key")) {
    EXPECT_EQ(e.Get("kid"), "unknown.v1");
    EXPECT_FALSE(Verifies(e, "s:unknown-key", secret_));
  }
  for (const auto& e : enqueue("expired")) {
    EXPECT_TRUE(Verifies(e, "s:expired", secret_));
    Result<Job> job = DecodeJob(e.Get("job"));
    ASSERT_TRUE(job.ok());
    EXPECT_LT(job->expires_ms, now) << "expired before it was enqueued";
    EXPECT_EQ(job->expires_ms - job->created_ms, 3'600'000);
  }
  for (const auto& e : enqueue("malformed")) {
    EXPECT_TRUE(Verifies(e, "s:malformed", secret_)) << "correctly signed";
    EXPECT_FALSE(DecodeJob(e.Get("job")).ok());
  }
  for (const auto& e : enqueue("wrong-stream")) {
    EXPECT_FALSE(Verifies(e, "s:wrong-stream", secret_));
    EXPECT_TRUE(Verifies(e, "other", secret_));
  }
  for (const auto& e : enqueue("bad-number")) {
    EXPECT_TRUE(Verifies(e, "s:bad-number", secret_));
    Result<Job> job = DecodeJob(e.Get("job"));
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->destination, "12345");
  }
}

TEST_F(CliTest, EnqueueJsonLines) {
  StartRedis();
  const std::string keys = MakeKeys();
  ASSERT_TRUE(WriteTextFile(
      dir_.File("jobs.jsonl"),
      "{\"to\":\"+4915112345678\",\"from\":\"ACME\",\"text\":\"one\",\"kind\":\"otp\","
      "\"ref\":\"r1\",\"id\":\"jl-1\"}\n"
      "\n"
      "{\"to\":\"+4915112345679\",\"from\":\"ACME\",\"text\":\"two\",\"kind\":\"marketing\","
      "\"ttl_s\":60}\n"));
  auto args = EnqueueArgs(keys);
  args.push_back("--file");
  args.push_back(dir_.File("jobs.jsonl"));
  CliResult r = Run(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("enqueued 2 jobs to sd:jobs in ", 0), 0u) << r.out;
  auto entries = ReadStream("sd:jobs");
  ASSERT_EQ(entries.size(), 2u);
  Result<Job> one = DecodeJob(entries[0].Get("job"));
  Result<Job> two = DecodeJob(entries[1].Get("job"));
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->id, "jl-1");
  EXPECT_EQ(one->client_ref, "r1");
  EXPECT_EQ(one->kind, JobKind::kOtp);
  EXPECT_EQ(one->expires_ms - one->created_ms, 3'600'000) << "default --ttl-s";
  EXPECT_EQ(two->destination, "+4915112345679");
  EXPECT_EQ(two->kind, JobKind::kMarketing);
  EXPECT_EQ(two->expires_ms - two->created_ms, 60'000);

  // A bad line anywhere: its line number, exit 1, and nothing of that file is added.
  const std::map<std::string, std::string> bad = {
      {"not json\n", ":1: not a JSON object"},
      {"{\"to\":\"+49\",\"from\":\"A\",\"text\":\"x\"}\n[1]\n", ":2: not a JSON object"},
      {"{\"to\":\"+49\",\"from\":\"A\",\"text\":\"x\",\"txet\":\"y\"}\n", ":1: unknown key 'txet'"},
      {"{\"to\":49,\"from\":\"A\",\"text\":\"x\"}\n", ":1: 'to' must be a string"},
      {"{\"to\":\"+49\",\"from\":\"A\"}\n", ":1: 'to', 'from' and 'text' are required"},
      {"{\"to\":\"+49\",\"from\":\"A\",\"text\":\"x\",\"ttl_s\":\"1\"}\n",
       ":1: 'ttl_s' must be an integer"},
      {"{\"to\":\"+49\",\"from\":\"A\",\"text\":\"x\",\"kind\":\"spam\"}\n", ":1: 'kind' must be"},
  };
  for (const auto& [text, message] : bad) {
    ASSERT_TRUE(WriteTextFile(dir_.File("bad.jsonl"), text));
    args.back() = dir_.File("bad.jsonl");
    r = Run(args);
    EXPECT_EQ(r.status, 1) << text;
    EXPECT_NE(r.err.find(dir_.File("bad.jsonl") + message), std::string::npos) << r.err;
  }
  EXPECT_EQ(ReadStream("sd:jobs").size(), 2u);
}

TEST_F(CliTest, RedisAclUserWithPasswordFileAndUnixSocket) {
  RedisServerOptions o;
  o.unix_socket = true;
  o.acl_users = {"producer on >producer-pw ~sd:* +xadd +auth +ping"};
  StartRedis(o);
  const std::string keys = MakeKeys();
  ASSERT_TRUE(WriteTextFile(dir_.File("redis.pw"), "producer-pw\n", 0600));
  const std::vector<std::string> job{"--to", "+4915112345678", "--from", "ACME", "--text", "hi"};
  auto args = std::vector<std::string>{
      "enqueue",         "--redis-unix",        redis_->unix_socket(), "--user", "producer",
      "--password-file", dir_.File("redis.pw"), "--key-file",          keys,     "--key-id",
      "test.v1"};
  args.insert(args.end(), job.begin(), job.end());
  CliResult r = Run(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadStream("sd:jobs").size(), 1u);

  ASSERT_TRUE(WriteTextFile(dir_.File("redis.pw"), "wrong-pw\n", 0600));
  r = Run(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Redis AUTH failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-pw"), std::string::npos) << "never echo the password";

  ASSERT_TRUE(WriteTextFile(dir_.File("redis.pw"), "producer-pw\n", 0640));
  r = Run(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("accessible by group or others"), std::string::npos) << r.err;
  EXPECT_EQ(ReadStream("sd:jobs").size(), 1u);
}

class OutcomesTest : public CliTest {
 protected:
  void SetUp() override { StartRedis(); }
  void Outcome(const std::string& entry, const std::string& status,
               const std::string& reason = "") {
    ReplyPtr r = redis_->Command({"XADD", "sd:outcomes", "*", "entry", entry, "job", "j-" + entry,
                                  "status", status, "reason", reason});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
  }
  void Receipt(const std::string& entry, const std::string& status) {
    ReplyPtr r = redis_->Command({"XADD", "sd:receipts", "*", "entry", entry, "status", status});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
  }
  nlohmann::json Json(const CliResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
};

TEST_F(OutcomesTest, SummarisesOutcomesAndReceipts) {
  Outcome("1-1", "submitted");
  Outcome("1-2", "submitted");
  Outcome("1-3", "rejected", "bad_signature");
  Outcome("1-4", "rejected", "expired");
  Outcome("1-5", "rejected", "expired");
  Receipt("1-1", "delivered");
  Receipt("1-2", "undelivered");
  CliResult r = Run({"outcomes", "--redis", Redis(), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["outcomes"], 5);
  EXPECT_EQ(j["submitted"], 2);
  EXPECT_EQ(j["rejected"], 3);
  EXPECT_EQ(j["rejected_by_reason"], (nlohmann::json{{"bad_signature", 1}, {"expired", 2}}));
  EXPECT_EQ(j["receipts"], 2);
  EXPECT_EQ(j["receipts_by_status"], (nlohmann::json{{"delivered", 1}, {"undelivered", 1}}));
  EXPECT_EQ(j["duplicate_outcomes"], 0);
  EXPECT_EQ(j["ok"], true);

  r = Run({"outcomes", "--redis", Redis()});
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("outcomes: 5 (submitted 2, rejected 3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duplicate outcomes (an entry with more than one): 0"), std::string::npos);

  // A second outcome for one entry breaks the exactly-once promise: reported, exit 1.
  Outcome("1-3", "submitted");
  r = Run({"outcomes", "--redis", Redis(), "--json"});
  EXPECT_EQ(r.status, 1);
  j = Json(r);
  EXPECT_EQ(j["duplicate_outcomes"], 1);
  EXPECT_EQ(j["duplicate_entries"], (nlohmann::json{"1-3"}));
  EXPECT_EQ(j["ok"], false);
}

TEST_F(OutcomesTest, HostileFieldsArePrintedEscapedAndJsonSurvivesInvalidUtf8) {
  // Anyone who may XADD to the streams can write these; the summary must not let them forge
  // output lines, drive the terminal, or make --json throw.
  const std::string forged = "x\n<2>FORGED\x1b[2J\xff";
  Outcome("1-1", "rejected", forged);
  Outcome(forged, "submitted");
  Outcome(forged, "submitted");  // a duplicate: its entry id is printed
  Receipt("1-1", forged);
  CliResult r = Run({"outcomes", "--redis", Redis()});
  EXPECT_EQ(r.status, 1) << r.err;  // the duplicate
  EXPECT_EQ(r.out.find("\n<2>"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\xff'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rejected x\\x0A<2>FORGED\\x1B[2J\\xFF"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duplicate: x\\x0A<2>FORGED"), std::string::npos) << r.out;
  r = Run({"outcomes", "--redis", Redis(), "--json"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_FALSE(Json(r).is_discarded());
}

TEST_F(OutcomesTest, ReadsStreamsLongerThanOnePage) {
  // 2,345 outcomes: three XRANGE pages of 1,000.
  redisContext* c = redis_->Client();
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 2345; ++i) {
    redisAppendCommand(c, "XADD sd:outcomes * entry 1-%d status %s reason %s", i,
                       i % 5 == 0 ? "rejected" : "submitted", i % 5 == 0 ? "replay" : "");
  }
  for (int i = 0; i < 2345; ++i) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(c, &reply), REDIS_OK);
    freeReplyObject(reply);
  }
  const CliResult r = Run({"outcomes", "--redis", Redis(), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["outcomes"], 2345);
  EXPECT_EQ(j["rejected_by_reason"]["replay"], 469);
  EXPECT_EQ(j["duplicate_outcomes"], 0);
}

TEST_F(OutcomesTest, WaitsForCountsAndTimesOut) {
  Outcome("1-1", "submitted");
  // Not there within the timeout: exit 1, the summary still printed.
  CliResult r =
      Run({"outcomes", "--redis", Redis(), "--wait-for", "2", "--timeout-s", "0", "--json"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(Json(r)["wait_met"], false);

  // The CLI waits while the outcomes and receipts arrive.
  CliProcess waiting(dir_);
  waiting.Start({"outcomes", "--redis", Redis(), "--wait-for", "3", "--wait-receipts", "1",
                 "--timeout-s", "600", "--json"});
  Outcome("1-2", "submitted");
  Outcome("1-3", "rejected", "expired");
  Receipt("1-1", "delivered");
  r = waiting.Finish();
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["wait_met"], true);
  EXPECT_EQ(j["outcomes"], 3);
  EXPECT_EQ(j["receipts"], 1);
}

TEST_F(OutcomesTest, ReportsExpectedEntriesWithoutOutcome) {
  const std::string keys = MakeKeys();
  const auto args =
      Plus(EnqueueArgs(keys), {"--count", "3", "--to-prefix", "+4915100", "--from", "ACME",
                               "--text", "t", "--entries-out", dir_.File("entries.txt")});
  ASSERT_EQ(Run(args).status, 0);
  const auto jobs = ReadStream("sd:jobs");
  ASSERT_EQ(jobs.size(), 3u);
  Outcome(jobs[0].id, "submitted");
  Outcome(jobs[2].id, "submitted");
  CliResult r =
      Run({"outcomes", "--redis", Redis(), "--expect-entries", dir_.File("entries.txt"), "--json"});
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["expected_entries"], 3);
  EXPECT_EQ(j["missing_entries"], 1);
  EXPECT_EQ(j["missing_sample"], (nlohmann::json{jobs[1].id}));
  Outcome(jobs[1].id, "submitted");
  r = Run({"outcomes", "--redis", Redis(), "--expect-entries", dir_.File("entries.txt")});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("expected entries: 3, without an outcome: 0"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sd
