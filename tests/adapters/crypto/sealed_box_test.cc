#include "adapters/crypto/sealed_box.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "adapters/crypto/random.h"
#include "core/hex.h"
#include "tests/support/temp_dir.h"

namespace sd {
namespace {

MasterKey Key(uint8_t fill) {
  std::array<uint8_t, kMasterKeyBytes> b{};
  b.fill(fill);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(b[i] + i);
  return MasterKey(b);
}

const std::string kPlain = "a key record: secret bytes and scopes \x01\x02\x03";

TEST(SealedBoxTest, RoundTrip) {
  const MasterKey k = Key(1);
  auto sealed = Seal(k, "acme-otp.v1", kPlain);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kPlain.size() + kSealOverheadBytes);
  EXPECT_EQ(static_cast<uint8_t>((*sealed)[0]), kSealedBoxVersion);
  EXPECT_EQ(sealed->find("secret bytes"), std::string::npos);  // not in clear
  auto opened = Open(k, "acme-otp.v1", *sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, kPlain);
  // Empty plaintext works too.
  auto empty = Seal(k, "x.v1", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Open(k, "x.v1", *empty).value_or("nope"), "");
}

TEST(SealedBoxTest, FreshNonceEverySeal) {
  const MasterKey k = Key(1);
  auto a = Seal(k, "acme-otp.v1", kPlain);
  auto b = Seal(k, "acme-otp.v1", kPlain);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->substr(1, kSealNonceBytes), b->substr(1, kSealNonceBytes));
  EXPECT_NE(*a, *b);
}

TEST(SealedBoxTest, TamperingWithAnyByteFails) {
  const MasterKey k = Key(1);
  auto sealed = Seal(k, "acme-otp.v1", kPlain);
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (uint8_t flip : {0x01, 0x80}) {
      std::string t = *sealed;
      t[i] = static_cast<char>(t[i] ^ flip);
      EXPECT_FALSE(Open(k, "acme-otp.v1", t)) << "byte " << i;
    }
  }
  // Truncated or extended boxes fail, too.
  for (size_t n = 0; n < sealed->size(); ++n)
    EXPECT_FALSE(Open(k, "acme-otp.v1", sealed->substr(0, n)));
  EXPECT_FALSE(Open(k, "acme-otp.v1", *sealed + "x"));
}

TEST(SealedBoxTest, WrongAssociatedDataFails) {
  const MasterKey k = Key(1);
  auto sealed = Seal(k, "acme-otp.v1", kPlain);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(Open(k, "acme-otp.v2", *sealed));
  EXPECT_FALSE(Open(k, "", *sealed));
  EXPECT_FALSE(Open(k, "acme-otp.v1 ", *sealed));
}

TEST(SealedBoxTest, WrongMasterKeyFails) {
  auto sealed = Seal(Key(1), "acme-otp.v1", kPlain);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(Open(Key(2), "acme-otp.v1", *sealed));
}

TEST(MasterKeyTest, ParsesThreeForms) {
  const std::string raw = RandomBytes(kMasterKeyBytes);
  const std::string hex = HexEncode(raw);
  auto sealed = Seal(ParseMasterKey(raw).value(), "k.v1", "x");
  ASSERT_TRUE(sealed.ok());
  for (const std::string& form : {raw, hex, hex + "\n", "SMSDISPATCH_MASTER_KEY=" + hex + "\n"}) {
    auto k = ParseMasterKey(form);
    ASSERT_TRUE(k.ok()) << k.error().detail;
    EXPECT_EQ(Open(*k, "k.v1", *sealed).value_or(""), "x");  // the same key each time
  }
  for (const std::string& bad : {std::string(), hex.substr(2), hex + "00", std::string(64, 'g'),
                                 "OTHER=" + hex, raw.substr(1)}) {
    auto k = ParseMasterKey(bad);
    EXPECT_FALSE(k.ok());
    if (!k.ok()) {
      EXPECT_EQ(k.error().detail.find(hex.substr(0, 8)), std::string::npos);
    }
  }
}

// systemd's EnvironmentFile= puts the key in the environment: it is read once, then gone, so
// nothing the daemon starts could inherit it; a bad value names the variable, never the key.
TEST(MasterKeyTest, EnvironmentVariableIsReadOnceAndRemoved) {
  const std::string hex = HexEncode(RandomBytes(kMasterKeyBytes));
  auto sealed = Seal(ParseMasterKey(hex).value(), "k.v1", "x");
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(setenv("SMSDISPATCH_MASTER_KEY", hex.c_str(), 1), 0);
  auto k = LoadMasterKeyEnvironment();
  ASSERT_TRUE(k.ok()) << k.error().detail;
  EXPECT_EQ(Open(*k, "k.v1", *sealed).value_or(""), "x");
  EXPECT_EQ(getenv("SMSDISPATCH_MASTER_KEY"), nullptr);
  auto again = LoadMasterKeyEnvironment();
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().detail.find("SMSDISPATCH_MASTER_KEY is not set"), std::string::npos);

  ASSERT_EQ(setenv("SMSDISPATCH_MASTER_KEY", hex.substr(0, 40).c_str(), 1), 0);
  auto bad = LoadMasterKeyEnvironment();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("$SMSDISPATCH_MASTER_KEY: "), std::string::npos);
  EXPECT_EQ(bad.error().detail.find(hex.substr(0, 8)), std::string::npos);
  EXPECT_EQ(getenv("SMSDISPATCH_MASTER_KEY"), nullptr);
}

TEST(MasterKeyTest, FileMustBePrivate) {
  testing::TempDir dir;
  const std::string hex = HexEncode(RandomBytes(kMasterKeyBytes));
  const std::string path = dir.File("master.key");
  ASSERT_TRUE(testing::WriteTextFile(path, hex + "\n", 0600));
  EXPECT_TRUE(LoadMasterKeyFile(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(LoadMasterKeyFile(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  auto r = LoadMasterKeyFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("group or others"), std::string::npos);
  EXPECT_FALSE(LoadMasterKeyFile(dir.File("missing")).ok());
  EXPECT_FALSE(LoadMasterKeyFile(dir.path()).ok());  // a directory
  const std::string big = dir.File("big");
  ASSERT_TRUE(testing::WriteTextFile(big, std::string(5000, 'a'), 0600));
  EXPECT_FALSE(LoadMasterKeyFile(big).ok());
}

TEST(MasterKeyTest, SystemdCredential) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteTextFile(dir.File("sd-master"), HexEncode(RandomBytes(32)), 0400));
  unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_FALSE(LoadMasterKeyCredential("sd-master").ok());
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  EXPECT_TRUE(LoadMasterKeyCredential("sd-master").ok());
  EXPECT_FALSE(LoadMasterKeyCredential("../sd-master").ok());
  EXPECT_FALSE(LoadMasterKeyCredential("other").ok());
  unsetenv("CREDENTIALS_DIRECTORY");
}

}  // namespace
}  // namespace sd
