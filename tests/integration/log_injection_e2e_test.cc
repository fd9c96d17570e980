// Untrusted bytes never reach the daemon's log raw (docs/architecture.md, "Logs"): entries
// whose key id, job id, client reference and sender hold newlines, a journald priority prefix,
// ESC, NUL, invalid UTF-8 and oversized values are decided like any bad entry, and the log the
// daemon writes meanwhile (at debug level, where the most untrusted data is logged) holds one
// event per line, no forged line, no raw control byte and no non-ASCII byte. And debug level
// shows each step of a job by its ids, never its number or text. Real redis-server, smsc-sim
// and smsdispatchd.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/envelope.h"
#include "daemon/lib/key_file.h"
#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// Longest line the daemon may write: every untrusted field is cut at a few hundred bytes.
constexpr size_t kMaxLogLine = 2048;

const std::string kForgedKid = "e\n<2>FORGED-KID line\x1b[31m red\x1b[0m";
// A key id the entry rules allow (UTF-8, no control characters, at most 64 bytes), so it is
// answered unknown_key and audited, yet hostile to a log reader: a priority-like prefix,
// quotes, a backslash and a bidi override (U+202E).
const std::string kHostileKid = "<2>HOSTILE-KID \"q\" \\ \xe2\x80\xae" "desrever";

// XADDs a job-stream entry with exactly these field values (binary safe); returns its id.
std::string Xadd(Cluster& c, const std::string& kid, const std::string& job,
                 const std::string& sig) {
  std::vector<std::string> argv{"XADD", "sd:jobs", "*",   "v", std::string(kEnvelopeVersion),
                                "kid",  kid,       "job", job, "sig",
                                sig};
  std::vector<const char*> p;
  std::vector<size_t> len;
  for (const std::string& a : argv) {
    p.push_back(a.data());
    len.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c.redis(), static_cast<int>(argv.size()), p.data(), len.data()));
  EXPECT_TRUE(r != nullptr && r->type == REDIS_REPLY_STRING);
  std::string id = r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  if (r != nullptr) freeReplyObject(r);
  return id;
}

// Signs `job` with the harness's key (test.v1) as a producer would.
std::string XaddSigned(Cluster& c, const Job& job) {
  auto ring = LoadKeyFile(c.dir() + "/keys.toml");
  const auto* keys = std::get_if<std::shared_ptr<const KeyRing>>(&ring);
  EXPECT_NE(keys, nullptr);
  if (keys == nullptr) return "";
  const SigningKey* key = (*keys)->Find("test.v1");
  EXPECT_NE(key, nullptr);
  if (key == nullptr) return "";
  OpenSslMac mac;
  const std::string bytes = EncodeJob(job);
  return Xadd(c, "test.v1", bytes, SignJob(mac, key->secret, "test.v1", "sd:jobs", bytes));
}

Job MakeJob(std::string id, std::string to, std::string text) {
  Job j;
  j.id = std::move(id);
  j.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  j.expires_ms = j.created_ms + 3'600'000;
  j.destination = std::move(to);
  j.sender = "ACME";
  j.text = std::move(text);
  return j;
}

std::vector<std::string> Lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The log has one event per line: no line starts with a journald priority prefix ("<2>..."),
// none holds a raw CR, ESC, NUL or other control byte or a non-ASCII byte, none is past the
// bound.
void ExpectCleanLog(const std::string& log) {
  const std::regex priority("^<[0-9]>");
  for (const std::string& line : Lines(log)) {
    EXPECT_FALSE(std::regex_search(line, priority)) << line;
    EXPECT_LE(line.size(), kMaxLogLine) << line.substr(0, 200);
    for (const char ch : line) {
      const auto b = static_cast<unsigned char>(ch);
      if (b < 0x20 || b >= 0x7F) {
        ADD_FAILURE() << "raw byte 0x" << std::hex << int{b} << " in: " << line.substr(0, 200);
        break;
      }
    }
  }
  // Every forged text that reached the log is on the line of the event that carried it, its
  // newline and priority prefix escaped.
  const std::regex escaped_prefix("\\\\x0[AD]<[0-9]>$");
  for (const std::string& line : Lines(log)) {
    for (size_t at = line.find("FORGED"); at != std::string::npos;
         at = line.find("FORGED", at + 1)) {
      EXPECT_TRUE(at >= 7 && std::regex_search(line.substr(at - 7, 7), escaped_prefix)) << line;
    }
  }
}

// Entries whose key id, job id, client reference and sender are hostile (above); returns how
// many were added.
size_t AddHostileEntries(Cluster& c) {
  const std::string nul_and_invalid_utf8("\0\xff\xfe\xc0\xaf", 5);
  // Key ids with control characters, invalid UTF-8 or over 64 bytes break the entry rules
  // (malformed, never echoed); key ids nobody knows that follow them are rejected unknown_key
  // and audited, and the second one of a minute raises the burst warning, which names it.
  const std::vector<std::string> kids = {
      kForgedKid, kForgedKid + nul_and_invalid_utf8 + "\r<3>FORGED-KID-2",
      kForgedKid + std::string(20'000, 'K'),
      kForgedKid + "\xe2\x80\xae" + "reversed",  // U+202E, a bidi override
      kHostileKid, kHostileKid,
  };
  size_t entries = 0;
  for (const std::string& kid : kids) {
    EXPECT_NE(Xadd(c, kid, "\x81\xa1x\x01", std::string(64, '0')), "");
    ++entries;
  }
  // Validly signed entries whose own fields are hostile: each is decided (an id, sender or
  // size the contract refuses is rejected, a hostile client reference is sent as it is), and
  // every debug line about them is checked like the rest.
  std::vector<Job> jobs;
  jobs.push_back(MakeJob("j\n<4>FORGED-JOB\x1b[0m" + nul_and_invalid_utf8, "+4915100000001", "a"));
  jobs.push_back(MakeJob("j2\n<5>FORGED-JOB2", "+4915100000002", "b"));
  jobs.push_back(MakeJob(std::string(60, 'J') + "\x1b\n", "+4915100000003", "c"));
  jobs.push_back(MakeJob(std::string(3000, 'O'), "+4915100000004", "d"));  // oversized id
  {
    Job j = MakeJob("ref-job", "+4915100000005", "e");
    j.client_ref = "r\n<6>FORGED-REF\x1b[2J" + nul_and_invalid_utf8;
    jobs.push_back(j);
    j = MakeJob("sender-job", "+4915100000006", "f");
    j.sender = "S\n<7>FORGED\x1b";
    jobs.push_back(j);
    j = MakeJob("big-ref-job", "+4915100000007", "g");
    j.client_ref = std::string(3000, '\n');
    jobs.push_back(j);
  }
  for (const Job& j : jobs) {
    EXPECT_NE(XaddSigned(c, j), "");
    ++entries;
  }
  return entries;
}

// A debug-level daemon in `log_format` is fed the hostile entries until each has its outcome
// and the audit burst warning (which names the latest kid) is written; then it stops. Its log.
void RunHostileDaemon(const std::string& log_format, std::string* log) {
  Cluster::Options o;
  o.log_level = "debug";
  o.log_format = log_format;
  o.redis_extra = "audit_burst_per_minute = 1\n";
  Cluster c(o);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c.DaemonLog();
  const size_t entries = AddHostileEntries(c);
  ASSERT_TRUE(OutcomesReach(c, static_cast<long long>(entries))) << c.DaemonLog();
  ASSERT_TRUE(
      WaitUntil([&] { return c.DaemonLog().find("audit: burst of") != std::string::npos; }, 30s))
      << c.DaemonLog();
  c.StopDaemon();
  *log = c.DaemonLog();
}

TEST(LogInjectionEndToEnd, UntrustedFieldsAreEscapedInEveryLogLine) {
  std::string log;
  ASSERT_NO_FATAL_FAILURE(RunHostileDaemon("text", &log));
  ExpectCleanLog(log);
  EXPECT_NE(log.find("key '<2>HOSTILE-KID \\x22q\\x22 \\x5C \\xE2\\x80\\xAEdesrever'"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("FORGED-KID"), std::string::npos) << "a kid breaking the rules is never echoed";
  // The job with the hostile client reference is refused too (a reference with control
  // characters breaks the job rules); debug lines name jobs by entry and job id, and client
  // references are never logged.
  EXPECT_NE(log.find("commit: entry "), std::string::npos) << log;
  EXPECT_EQ(log.find(": submitted\n"), std::string::npos) << "every hostile job is refused";
  EXPECT_EQ(log.find("FORGED-REF"), std::string::npos) << log;
}

// log_format = "json": every line is one JSON object (ts, level, logger, msg) that parses,
// whatever the entries held, and its msg is the text line's message, escaped the same way.
TEST(LogInjectionEndToEnd, JsonLinesParseAndCarryTheSameEscapedMessages) {
  std::string log;
  ASSERT_NO_FATAL_FAILURE(RunHostileDaemon("json", &log));
  std::string messages;
  size_t lines = 0;
  for (const std::string& line : Lines(log)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line.substr(0, 300);
    ASSERT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    EXPECT_EQ(j["logger"], "smsdispatchd");
    EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                                 std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z")))
        << line;
    messages += j["msg"].get<std::string>() + "\n";
    ++lines;
  }
  EXPECT_GT(lines, 10u);
  ExpectCleanLog(messages);
  EXPECT_NE(messages.find("key '<2>HOSTILE-KID \\x22q\\x22 \\x5C \\xE2\\x80\\xAEdesrever'"),
            std::string::npos)
      << messages;
}

TEST(LogInjectionEndToEnd, DebugLevelShowsEachStepByIdsWithoutNumberOrText) {
  Cluster::Options o;
  o.log_level = "debug";
  Cluster c(o);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("ready:") != std::string::npos; }, 30s))
      << c.DaemonLog();
  const std::string to = "+4915187654321";
  const std::string text = "Your parcel 7f3k arrives today";
  const std::string entry = XaddSigned(c, MakeJob("debug-job-1", to, text));
  ASSERT_NE(entry, "");
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 1; }, 30s)) << c.DaemonLog();
  ASSERT_TRUE(
      WaitUntil([&] { return c.DaemonLog().find("receipt: carrier") != std::string::npos; }, 30s));
  c.StopDaemon();

  const std::string log = c.DaemonLog();
  EXPECT_NE(log.find("batch: 1 entries, " + entry + " .. " + entry), std::string::npos) << log;
  EXPECT_NE(log.find("claim: entry " + entry + " job 'debug-job-1': new"), std::string::npos)
      << log;
  EXPECT_NE(log.find("submit: entry " + entry + " job 'debug-job-1' to carrier sim"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("submit response: entry " + entry + " carrier sim: accepted"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("receipt: carrier sim message id '"), std::string::npos) << log;
  EXPECT_NE(log.find("commit: entry " + entry + " job 'debug-job-1': submitted\n"),
            std::string::npos)
      << log;
  // Never the number or the text, whole or in its telling parts.
  EXPECT_EQ(log.find(to), std::string::npos) << log;
  EXPECT_EQ(log.find(to.substr(1)), std::string::npos) << log;
  EXPECT_EQ(log.find("parcel"), std::string::npos) << log;
  ExpectCleanLog(log);
}

}  // namespace
}  // namespace sd::testing
