// [api] (docs/api.md): the producers' listener, and every problem named at its line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

class ApiConfigTest : public ::testing::Test {
 protected:
  ApiConfigTest() { EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "pw\n", 0600)); }

  // Lines 1-8: [keys] and the carrier; [api] starts at line 9.
  std::variant<Config, ConfigError> Load(const std::string& api,
                                         const std::string& keys = "registry = \"redis\"\n") {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(path,
                              "[keys]\n" + keys +
                                  "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = "
                                  "2775\nsystem_id = \"sim\"\npassword_file = \"smpp.pw\"\n" +
                                  api,
                              0644));
    return LoadConfig(path);
  }
  std::string ErrorOf(const std::string& api, const std::string& keys = "registry = \"redis\"\n") {
    auto r = Load(api, keys);
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string At(int line, int column, const std::string& what) const {
    return dir_.File("c.toml") + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           what;
  }

  TempDir dir_{"sd-api-config"};
};

TEST_F(ApiConfigTest, PlainOnLoopbackWithEveryKey) {
  auto r = Load(
      "[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nmax_batch = 50\nsignature_window_s = 60\n"
      "default_validity_s = 600\nack_timeout_ms = 2000\ntrusted_proxies = [\"10.0.0.0/8\", "
      "\"::1\"]\nmax_body_bytes = 131072\nstatus_retention_s = 0\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_TRUE(c.api.enabled);
  EXPECT_TRUE(c.api.plain);
  EXPECT_EQ(c.api.server.host, "127.0.0.1");
  EXPECT_EQ(c.api.server.port, 8080);
  EXPECT_EQ(c.api.server.tls, nullptr);
  EXPECT_EQ(c.api.max_batch, 50u);
  EXPECT_EQ(c.api.signature_window_ms, 60'000);
  EXPECT_EQ(c.api.default_validity_s, 600);
  EXPECT_EQ(c.api.ack_timeout_ms, 2000);
  EXPECT_EQ(c.api.trusted_proxies.size(), 2u);
  EXPECT_EQ(c.api.server.max_body_bytes, 131072u);
  EXPECT_EQ(c.api.status_retention_ms, 0);
  auto defaults = Load("[api]\nlisten = \"[::1]:8080\"\nplain = true\n");
  ASSERT_TRUE(std::holds_alternative<Config>(defaults));
  EXPECT_EQ(std::get<Config>(defaults).api.server.max_body_bytes, 256u * 1024);
  EXPECT_EQ(std::get<Config>(defaults).api.max_batch, 100u);
}

TEST_F(ApiConfigTest, ProblemsNameTheirLine) {
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"0.0.0.0:8080\"\nplain = true\n"),
            At(11, 9, "api.plain = true is allowed only on a loopback address (127.0.0.0/8 or "
                      "::1): TLS on every hop that leaves the host"));
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"0.0.0.0:8080\"\n"),
            At(9, 1, "[api] needs tls_cert_file and tls_key_file (or plain = true on loopback)"));
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\n", "file = \"k.toml\"\n"),
            At(9, 1, "[api] authenticates keys of the key registry: set [keys] registry = "
                     "\"redis\" (docs/keys.md)"));
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\n"
                    "trusted_proxies = [\"10.0.0.0/33\"]\n"),
            At(12, 19, "api.trusted_proxies: '10.0.0.0/33' is not an address or CIDR range"));
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nmax_batch = 0\n"),
            At(12, 13, "api.max_batch = 0 is out of range [1, 1000]"));
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nsend_at = 1\n"),
            At(12, 1, "unknown key 'send_at' in [api]"));
  EXPECT_EQ(ErrorOf("[listener]\nlisten = \"127.0.0.1:8080\"\nplain = true\n"
                    "[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\n"),
            At(13, 10, "api.listen is the [listener]'s address: give the API its own port"));
}

// PROXY protocol v2 needs the proxies it believes; mutual TLS needs TLS.
TEST_F(ApiConfigTest, ProxyProtocolAndClientCertificates) {
  auto ok = Load("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nproxy_protocol = true\n"
                 "trusted_proxies = [\"127.0.0.1\"]\n");
  ASSERT_TRUE(std::holds_alternative<Config>(ok)) << std::get<ConfigError>(ok).ToString();
  EXPECT_TRUE(std::get<Config>(ok).api.server.proxy_protocol);
  EXPECT_EQ(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nproxy_protocol = true\n"),
            At(12, 18, "api.proxy_protocol needs api.trusted_proxies: the load balancers whose "
                       "PROXY headers are believed"));
  EXPECT_TRUE(WriteTextFile(dir_.File("ca.pem"), "x", 0644));
  EXPECT_NE(ErrorOf("[api]\nlisten = \"127.0.0.1:8080\"\nplain = true\nclient_ca_file = "
                    "\"ca.pem\"\n")
                .find("plain = true and TLS files: choose one"),
            std::string::npos);
}

// [callbacks] (docs/api.md, "Status callbacks"): defaults, every key, and problems at their line.
TEST_F(ApiConfigTest, CallbacksDefaultsAndEveryKey) {
  auto d = Load("[callbacks]\n");
  ASSERT_TRUE(std::holds_alternative<Config>(d)) << std::get<ConfigError>(d).ToString();
  const auto& cb = std::get<Config>(d).callbacks;
  EXPECT_TRUE(cb.enabled);
  EXPECT_EQ(cb.sender.retry_for_ms, 86'400'000);
  EXPECT_EQ(cb.sender.retry_max_ms, 600'000);
  EXPECT_EQ(cb.claim_idle_ms, 300'000);
  EXPECT_EQ(cb.sender.max_held_per_target, 5'000u);  // a quarter of max_held
  EXPECT_EQ(cb.sender.keep_interval_ms, 100'000);
  EXPECT_TRUE(WriteTextFile(dir_.File("ca.pem"), "x", 0644));
  auto r = Load("[callbacks]\nretry_for_s = 3600\nretry_initial_ms = 500\nretry_max_ms = 60000\n"
                "timeout_ms = 3000\nmax_in_flight = 16\nmax_per_url = 2\nmax_held = 500\n"
                "max_held_per_url = 100\n"
                "claim_idle_s = 60\nca_file = \"ca.pem\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const auto& o = std::get<Config>(r).callbacks.sender;
  EXPECT_EQ(o.retry_for_ms, 3'600'000);
  EXPECT_EQ(o.retry_initial_ms, 500);
  EXPECT_EQ(o.timeout_ms, 3000);
  EXPECT_EQ(o.max_in_flight, 16u);
  EXPECT_EQ(o.max_per_target, 2u);
  EXPECT_EQ(o.max_held, 500u);
  EXPECT_EQ(o.max_held_per_target, 100u);
  EXPECT_EQ(o.client.ca_file, dir_.File("ca.pem"));
  EXPECT_FALSE(std::get<Config>(Load("")).callbacks.enabled);  // no section, no callbacks
}

TEST_F(ApiConfigTest, CallbackProblemsNameTheirLine) {
  // [callbacks] starts at line 9.
  EXPECT_EQ(ErrorOf("[callbacks]\nretry_max_ms = 50\n"),
            At(10, 16, "callbacks.retry_max_ms = 50 is out of range [100, 86400000]"));
  EXPECT_EQ(ErrorOf("[callbacks]\nretry_initial_ms = 5000\nretry_max_ms = 1000\n"),
            At(11, 16, "callbacks.retry_max_ms is below callbacks.retry_initial_ms"));
  EXPECT_EQ(ErrorOf("[callbacks]\nca_file = \"missing.pem\"\n"),
            At(10, 11, "callbacks.ca_file: " + dir_.File("missing.pem") +
                           " is not a readable file"));
  EXPECT_NE(ErrorOf("[callbacks]\nurl = \"x\"\n").find("url"), std::string::npos);
  EXPECT_NE(ErrorOf("[callbacks]\n", "").find("registry = \"redis\""), std::string::npos);
}

}  // namespace
}  // namespace sd
