// [admin] (docs/operations.md): the metrics and health listener, and every problem named at
// its line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"
#include "tests/support/test_pki.h"

namespace sd {
namespace {

using ::sd::testing::TestPki;
using ::sd::testing::WriteTextFile;

class AdminConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  AdminConfigTest() : ConfigFileTest("sd-admin-config") {
    EXPECT_TRUE(WriteTextFile(dir_.File("admin.token"), std::string(32, 't') + "\n", 0600));
    EXPECT_TRUE(WriteTextFile(dir_.File("short.token"), "short\n", 0600));
  }

  std::string Tls() const {
    return "tls_cert_file = \"" + pki_.server().cert + "\"\ntls_key_file = \"" + pki_.server().key +
           "\"\n";
  }

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
