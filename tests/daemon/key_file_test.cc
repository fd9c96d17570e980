// Key file loading: a good file, and every refusal named by file and line without ever
// printing a secret.
#include "daemon/lib/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

// Distinctive secrets, so a leak into a message would be found by substring search.
const std::string kSecretA = "5ec2e7a1" + std::string(56, 'a');
const std::string kSecretB = "5ec2e7b2" + std::string(56, 'b');

std::string Entry(const std::string& id, const std::string& secret) {
  return "[[key]]\nid = \"" + id + "\"\nsecret = \"" + secret + "\"\n";
}

class KeyFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text, int mode = 0600) {
    EXPECT_TRUE(WriteTextFile(path_, text, mode));
    return path_;
  }
  // Loads `text` (written with `mode`) expecting a refusal; returns the message and checks
  // that no secret of this test file appears in it.
  std::string Refusal(const std::string& text, int mode = 0600) {
    auto r = LoadKeyFile(Write(text, mode));
    if (!std::holds_alternative<ConfigError>(r)) {
      ADD_FAILURE() << "loaded a key file that should be refused:\n" << text;
      return "";
    }
    const std::string e = std::get<ConfigError>(r).ToString();
    for (const std::string& s : {kSecretA, kSecretB}) {
      EXPECT_EQ(e.find(s.substr(0, 8)), std::string::npos) << "secret leaked: " << e;
    }
    return e;
  }

  TempDir dir_{"sd-keyfile-test"};
  const std::string path_ = dir_.File("keys.toml");
};

TEST_F(KeyFileTest, LoadsEveryKey) {
  auto r = LoadKeyFile(Write(Entry("acme.v1", kSecretA) + "\n" + Entry("acme.v2", kSecretB)));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(r))
      << std::get<ConfigError>(r).ToString();
  const auto& ring = std::get<std::shared_ptr<const KeyRing>>(r);
  EXPECT_EQ(ring->size(), 2u);
  ASSERT_NE(ring->Find("acme.v1"), nullptr);
  ASSERT_NE(ring->Find("acme.v2"), nullptr);
  EXPECT_EQ(ring->Find("acme.v1")->secret, "\x5e\xc2\xe7\xa1" + std::string(28, '\xaa'));
  EXPECT_EQ(ring->Find("acme.v2")->secret.size(), 32u);
  EXPECT_EQ(ring->Find("acme.v3"), nullptr);
}

TEST_F(KeyFileTest, UppercaseHexAndLongerSecretsAreFine) {
  auto r = LoadKeyFile(Write(Entry("a.v1", std::string(128, 'F'))));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(r))
      << std::get<ConfigError>(r).ToString();
  EXPECT_EQ(std::get<std::shared_ptr<const KeyRing>>(r)->Find("a.v1")->secret,
            std::string(64, '\xff'));
}

TEST_F(KeyFileTest, GroupOrWorldAccessibleFileIsRefused) {
  for (int mode : {0644, 0640, 0604, 0660, 0601}) {
    EXPECT_EQ(Refusal(Entry("a.v1", kSecretA), mode),
              path_ + ": holds secrets but is accessible by group or others (chmod 600 it)")
        << std::oct << mode;
  }
  // 0400 (read-only for the owner) is fine.
  auto r = LoadKeyFile(Write(Entry("a.v1", kSecretA), 0400));
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const KeyRing>>(r));
}

TEST_F(KeyFileTest, ShortSecret) {
  EXPECT_EQ(
      Refusal(Entry("a.v1", kSecretA.substr(0, 62))),
      path_ + ":3:10: key 'a.v1': secret must be 64 to 256 hex digits (62 given; 64 = 256 bits)");
}

TEST_F(KeyFileTest, OverlongSecret) {
  EXPECT_EQ(
      Refusal(Entry("a.v1", kSecretA + std::string(194, 'c'))),
      path_ + ":3:10: key 'a.v1': secret must be 64 to 256 hex digits (258 given; 64 = 256 bits)");
}

TEST_F(KeyFileTest, BadHex) {
  EXPECT_EQ(Refusal("\n" + Entry("a.v1", kSecretA.substr(0, 63) + "g")),
            path_ + ":4:10: key 'a.v1': secret is not hex (an even number of 0-9, a-f)");
  EXPECT_EQ(Refusal(Entry("a.v1", kSecretA + "a")),
            path_ + ":3:10: key 'a.v1': secret is not hex (an even number of 0-9, a-f)")
      << "odd length";
}

TEST_F(KeyFileTest, DuplicateId) {
  EXPECT_EQ(Refusal(Entry("a.v1", kSecretA) + Entry("a.v1", kSecretB)),
            path_ + ":4:1: key 'a.v1' is defined twice");
}

TEST_F(KeyFileTest, UnknownKeys) {
  EXPECT_EQ(Refusal(Entry("a.v1", kSecretA) + "scopes = [\"otp\"]\n"),
            path_ + ":4:1: unknown key 'scopes' in [[key]] (only id and secret)");
  EXPECT_EQ(Refusal("version = 1\n" + Entry("a.v1", kSecretA)),
            path_ + ":1:1: unknown key 'version' (the file holds [[key]] tables)");
  EXPECT_EQ(Refusal("[key]\nid = \"a\"\n"),
            path_ + ":1:1: key must be an array of tables: write [[key]], not [key]");
}

TEST_F(KeyFileTest, MissingOrBadFields) {
  EXPECT_EQ(Refusal("[[key]]\nsecret = \"" + kSecretA + "\"\n"),
            path_ + ":1:1: [[key]] is missing its id");
  EXPECT_EQ(Refusal("[[key]]\nid = \"a.v1\"\n"), path_ + ":1:1: key 'a.v1' has no secret");
  EXPECT_EQ(Refusal("[[key]]\nid = 7\nsecret = \"" + kSecretA + "\"\n"),
            path_ + ":2:6: [[key]] id must be a string");
  EXPECT_EQ(Refusal(Entry("", kSecretA)),
            path_ + ":1:1: [[key]] id must be 1 to 64 characters without control characters");
  EXPECT_EQ(Refusal(Entry("a\\nb", kSecretA)),
            path_ + ":1:1: [[key]] id must be 1 to 64 characters without control characters");
  EXPECT_EQ(Refusal(""), path_ + ": no [[key]] entries");
}

TEST_F(KeyFileTest, SyntaxErrorDoesNotQuoteTheSecret) {
  // An unterminated secret string: the parser stops inside the secret.
  const std::string e = Refusal("[[key]]\nid = \"a.v1\"\nsecret = \"" + kSecretA + "\n");
  EXPECT_EQ(e.rfind(path_ + ":3:", 0), 0u) << e;
}

TEST_F(KeyFileTest, MissingFile) {
  auto r = LoadKeyFile(dir_.File("nope.toml"));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
  EXPECT_EQ(std::get<ConfigError>(r).ToString(),
            dir_.File("nope.toml") + ": cannot open: No such file or directory");
}

// Password files use the same private-file check.
TEST_F(KeyFileTest, SecretFileHelperSharesTheModeCheck) {
  const std::string pw = dir_.File("redis.pw");
  ASSERT_TRUE(WriteTextFile(pw, "pw-value\r\n\n", 0600));
  auto ok = ReadSecretFile(pw);
  ASSERT_TRUE(std::holds_alternative<std::string>(ok));
  EXPECT_EQ(std::get<std::string>(ok), "pw-value");
  ASSERT_EQ(chmod(pw.c_str(), 0640), 0);
  auto bad = ReadSecretFile(pw);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(bad));
  EXPECT_EQ(std::get<ConfigError>(bad).ToString(),
            pw + ": holds secrets but is accessible by group or others (chmod 600 it)");
  ASSERT_TRUE(WriteTextFile(pw, std::string(kMaxSecretFileBytes + 1, 'x'), 0600));
  auto huge = ReadSecretFile(pw);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(huge));
  EXPECT_EQ(std::get<ConfigError>(huge).message, "is larger than 4096 bytes; wrong file?");
}

}  // namespace
}  // namespace sd
