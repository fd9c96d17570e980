// [admin] (docs/operations.md): the metrics and health listener, and every problem named at
// its line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::TestPki;
using ::sd::testing::WriteTextFile;

class AdminConfigTest : public ::testing::Test {
 protected:
  AdminConfigTest() {
    EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "pw\n", 0600));
    EXPECT_TRUE(WriteTextFile(dir_.File("admin.token"), std::string(32, 't') + "\n", 0600));
    EXPECT_TRUE(WriteTextFile(dir_.File("short.token"), "short\n", 0600));
  }

  // Lines 1-8: [keys] and the carrier; [admin] (or what `rest` starts with) at line 9.
  std::variant<Config, ConfigError> Load(const std::string& rest) {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(
        path,
        "[keys]\nregistry = \"redis\"\n[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = "
        "2775\nsystem_id = \"sim\"\npassword_file = \"smpp.pw\"\n" +
            rest,
        0644));
    return LoadConfig(path);
  }
  std::string ErrorOf(const std::string& rest) {
    auto r = Load(rest);
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string At(int line, int column, const std::string& what) const {
    return dir_.File("c.toml") + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           what;
  }
  std::string Tls() const {
    return "tls_cert_file = \"" + pki_.server().cert + "\"\ntls_key_file = \"" + pki_.server().key +
           "\"\n";
  }

  TempDir dir_{"sd-admin-config"};
  TestPki pki_;
};

TEST_F(AdminConfigTest, TheSectionAloneListensOnLoopbackPlain) {
  auto r = Load("[admin]\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_TRUE(c.admin.plain);
  EXPECT_EQ(c.admin.server.host, "127.0.0.1");
  EXPECT_EQ(c.admin.server.port, 9464);
  EXPECT_EQ(c.admin.server.tls, nullptr);
  EXPECT_TRUE(c.admin.bearer_token.empty());
  auto none = Load("");
  ASSERT_TRUE(std::holds_alternative<Config>(none));
  EXPECT_FALSE(std::get<Config>(none).admin.enabled) << "no [admin], no listener";
}

TEST_F(AdminConfigTest, TlsAndATokenOffLoopback) {
  auto r = Load("[admin]\nlisten = \"0.0.0.0:9464\"\n" + Tls() +
                "bearer_token_file = \"admin.token\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_FALSE(c.admin.plain);
  EXPECT_NE(c.admin.server.tls, nullptr);
  EXPECT_EQ(c.admin.bearer_token, std::string(32, 't'));
}

TEST_F(AdminConfigTest, ProblemsNameTheirLine) {
  EXPECT_EQ(ErrorOf("[admin]\nlisten = \"0.0.0.0:9464\"\n"),
            At(9, 1,
               "[admin] off loopback needs tls_cert_file and tls_key_file: TLS on every "
               "hop that leaves the host"));
  EXPECT_EQ(ErrorOf("[admin]\nlisten = \"0.0.0.0:9464\"\nplain = true\n"),
            At(11, 9,
               "admin.plain = true is allowed only on a loopback address (127.0.0.0/8 or "
               "::1): TLS on every hop that leaves the host"));
  EXPECT_EQ(ErrorOf("[admin]\nlisten = \"0.0.0.0:9464\"\n" + Tls()),
            At(9, 1,
               "[admin] on a non-loopback address needs bearer_token_file: metrics tell "
               "anyone who can reach them how much traffic goes where"));
  EXPECT_EQ(ErrorOf("[admin]\nbearer_token_file = \"short.token\"\n"),
            At(10, 21, "admin.bearer_token_file: the token must be at least 16 characters"));
  EXPECT_NE(ErrorOf("[admin]\nbearer_token = \"abcdefabcdefabcdef\"\n").find("bearer_token_file"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("[admin]\nlisten = \"9464\"\n"),
            At(10, 10, "admin.listen must be \"address:port\" (IPv6 as \"[::1]:8443\")"));
  EXPECT_EQ(ErrorOf("[listener]\nlisten = \"127.0.0.1:9464\"\nplain = true\n[admin]\n"),
            At(12, 1,
               "admin.listen is the address of [listener] or [api]: give the admin "
               "listener its own port"));
  EXPECT_NE(ErrorOf("[admin]\nport = 1\n").find("unknown key"), std::string::npos)
      << ErrorOf("[admin]\nport = 1\n");
}

}  // namespace
}  // namespace sd
