// Configuration loading: a full valid file, defaults, and every kind of problem reported as
// "file:line:column: problem" with the line of the offending key.
#include "daemon/lib/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "secret1\n", 0600)); }

  std::string Write(const std::string& name, const std::string& text, int mode = 0644) {
    const std::string path = dir_.File(name);
    EXPECT_TRUE(WriteTextFile(path, text, mode));
    return path;
  }
  // Loads `text` as c.toml and returns the error string, or "" when it loaded.
  std::string ErrorOf(const std::string& text) {
    auto r = LoadConfig(Write("c.toml", text));
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string Path(const std::string& name) const { return dir_.File(name); }

  // Lines 1-2: the required [keys]; a valid carrier follows at line 3 unless a test says
  // otherwise, so expected line numbers below are easy to count.
  static constexpr const char* kKeys = "[keys]\nfile = \"k.toml\"\n";
  static constexpr const char* kCarrier =
      "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"sim\"\n"
      "password_file = \"smpp.pw\"\n";

  TempDir dir_{"sd-config-test"};
};

TEST_F(ConfigTest, FullConfigParsesEveryKey) {
  ASSERT_TRUE(WriteTextFile(Path("redis.pw"), "redis-secret\n", 0600));
  const std::string path = Write("full.toml", R"(# every key, none at its default
[daemon]
log_level = "debug"
shutdown_timeout_ms = 5000
max_inflight = 2048
stats_interval_ms = 1000
consumer = "gw-1"

[redis]
host = "10.0.0.5"
port = 6380
unix_socket = "run/redis.sock"
user = "smsdispatch"
password_file = "redis.pw"
jobs_stream = "j"
group = "g"
outcomes_stream = "o"
receipts_stream = "r"
dead_letter_stream = "d"
quarantine_stream = "q"
key_prefix = "p:"
batch = 512
block_ms = 500
plain_writes = true
wait_replicas = 2
wait_timeout_ms = 250
claim_idle_ms = 30000
claim_interval_ms = 2000
max_deliveries = 7
correlation_ttl_s = 3600
unmatched_receipt_wait_ms = 250
outcome_maxlen = 0
audit_stream = "a"
audit_maxlen = 5
audit_queue_max = 7
audit_burst_per_minute = 0
delayed_set = "z"
defer_move_interval_ms = 0
defer_move_batch = 9

[keys]
file = "/etc/smsdispatch/keys.toml"

[policy]
max_future_skew_s = 60
max_validity_s = 7200

[[carrier]]
name = "sim"
protocol = "smpp"
host = "smsc.example.net"
port = 2776
system_id = "acme"
password_file = "smpp.pw"
system_type = "VMA"
bind = "transmitter"
window = 128
response_timeout_ms = 5000
enquire_link_interval_ms = 15000
max_missed_enquire_links = 4
reconnect_initial_ms = 200
reconnect_max_ms = 20000
)");
  auto r = LoadConfig(path);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_EQ(c.path, path);
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.daemon.shutdown_timeout_ms, 5000);
  EXPECT_EQ(c.daemon.max_inflight, 2048);
  EXPECT_EQ(c.daemon.stats_interval_ms, 1000);
  EXPECT_EQ(c.daemon.consumer, "gw-1");
  EXPECT_EQ(c.redis.host, "10.0.0.5");
  EXPECT_EQ(c.redis.port, 6380);
  EXPECT_EQ(c.redis.unix_socket, Path("run/redis.sock")) << "relative to the config file";
  EXPECT_EQ(c.redis.user, "smsdispatch");
  EXPECT_EQ(c.redis.password, "redis-secret") << "read from the file, newline stripped";
  EXPECT_EQ(c.redis.jobs_stream, "j");
  EXPECT_EQ(c.redis.group, "g");
  EXPECT_EQ(c.redis.outcomes_stream, "o");
  EXPECT_EQ(c.redis.receipts_stream, "r");
  EXPECT_EQ(c.redis.dead_letter_stream, "d");
  EXPECT_EQ(c.redis.quarantine_stream, "q");
  EXPECT_EQ(c.redis.key_prefix, "p:");
  EXPECT_EQ(c.redis.batch, 512);
  EXPECT_TRUE(c.redis.plain_writes);
  EXPECT_EQ(c.redis.wait_replicas, 2);
  EXPECT_EQ(c.redis.wait_timeout_ms, 250);
  EXPECT_EQ(c.redis.block_ms, 500);
  EXPECT_EQ(c.redis.claim_idle_ms, 30000);
  EXPECT_EQ(c.redis.claim_interval_ms, 2000);
  EXPECT_EQ(c.redis.max_deliveries, 7);
  EXPECT_EQ(c.redis.correlation_ttl_s, 3600);
  EXPECT_EQ(c.redis.unmatched_receipt_wait_ms, 250);
  EXPECT_EQ(c.redis.outcome_maxlen, 0);
  EXPECT_EQ(c.redis.audit_stream, "a");
  EXPECT_EQ(c.redis.audit_maxlen, 5);
  EXPECT_EQ(c.redis.audit_queue_max, 7);
  EXPECT_EQ(c.redis.audit_burst_per_minute, 0);
  EXPECT_EQ(c.redis.delayed_set, "z");
  EXPECT_EQ(c.redis.defer_move_interval_ms, 0);
  EXPECT_EQ(c.redis.defer_move_batch, 9);
  EXPECT_EQ(c.keys_file, "/etc/smsdispatch/keys.toml") << "absolute paths stay";
  EXPECT_EQ(c.policy.max_future_skew_s, 60);
  EXPECT_EQ(c.policy.max_validity_s, 7200);
  ASSERT_EQ(c.carriers.size(), 1u);
  const CarrierConfig& k = c.carriers[0];
  EXPECT_EQ(k.name, "sim");
  EXPECT_EQ(k.protocol, "smpp");
  EXPECT_EQ(k.host, "smsc.example.net");
  EXPECT_EQ(k.port, 2776);
  EXPECT_EQ(k.system_id, "acme");
  EXPECT_EQ(k.password, "secret1");
  EXPECT_EQ(k.system_type, "VMA");
  EXPECT_EQ(k.bind, "transmitter");
  EXPECT_EQ(k.window, 128);
  EXPECT_EQ(k.max_unsettled, 128) << "window x binds when not set";
  EXPECT_EQ(k.response_timeout_ms, 5000);
  EXPECT_EQ(k.enquire_link_interval_ms, 15000);
  EXPECT_EQ(k.max_missed_enquire_links, 4);
  EXPECT_EQ(k.reconnect_initial_ms, 200);
  EXPECT_EQ(k.reconnect_max_ms, 20000);
}

TEST_F(ConfigTest, MinimalConfigGetsTheDocumentedDefaults) {
  auto r = LoadConfig(Write("min.toml", std::string(kKeys) + kCarrier));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(c.daemon.log_level, "info");
  EXPECT_EQ(c.daemon.shutdown_timeout_ms, 10000);
  EXPECT_EQ(c.daemon.max_inflight, 1024);
  EXPECT_EQ(c.daemon.stats_interval_ms, 10000);
  EXPECT_EQ(c.daemon.consumer, host);
  EXPECT_EQ(c.redis.host, "127.0.0.1");
  EXPECT_EQ(c.redis.port, 6379);
  EXPECT_EQ(c.redis.unix_socket, "");
  EXPECT_EQ(c.redis.user, "");
  EXPECT_EQ(c.redis.password, "");
  EXPECT_EQ(c.redis.jobs_stream, "sd:jobs");
  EXPECT_EQ(c.redis.group, "smsdispatch");
  EXPECT_EQ(c.redis.outcomes_stream, "sd:outcomes");
  EXPECT_EQ(c.redis.receipts_stream, "sd:receipts");
  EXPECT_EQ(c.redis.dead_letter_stream, "sd:dead");
  EXPECT_EQ(c.redis.quarantine_stream, "sd:receipts:unmatched");
  EXPECT_EQ(c.redis.key_prefix, "sd:");
  EXPECT_EQ(c.redis.batch, 256);
  EXPECT_FALSE(c.redis.plain_writes);
  EXPECT_EQ(c.redis.wait_replicas, 0);
  EXPECT_EQ(c.redis.wait_timeout_ms, 1000);
  EXPECT_EQ(c.redis.block_ms, 1000);
  EXPECT_EQ(c.redis.claim_idle_ms, 60000);
  EXPECT_EQ(c.redis.claim_interval_ms, 5000);
  EXPECT_EQ(c.redis.max_deliveries, 5);
  EXPECT_EQ(c.redis.correlation_ttl_s, 259200);
  EXPECT_EQ(c.redis.outcome_maxlen, 1000000);
  EXPECT_EQ(c.keys_file, Path("k.toml"));
  EXPECT_EQ(c.policy.max_future_skew_s, 300);
  EXPECT_EQ(c.policy.max_validity_s, 86400);
  ASSERT_EQ(c.carriers.size(), 1u);
  const CarrierConfig& k = c.carriers[0];
  EXPECT_EQ(k.protocol, "smpp");
  EXPECT_EQ(k.system_type, "");
  EXPECT_EQ(k.bind, "transceiver");
  EXPECT_EQ(k.window, 64);
  EXPECT_EQ(k.max_unsettled, 64);
  EXPECT_EQ(k.response_timeout_ms, 10000);
  EXPECT_EQ(k.enquire_link_interval_ms, 30000);
  EXPECT_EQ(k.max_missed_enquire_links, 3);
  EXPECT_EQ(k.reconnect_initial_ms, 100);
  EXPECT_EQ(k.reconnect_max_ms, 10000);
}

TEST_F(ConfigTest, SyntaxError) {
  EXPECT_EQ(ErrorOf("[redis]\nport = \n"),
            Path("c.toml") + ":2:8: Error while parsing key-value pair: expected value, saw '\\n'");
}

TEST_F(ConfigTest, UnknownKeyNamesItsLine) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nprot = 1\n" + kCarrier),
            Path("c.toml") + ":4:1: unknown key 'prot' in [redis]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "windwo = 3\n"),
            Path("c.toml") + ":9:1: unknown key 'windwo' in [carrier]");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + "\n\n[daemon]\nlog_level = \"info\"\nfoo = 1\n" + kCarrier),
      Path("c.toml") + ":7:1: unknown key 'foo' in [daemon]");
}

TEST_F(ConfigTest, UnknownSection) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redsi]\nport = 1\n" + kCarrier),
            Path("c.toml") + ":3:2: unknown section [redsi]");
}

TEST_F(ConfigTest, WrongType) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nport = \"6379\"\n" + kCarrier),
            Path("c.toml") + ":4:8: redis.port must be an integer in [1, 65535]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nhost = 127\n" + kCarrier),
            Path("c.toml") + ":4:8: redis.host must be a string");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nplain_writes = \"yes\"\n" + kCarrier),
            Path("c.toml") + ":4:16: redis.plain_writes must be true or false");
  // A WAIT longer than the heartbeat's patience would cut the writer's connection.
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nwait_timeout_ms = 20000\n" + kCarrier),
            Path("c.toml") + ":4:19: redis.wait_timeout_ms = 20000 is out of range [10, 10000]");
  EXPECT_EQ(ErrorOf("redis = 1\n" + std::string(kKeys) + kCarrier),
            Path("c.toml") + ":1:9: [redis] must be a table");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[carrier]\nname = \"x\"\n"),
            Path("c.toml") +
                ":3:1: carrier must be an array of tables: write [[carrier]], not [carrier]");
}

TEST_F(ConfigTest, OutOfRangeNamesTheRange) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nport = 70000\n" + kCarrier),
            Path("c.toml") + ":4:8: redis.port = 70000 is out of range [1, 65535]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\nbatch = 0\n" + kCarrier),
            Path("c.toml") + ":4:9: redis.batch = 0 is out of range [1, 10000]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "window = 10001\n"),
            Path("c.toml") + ":9:10: carrier.window = 10001 is out of range [1, 10000]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "max_unsettled = -1\n"),
            Path("c.toml") + ":9:17: carrier.max_unsettled = -1 is out of range [0, 1000000]");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + "[daemon]\nlog_level = \"loud\"\n" + kCarrier),
      Path("c.toml") + ":4:13: daemon.log_level must be one of trace, debug, info, warn, error");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "bind = \"both\"\n"),
            Path("c.toml") + ":9:8: carrier.bind must be one of transmitter, transceiver");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier +
                    "reconnect_initial_ms = 5000\nreconnect_max_ms = 1000\n"),
            Path("c.toml") +
                ":9:24: carrier.reconnect_initial_ms must not exceed reconnect_max_ms (1000)");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\njobs_stream = \"\"\n" + kCarrier),
            Path("c.toml") + ":4:15: redis.jobs_stream must not be empty");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\njobs_stream = \"a\\nb\"\n" + kCarrier),
            Path("c.toml") + ":4:15: redis.jobs_stream must not contain control characters");
}

TEST_F(ConfigTest, MissingRequired) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) +
                    "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\npassword_env = \"HOME\"\n"),
            Path("c.toml") + ":3:1: [carrier] is missing required key 'system_id'");
  EXPECT_EQ(ErrorOf(kCarrier),
            Path("c.toml") + ":1:1: missing section [keys] (keys.file names the signing key file)");
  EXPECT_EQ(
      ErrorOf("[keys]\n" + std::string(kCarrier)),
      Path("c.toml") + ":1:1: [keys] is missing required key 'file' (or registry = \"redis\")");
  EXPECT_EQ(ErrorOf(kKeys), Path("c.toml") + ":1:1: no [[carrier]] configured");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\n"
                                   "system_id = \"s\"\n"),
      Path("c.toml") + ":3:1: carrier 'a' needs exactly one of password_file or password_env");
}

TEST_F(ConfigTest, InlinePasswordsAreRefused) {
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\npassword = \"x\"\n" + kCarrier),
            Path("c.toml") + ":4:12: redis.password is not allowed inline; use password_file");
  const std::string err = ErrorOf(std::string(kKeys) + kCarrier + "password = \"hunter2\"\n");
  EXPECT_EQ(err, Path("c.toml") +
                     ":9:12: carrier.password is not allowed inline; use password_file or "
                     "password_env");
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << "the error never repeats the secret";
}

// ---- Several carriers and [[route]] ------------------------------------------------------

// A carrier of 6 lines named `name`.
std::string NamedCarrier(const std::string& name) {
  return "[[carrier]]\nname = \"" + name +
         "\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"sim\"\npassword_file = "
         "\"smpp.pw\"\n";
}

TEST_F(ConfigTest, SeveralCarriersAndRoutes) {
  // Lines 3-8 and 9-14: two carriers; routes from line 15.
  auto r = LoadConfig(
      Write("c.toml", std::string(kKeys) + NamedCarrier("primary") + NamedCarrier("backup") +
                          "[[route]]\nprefixes = [\"+4915\", \"+49\"]\n"
                          "kinds = [\"otp\", \"marketing\"]\n"
                          "carriers = [\"primary\", \"backup\"]\n"
                          "[[route]]\ncountries = [\"FR\"]\ncarriers = [\"backup\"]\n"
                          "[[route]]\ncarriers = [\"backup\", \"primary\"]\n"));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  ASSERT_EQ(c.carriers.size(), 2u);
  EXPECT_EQ(c.carriers[1].name, "backup");
  EXPECT_EQ(c.carriers[1].line, 9);
  ASSERT_EQ(c.routes.size(), 3u);
  EXPECT_EQ(c.routes[0].line, 15);
  EXPECT_EQ(c.routes[0].spec.prefixes, (std::vector<std::string>{"+4915", "+49"}));
  EXPECT_EQ(c.routes[0].spec.kinds,
            (1 << static_cast<int>(JobKind::kOtp)) | (1 << static_cast<int>(JobKind::kMarketing)));
  EXPECT_EQ(c.routes[0].spec.carriers, (std::vector<std::string>{"primary", "backup"}));
  EXPECT_EQ(c.routes[1].spec.countries, (std::vector<std::string>{"FR"}));
  EXPECT_EQ(c.routes[1].spec.kinds, 0);
  EXPECT_TRUE(c.routes[2].spec.prefixes.empty());  // the default route
  EXPECT_EQ(RouteSpecs(c).size(), 3u);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ConfigTest, OneCarrierWithoutRoutesGetsTheImplicitDefaultRoute) {
  auto r = LoadConfig(Write("c.toml", std::string(kKeys) + kCarrier));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const std::vector<RouteSpec> specs = RouteSpecs(std::get<Config>(r));
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_TRUE(specs[0].prefixes.empty());
  EXPECT_TRUE(specs[0].countries.empty());
  EXPECT_EQ(specs[0].carriers, (std::vector<std::string>{"sim"}));
}

TEST_F(ConfigTest, CarrierAndRouteProblemsNameTheirLine) {
  const std::string two = std::string(kKeys) + NamedCarrier("a") + NamedCarrier("b");
  const std::string c = Path("c.toml");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + NamedCarrier("a") + NamedCarrier("a")),
            c + ":10:8: carrier name 'a' is already used by the [[carrier]] at line 3");
  EXPECT_EQ(ErrorOf(two), c + ":1:1: 2 carriers but no [[route]]: routes say which jobs go to "
                              "which carrier");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nprefixes = [\"+49\"]\ncarriers = [\"a\", \"c\"]\n"),
            c + ":17:18: route[0].carriers: no [[carrier]] is named 'c'");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nprefixes = [\"+49\"]\ncarriers = []\n"),
            c + ":17:12: route[0].carriers: a route needs at least one carrier");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nprefixes = [\"+49\"]\n"),
            c + ":15:1: route[0].carriers: a route needs at least one carrier");
  EXPECT_EQ(ErrorOf(two + "[[route]]\ncarriers = [\"a\", \"a\"]\n"),
            c + ":16:18: route[0].carriers: carrier 'a' is named twice");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nprefixes = [\"+49\", \"49\"]\ncarriers = [\"a\"]\n"),
            c + ":16:20: route[0].prefixes: '49' must be '+' and 1 to 15 digits");
  EXPECT_EQ(ErrorOf(two + "[[route]]\ncountries = [\"de\"]\ncarriers = [\"a\"]\n"),
            c + ":16:14: route[0].countries: 'de' must be an upper-case ISO 3166-1 alpha-2 code");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nkinds = [\"sms\"]\ncarriers = [\"a\"]\n"),
            c + ":16:10: route[0].kinds: 'sms' must be otp, transactional or marketing");
  EXPECT_EQ(ErrorOf(two + "[[route]]\ncarriers = [\"a\"]\nweight = 3\n"),
            c + ":17:1: unknown key 'weight' in [route[0]]");
  // Whole-table problems are reported at the later route.
  EXPECT_EQ(ErrorOf(two + "[[route]]\ncarriers = [\"a\"]\n[[route]]\ncarriers = [\"b\"]\n"),
            c + ":17:1: [[route]]: route names a second default route (route 0 has it for the "
                "same kinds)");
  EXPECT_EQ(ErrorOf(two + "[[route]]\nprefixes = [\"+49\"]\ncarriers = [\"a\"]\n"
                          "[[route]]\nprefixes = [\"+44\", \"+49\"]\ncarriers = [\"b\"]\n"),
            c + ":18:1: [[route]]: route names prefix '+49' again (route 0 has it for the same "
                "kinds)");
  EXPECT_EQ(ErrorOf(two + "[route]\ncarriers = [\"a\"]\n"),
            c + ":15:1: route must be an array of tables: write [[route]]");
}

TEST_F(ConfigTest, ATransmitterOnlyCarrierIsAllowedButWarnedAbout) {
  auto r = LoadConfig(Write("c.toml", std::string(kKeys) + kCarrier + "bind = \"transmitter\"\n"));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], Path("c.toml") +
                               ":3: carrier 'sim' has only transmitter binds and no "
                               "receiver_binds: no delivery receipt can ever arrive from it");
  // A receiver bind beside the transmitters, or transceivers: receipts can arrive.
  auto with_rx = LoadConfig(Write(
      "c.toml", std::string(kKeys) + kCarrier + "bind = \"transmitter\"\nreceiver_binds = 1\n"));
  ASSERT_TRUE(std::holds_alternative<Config>(with_rx));
  EXPECT_TRUE(std::get<Config>(with_rx).warnings.empty());
}

TEST_F(ConfigTest, PasswordFileIsModeCheckedAndNamedWithTheKeyLine) {
  ASSERT_TRUE(WriteTextFile(Path("open.pw"), "topsecret\n", 0644));
  const std::string err =
      ErrorOf(std::string(kKeys) + "[redis]\npassword_file = \"open.pw\"\n" + kCarrier);
  EXPECT_EQ(err, Path("c.toml") + ":4:17: redis.password_file: " + Path("open.pw") +
                     ": holds secrets but is accessible by group or others (chmod 600 it)");
  EXPECT_EQ(err.find("topsecret"), std::string::npos);
  const std::string missing =
      ErrorOf(std::string(kKeys) + "[redis]\npassword_file = \"nope.pw\"\n" + kCarrier);
  EXPECT_EQ(missing, Path("c.toml") + ":4:17: redis.password_file: " + Path("nope.pw") +
                         ": cannot open: No such file or directory");
  ASSERT_TRUE(WriteTextFile(Path("empty.pw"), "\n", 0600));
  EXPECT_EQ(ErrorOf(std::string(kKeys) + "[redis]\npassword_file = \"empty.pw\"\n" + kCarrier),
            Path("c.toml") + ":4:17: redis.password_file: " + Path("empty.pw") +
                ": secret file is empty");
}

TEST_F(ConfigTest, CarrierPasswordFromEnvironment) {
  const std::string text = std::string(kKeys) +
                           "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                           "password_env = \"SD_CONFIG_TEST_PW\"\n";
  unsetenv("SD_CONFIG_TEST_PW");
  EXPECT_EQ(ErrorOf(text), Path("c.toml") +
                               ":8:16: carrier.password_env: environment variable "
                               "SD_CONFIG_TEST_PW is not set or empty");
  setenv("SD_CONFIG_TEST_PW", "envpw", 1);
  auto r = LoadConfig(Write("env.toml", text));
  unsetenv("SD_CONFIG_TEST_PW");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  EXPECT_EQ(std::get<Config>(r).carriers[0].password, "envpw");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + kCarrier + "password_env = \"HOME\"\n"),
      Path("c.toml") + ":3:1: carrier 'sim' needs exactly one of password_file or password_env");
}

// systemd's LoadCredential= hands password files over in $CREDENTIALS_DIRECTORY.
TEST_F(ConfigTest, RelativePasswordFilesComeFromTheCredentialsDirectory) {
  TempDir credentials("sd-config-cred");
  ASSERT_TRUE(WriteTextFile(credentials.File("smpp.pw"), "fromcred\n", 0400));
  ASSERT_TRUE(WriteTextFile(Path("abs.pw"), "absolute\n", 0600));
  setenv("CREDENTIALS_DIRECTORY", credentials.path().c_str(), 1);
  auto relative = LoadConfig(Write("rel.toml", std::string(kKeys) + kCarrier));
  auto absolute = LoadConfig(
      Write("abs.toml", std::string(kKeys) +
                            "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                            "password_file = \"" +
                            Path("abs.pw") + "\"\n"));
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(std::holds_alternative<Config>(relative))
      << std::get<ConfigError>(relative).ToString();
  EXPECT_EQ(std::get<Config>(relative).carriers[0].password, "fromcred");
  EXPECT_EQ(std::get<Config>(relative).keys_file, Path("k.toml"))
      << "only password files move; the key file is re-read on SIGHUP from its own place";
  ASSERT_TRUE(std::holds_alternative<Config>(absolute))
      << std::get<ConfigError>(absolute).ToString();
  EXPECT_EQ(std::get<Config>(absolute).carriers[0].password, "absolute");
}

TEST_F(ConfigTest, SmppFieldLengths) {
  ASSERT_TRUE(WriteTextFile(Path("long.pw"), "123456789\n", 0600));
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) +
              "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
              "password_file = \"long.pw\"\n"),
      Path("c.toml") + ":8:17: carrier 'a': the password is longer than 8 characters (SMPP 3.4)");
  EXPECT_EQ(
      ErrorOf(
          std::string(kKeys) +
          "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"0123456789abcdef\"\n"
          "password_file = \"smpp.pw\"\n"),
      Path("c.toml") + ":7:13: carrier.system_id is longer than 15 characters (SMPP 3.4)");
}

TEST_F(ConfigTest, UnreadableOrHugeFile) {
  auto r = LoadConfig(Path("missing.toml"));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
  EXPECT_EQ(std::get<ConfigError>(r).ToString(),
            Path("missing.toml") + ": cannot open: No such file or directory");
  const std::string huge = Write("huge.toml", std::string(kMaxConfigFileBytes + 1, '#'));
  auto h = LoadConfig(huge);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(h));
  EXPECT_NE(std::get<ConfigError>(h).message.find("larger than"), std::string::npos);
  auto d = LoadConfig(dir_.path());
  ASSERT_TRUE(std::holds_alternative<ConfigError>(d));
  EXPECT_EQ(std::get<ConfigError>(d).message, "not a regular file");
}

// The annotated example the package ships must load (with its secret files in place).
TEST_F(ConfigTest, ShippedExampleLoads) {
  const std::string example =
      ::sd::testing::ReadTextFile(std::string(SD_SOURCE_DIR) + "/systemd/smsdispatchd.toml");
  ASSERT_FALSE(example.empty());
  ASSERT_TRUE(WriteTextFile(Path("redis.password"), "redis-pw\n", 0600));
  ASSERT_TRUE(WriteTextFile(Path("carrier-a.password"), "smpp-pw\n", 0600));
  auto r = LoadConfig(Write("smsdispatchd.toml", example));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  EXPECT_EQ(std::get<Config>(r).keys_file, Path("keys.toml"));
  EXPECT_EQ(std::get<Config>(r).carriers.at(0).password, "smpp-pw");
  EXPECT_EQ(std::get<Config>(r).routes.size(), 1u);
  EXPECT_TRUE(std::get<Config>(r).warnings.empty());
}

TEST(ConfigErrorTest, Format) {
  EXPECT_EQ((ConfigError{"/a.toml", 3, 7, "bad"}).ToString(), "/a.toml:3:7: bad");
  EXPECT_EQ((ConfigError{"/a.toml", 0, 0, "bad"}).ToString(), "/a.toml: bad");
}

TEST_F(ConfigTest, CarrierSendingKeys) {
  const std::string path = Write("c.toml", std::string(kKeys) + kCarrier +
                                               "binds = 4\nreceiver_binds = 1\ntps = 250\n"
                                               "split = \"sar\"\ndata_coding = \"ucs2\"\n"
                                               "submit_id_format = \"hex\"\n"
                                               "receipt_id_format = \"decimal\"\n"
                                               "max_throttled_attempts = 5\n"
                                               "max_temporary_attempts = 2\n"
                                               "temporary_statuses = [0x45, 1024]\n");
  auto r = LoadConfig(path);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const CarrierConfig& k = std::get<Config>(r).carriers[0];
  EXPECT_EQ(k.binds, 4);
  EXPECT_EQ(k.receiver_binds, 1);
  EXPECT_EQ(k.tps, 250);
  EXPECT_EQ(k.split, "sar");
  EXPECT_EQ(k.data_coding, "ucs2");
  EXPECT_EQ(k.submit_id_format, "hex");
  EXPECT_EQ(k.receipt_id_format, "decimal");
  EXPECT_EQ(k.max_throttled_attempts, 5);
  EXPECT_EQ(k.max_temporary_attempts, 2);
  EXPECT_EQ(k.temporary_statuses, (std::vector<uint32_t>{0x45, 1024}));
  EXPECT_EQ(k.tls, nullptr) << "plain TCP unless [carrier.tls] is present";

  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "binds = 0\n"),
            Path("c.toml") + ":9:9: carrier.binds = 0 is out of range [1, 64]");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "split = \"udh\"\n"),
            Path("c.toml") + ":9:9: carrier.split must be one of udh8, udh16, sar, payload");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + kCarrier + "receipt_id_format = \"HEX\"\n"),
      Path("c.toml") + ":9:21: carrier.receipt_id_format must be one of string, hex, decimal");
  const std::string throttling = ErrorOf(std::string(kKeys) + kCarrier + "temporary_statuses = [8, 0x58]\n");
  EXPECT_EQ(throttling.rfind(Path("c.toml") + ":9:26: carrier.temporary_statuses: each must be", 0), 0u)
      << throttling;
  const std::string not_int = ErrorOf(std::string(kKeys) + kCarrier + "temporary_statuses = \"x\"\n");
  EXPECT_EQ(not_int.rfind(Path("c.toml") + ":9:22: carrier.temporary_statuses must be an array", 0), 0u)
      << not_int;
}

TEST_F(ConfigTest, CarrierPacingValidityAndAddressKeys) {
  auto r = LoadConfig(Write("d.toml", std::string(kKeys) + kCarrier));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const CarrierConfig d = std::get<Config>(r).carriers[0];
  EXPECT_EQ(d.validity, "absolute");
  EXPECT_EQ(d.source_ton, -1) << "by the sender's shape unless set";
  EXPECT_EQ(d.source_npi, -1);
  EXPECT_EQ(d.dest_ton, 1);
  EXPECT_EQ(d.dest_npi, 1);
  EXPECT_EQ(d.adjust_interval_ms, 1000);
  EXPECT_EQ(d.refusal_margin_percent, 5);

  r = LoadConfig(Write("c.toml", std::string(kKeys) + kCarrier +
                                     "validity = \"relative\"\nsource_ton = 0\nsource_npi = 9\n"
                                     "dest_ton = 2\ndest_npi = 0\nmin_tps = 3\n"
                                     "adjust_interval_ms = 500\nincrease_tps = 7\n"
                                     "refusal_margin_percent = 10\nthrottle_pause_ms = 100\n"
                                     "max_throttle_pause_ms = 900\n"));
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const CarrierConfig& k = std::get<Config>(r).carriers[0];
  EXPECT_EQ(k.validity, "relative");
  EXPECT_EQ(k.source_ton, 0);
  EXPECT_EQ(k.source_npi, 9);
  EXPECT_EQ(k.dest_ton, 2);
  EXPECT_EQ(k.dest_npi, 0);
  EXPECT_EQ(k.min_tps, 3);
  EXPECT_EQ(k.adjust_interval_ms, 500);
  EXPECT_EQ(k.increase_tps, 7);
  EXPECT_EQ(k.refusal_margin_percent, 10);
  EXPECT_EQ(k.throttle_pause_ms, 100);
  EXPECT_EQ(k.max_throttle_pause_ms, 900);

  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "validity = \"never\"\n"),
            Path("c.toml") + ":9:12: carrier.validity must be one of off, absolute, relative");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "source_ton = 7\n"),
            Path("c.toml") + ":9:14: carrier.source_ton = 7 is out of range [0, 6]");
  EXPECT_EQ(
      ErrorOf(std::string(kKeys) + kCarrier + "refusal_margin_percent = 101\n"),
      Path("c.toml") + ":9:26: carrier.refusal_margin_percent = 101 is out of range [0, 100]");
}

TEST_F(ConfigTest, CarrierTlsProblemsStopStartUpAtTheirLine) {
  // The SMSC's certificate is always verified: no trust anchor, no start.
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier + "[carrier.tls]\nserver_name = \"smsc\"\n"),
            Path("c.toml") +
                ":9:1: [carrier.tls] needs ca_file, ca_dir or use_system_trust_store = true: "
                "the SMSC's certificate is always verified");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier +
                    "[carrier.tls]\nca_file = \"ca.pem\"\ncert_file = \"c.pem\"\n"),
            Path("c.toml") +
                ":9:1: [carrier.tls] needs both cert_file and key_file for a client "
                "certificate, or neither");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier +
                    "[carrier.tls]\nca_file = \"ca.pem\"\n"
                    "min_version = \"1.1\"\n"),
            Path("c.toml") + ":11:15: carrier.tls.min_version must be one of 1.2, 1.3");
  EXPECT_EQ(ErrorOf(std::string(kKeys) + kCarrier +
                    "[carrier.tls]\nca_file = \"ca.pem\"\n"
                    "verify = false\n"),
            Path("c.toml") + ":11:1: unknown key 'verify' in [carrier.tls]");
  // A file that is not there is named, at the table's line.
  const std::string err =
      ErrorOf(std::string(kKeys) + kCarrier + "[carrier.tls]\nca_file = \"missing-ca.pem\"\n");
  EXPECT_EQ(err.rfind(Path("c.toml") + ":9:1: [carrier.tls]: ", 0), 0u) << err;
  EXPECT_NE(err.find(Path("missing-ca.pem")), std::string::npos) << err;
}

}  // namespace
}  // namespace sd
