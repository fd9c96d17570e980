// Bounded reads of operator files: size cap, regular files only, secrets private.
#include "adapters/config/config_file.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using testing::TempDir;
using testing::WriteTextFile;

std::string Error(const std::variant<std::string, FileError>& r) {
  const auto* e = std::get_if<FileError>(&r);
  return e != nullptr ? e->ToString() : "";
}

TEST(ReadConfigFile, ReadsAWholeFileAndRefusesOneOverTheCap) {
  TempDir dir;
  const std::string path = dir.File("c.toml");
  ASSERT_TRUE(WriteTextFile(path, std::string(100, 'x'), 0644));
  auto ok = ReadConfigFile(path, 100, FileAccess::kAny);
  ASSERT_TRUE(std::holds_alternative<std::string>(ok)) << Error(ok);
  EXPECT_EQ(std::get<std::string>(ok).size(), 100u);
  EXPECT_EQ(Error(ReadConfigFile(path, 99, FileAccess::kAny)),
            path + ": is larger than 99 bytes; wrong file?");
}

TEST(ReadConfigFile, MissingFilesAndDirectoriesAreNamed) {
  TempDir dir;
  EXPECT_EQ(Error(ReadConfigFile(dir.File("none"), 10, FileAccess::kAny)),
            dir.File("none") + ": cannot open: No such file or directory");
  EXPECT_EQ(Error(ReadConfigFile(dir.path(), 10, FileAccess::kAny)),
            dir.path() + ": not a regular file");
}

TEST(ReadPrivateFile, RefusesAFileOthersCanReadWithoutQuotingIt) {
  TempDir dir;
  const std::string path = dir.File("pw");
  ASSERT_TRUE(WriteTextFile(path, "topsecret\n", 0640));
  const std::string e = Error(ReadPrivateFile(path, 100));
  EXPECT_EQ(e, path + ": holds secrets but is accessible by group or others (chmod 600 it)");
  EXPECT_EQ(e.find("topsecret"), std::string::npos);
  // The same file is fine where secrecy is not asked for.
  EXPECT_TRUE(std::holds_alternative<std::string>(ReadConfigFile(path, 100, FileAccess::kAny)));
}

TEST(ReadSecretFile, StripsTrailingNewlinesAndRefusesAnEmptySecret) {
  TempDir dir;
  ASSERT_TRUE(WriteTextFile(dir.File("pw"), "s3cret\r\n\n", 0600));
  auto r = ReadSecretFile(dir.File("pw"));
  ASSERT_TRUE(std::holds_alternative<std::string>(r)) << Error(r);
  EXPECT_EQ(std::get<std::string>(r), "s3cret");
  ASSERT_TRUE(WriteTextFile(dir.File("empty"), "\n", 0600));
  EXPECT_EQ(Error(ReadSecretFile(dir.File("empty"))), dir.File("empty") + ": secret file is empty");
  ASSERT_TRUE(WriteTextFile(dir.File("big"), std::string(kMaxSecretFileBytes + 1, 'a'), 0600));
  EXPECT_NE(Error(ReadSecretFile(dir.File("big"))).find("is larger than"), std::string::npos);
}

}  // namespace
}  // namespace sd
