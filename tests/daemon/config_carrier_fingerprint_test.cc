// A reload reopens a carrier when its fingerprint moved (docs/configuration.md, "Reload"): the
// table's settings and the bytes of every file it names count; where the table sits in the
// file, comments and the order of other sections do not.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {

using ::sd::testing::WriteTextFile;

class CarrierFingerprintTest : public ::sd::testing::ConfigFileTest {
 protected:
  CarrierFingerprintTest() : ConfigFileTest("sd-carrier-fingerprint") {}
  uint64_t Of(const std::string& rest, size_t carrier = 0) {
    auto r = Load(rest);
    if (auto* e = std::get_if<ConfigError>(&r)) {
      ADD_FAILURE() << e->ToString();
      return 0;
    }
    return std::get<Config>(r).carriers.at(carrier).fingerprint;
  }
};

TEST_F(CarrierFingerprintTest, SettingsAndNamedFilesCountPlacesAndCommentsDoNot) {
  const uint64_t base = Of("");
  EXPECT_NE(base, 0u);
  EXPECT_EQ(Of(""), base) << "the same file, the same fingerprint";
  EXPECT_EQ(Of("# a comment\n[policy]\nnumber_check = false\n"), base)
      << "other sections do not touch the carrier";
  EXPECT_NE(Of("window = 32\n"), base) << "a setting of the carrier";
  ASSERT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "other\n", 0600));
  EXPECT_NE(Of(""), base) << "the password file's bytes";
  ASSERT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "pw\n", 0600));
  EXPECT_EQ(Of(""), base);
  // A second carrier's fingerprint is its own.
  const std::string b =
      "[[carrier]]\nname = \"b\"\nhost = \"127.0.0.1\"\nport = 2776\nsystem_id = \"sim\"\n"
      "password_file = \"smpp.pw\"\n[[route]]\ncarriers = [\"sim\", \"b\"]\n";
  EXPECT_EQ(Of(b), base);
  EXPECT_NE(Of(b, 1), base);
  EXPECT_EQ(Of(b, 1), Of("# moved down a line\n" + b, 1));
}

}  // namespace
}  // namespace sd
