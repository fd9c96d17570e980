// Configuration: a full valid file, and every kind of problem reported as file:line:column.
#include "daemon/lib/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "daemon/lib/key_file.h"

namespace sd {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    char tmpl[] = "/tmp/sd-config-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    Write("smpp.pw", "secret1\n", 0600);
  }
  ~ConfigTest() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    const std::string path = dir_ + "/" + name;
    {
      std::ofstream out(path);
      out << text;
    }
    chmod(path.c_str(), mode);
    return path;
  }
  // Loads `text` as a config and returns the error string ("" when it loaded).
  std::string ErrorOf(const std::string& text) {
    auto r = LoadConfig(Write("c.toml", text));
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string Path(const std::string& name) { return dir_ + "/" + name; }

  static constexpr const char* kCarrier =
      "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"sim\"\n"
      "password_file = \"smpp.pw\"\n";
  std::string dir_;
};

TEST_F(ConfigTest, FullConfigParses) {
  const std::string path = Write("full.toml", std::string(R"(
[daemon]
log_level = "debug"
shutdown_timeout_ms = 5000
max_inflight = 2048
stats_interval_ms = 1000
consumer = "gw-1"

[redis]
host = "10.0.0.5"
port = 6380
user = "smsdispatch"
batch = 512
block_ms = 500
claim_idle_ms = 30000
max_deliveries = 7
correlation_ttl_s = 3600

[keys]
file = "keys.toml"

[policy]
max_future_skew_s = 60
)") + kCarrier + "window = 128\nbind = \"transmitter\"\n");
  auto r = LoadConfig(path);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.daemon.max_inflight, 2048);
  EXPECT_EQ(c.daemon.consumer, "gw-1");
  EXPECT_EQ(c.redis.host, "10.0.0.5");
  EXPECT_EQ(c.redis.port, 6380);
  EXPECT_EQ(c.redis.batch, 512);
  EXPECT_EQ(c.redis.max_deliveries, 7);
  EXPECT_EQ(c.redis.jobs_stream, "sd:jobs") << "defaults stay";
  EXPECT_EQ(c.keys_file, Path("keys.toml")) << "relative to the config file";
  EXPECT_EQ(c.policy.max_future_skew_s, 60);
  ASSERT_EQ(c.carriers.size(), 1u);
  EXPECT_EQ(c.carriers[0].password, "secret1") << "read from the file, newline stripped";
  EXPECT_EQ(c.carriers[0].window, 128);
  EXPECT_EQ(c.carriers[0].bind, "transmitter");
}

TEST_F(ConfigTest, ErrorsNameFileLineAndProblem) {
  const std::string f = Path("c.toml");
  const std::string keys = "[keys]\nfile = \"k\"\n";
  EXPECT_EQ(ErrorOf("[redis]\nport = \n"), f + ":2:8: " + "Error while parsing key-value pair: expected value, saw '\\n'")
      << "syntax error";
  EXPECT_EQ(ErrorOf(keys + "[redis]\nprot = 1\n" + kCarrier), f + ":4:1: unknown key 'prot' in [redis]");
  EXPECT_EQ(ErrorOf(keys + "[redis]\nport = 70000\n" + kCarrier),
            f + ":4:8: redis.port = 70000 is out of range [1, 65535]");
  EXPECT_EQ(ErrorOf(keys + "[redis]\nport = \"6379\"\n" + kCarrier), f + ":4:8: redis.port must be an integer");
  EXPECT_EQ(ErrorOf(keys + "[redsi]\n" + kCarrier), f + ":3:2: unknown section [redsi]");
  EXPECT_EQ(ErrorOf(keys + "[daemon]\nlog_level = \"loud\"\n" + kCarrier),
            f + ":4:13: daemon.log_level must be one of trace, debug, info, warn, error");
  EXPECT_EQ(ErrorOf(keys + "[redis]\npassword = \"x\"\n" + kCarrier),
            f + ":4:12: redis.password is not allowed inline; use password_file");
  EXPECT_EQ(ErrorOf(std::string(kCarrier)).find(f + ":"), 0u);
  EXPECT_NE(ErrorOf(std::string(kCarrier)).find("missing section [keys]"), std::string::npos);
  EXPECT_NE(ErrorOf(keys).find("no [[carrier]] configured"), std::string::npos);
  EXPECT_EQ(ErrorOf(keys + "[[carrier]]\nname = \"a\"\nhost = \"h\"\nport = 1\npassword_env = \"X\"\n"),
            f + ":3:1: [carrier] is missing required key 'system_id'");
}

TEST_F(ConfigTest, SecretFilesAreModeChecked) {
  Write("open.pw", "pw\n", 0644);
  const std::string text = std::string("[keys]\nfile = \"k\"\n") +
                           "[[carrier]]\nname = \"sim\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                           "password_file = \"open.pw\"\n";
  const std::string err = ErrorOf(text);
  EXPECT_EQ(err, Path("open.pw") + ": secret file is accessible by group or others (chmod 600 it)");
  EXPECT_EQ(err.find("pw\n"), std::string::npos);
}

TEST_F(ConfigTest, UnreadableFile) {
  auto r = LoadConfig(Path("missing.toml"));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
  EXPECT_EQ(std::get<ConfigError>(r).file, Path("missing.toml"));
}

class KeyFileTest : public ConfigTest {};

const std::string kSecretHex(64, 'a');

TEST_F(KeyFileTest, LoadsKeys) {
  const std::string p = Write("keys.toml",
                              "[[key]]\nid = \"a.v1\"\nsecret = \"" + kSecretHex + "\"\n[[key]]\nid = \"a.v2\"\nsecret = \"" +
                                  std::string(64, 'b') + "\"\n",
                              0600);
  auto r = LoadKeyFile(p);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(r)) << std::get<ConfigError>(r).ToString();
  const auto& ring = std::get<std::shared_ptr<const KeyRing>>(r);
  EXPECT_EQ(ring->size(), 2u);
  ASSERT_NE(ring->Find("a.v1"), nullptr);
  EXPECT_EQ(ring->Find("a.v1")->secret, std::string(32, '\xaa'));
}

TEST_F(KeyFileTest, RefusesBadFilesWithoutPrintingSecrets) {
  auto err = [&](const std::string& text, mode_t mode = 0600) {
    auto r = LoadKeyFile(Write("keys.toml", text, mode));
    EXPECT_TRUE(std::holds_alternative<ConfigError>(r));
    const std::string e = std::holds_alternative<ConfigError>(r) ? std::get<ConfigError>(r).ToString() : "";
    EXPECT_EQ(e.find(kSecretHex.substr(0, 16)), std::string::npos) << "secret leaked: " << e;
    return e;
  };
  const std::string good = "[[key]]\nid = \"a.v1\"\nsecret = \"" + kSecretHex + "\"\n";
  EXPECT_NE(err(good, 0644).find("accessible by group or others"), std::string::npos);
  EXPECT_NE(err("[[key]]\nid = \"a.v1\"\nsecret = \"abcd\"\n").find("at least 64 hex digits"), std::string::npos);
  EXPECT_NE(err("[[key]]\nid = \"a.v1\"\nsecret = \"" + std::string(64, 'g') + "\"\n").find("not hex"),
            std::string::npos);
  EXPECT_NE(err(good + good).find(":4:1: key 'a.v1' is defined twice"), std::string::npos);
  EXPECT_NE(err(good + "extra = 1\n").find("unexpected 'extra'"), std::string::npos);
  EXPECT_NE(err("").find("no [[key]] entries"), std::string::npos);
}

}  // namespace
}  // namespace sd
