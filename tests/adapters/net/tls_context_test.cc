// TlsContext: every configuration error is caught at start-up with the file's name.
#include "adapters/net/tls_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/test_pki.h"

namespace sd::net {
namespace {

using ::testing::HasSubstr;

class TlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new sd::testing::TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static sd::testing::TestPki* pki_;
};
sd::testing::TestPki* TlsContextTest::pki_ = nullptr;

TEST_F(TlsContextTest, ClientWithCaBuilds) {
  TlsConfig c;
  c.ca_file = pki_->ca();
  auto ctx = TlsContext::Create(c);
  ASSERT_TRUE(ctx.ok()) << ctx.error().detail;
  EXPECT_EQ(ctx.value()->role(), TlsRole::kClient);
  EXPECT_TRUE(ctx.value()->verify_hostname());
}

TEST_F(TlsContextTest, ClientWithoutTrustAnchorsIsRefused) {
  auto ctx = TlsContext::Create(TlsConfig{});
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("ca_file"));
}

TEST_F(TlsContextTest, MissingCaFileNamesTheFile) {
  TlsConfig c;
  c.ca_file = pki_->File("nope.crt");
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr(c.ca_file));
  EXPECT_THAT(ctx.error().detail, HasSubstr("No such file"));
}

TEST_F(TlsContextTest, GarbageCaFileNamesTheFileAndOpenSslReason) {
  TlsConfig c;
  c.ca_file = pki_->File("garbage.crt");
  ASSERT_TRUE(sd::testing::WriteTextFile(c.ca_file, "not a certificate\n"));
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr(c.ca_file));
}

TEST_F(TlsContextTest, KeyThatDoesNotMatchCertificateIsRefused) {
  TlsConfig c;
  c.role = TlsRole::kServer;
  c.cert_file = pki_->server().cert;
  c.key_file = pki_->client().key;
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("does not match"));
  EXPECT_THAT(ctx.error().detail, HasSubstr(c.key_file));
  EXPECT_THAT(ctx.error().detail, HasSubstr(c.cert_file));
}

TEST_F(TlsContextTest, MissingKeyFileNamesTheFile) {
  TlsConfig c;
  c.role = TlsRole::kServer;
  c.cert_file = pki_->server().cert;
  c.key_file = pki_->File("missing.key");
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr(c.key_file));
}

TEST_F(TlsContextTest, CertificateWithoutKeyIsRefused) {
  TlsConfig c;
  c.ca_file = pki_->ca();
  c.cert_file = pki_->client().cert;
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("no key_file"));
}

TEST_F(TlsContextTest, ServerNeedsCertificate) {
  TlsConfig c;
  c.role = TlsRole::kServer;
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("cert_file"));
}

TEST_F(TlsContextTest, RequireClientCertNeedsCa) {
  TlsConfig c;
  c.role = TlsRole::kServer;
  c.cert_file = pki_->server().cert;
  c.key_file = pki_->server().key;
  c.require_client_cert = true;
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("require_client_cert"));
  c.ca_file = pki_->ca();
  auto ok = TlsContext::Create(c);
  EXPECT_TRUE(ok.ok()) << ok.error().detail;
  // Asking without requiring (the API's mutual TLS) needs the CA just the same.
  c.require_client_cert = false;
  c.request_client_cert = true;
  c.ca_file.clear();
  auto asked = TlsContext::Create(c);
  ASSERT_FALSE(asked.ok());
  EXPECT_THAT(asked.error().detail, HasSubstr("request_client_cert"));
}

TEST_F(TlsContextTest, EncryptedKeyFailsInsteadOfPrompting) {
  // An encrypted PEM header is enough to make OpenSSL ask for a passphrase.
  const std::string key = pki_->File("encrypted.key");
  ASSERT_TRUE(sd::testing::WriteTextFile(key,
                                         "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                                         "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhB\n"
                                         "-----END ENCRYPTED PRIVATE KEY-----\n"));
  TlsConfig c;
  c.role = TlsRole::kServer;
  c.cert_file = pki_->server().cert;
  c.key_file = key;
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr(key));
}

TEST_F(TlsContextTest, InsecureHostnameOptionIsVisibleAndClientOnly) {
  TlsConfig c;
  c.ca_file = pki_->ca();
  c.insecure_skip_hostname_verification = true;
  auto ctx = TlsContext::Create(c);
  ASSERT_TRUE(ctx.ok()) << ctx.error().detail;
  EXPECT_FALSE(ctx.value()->verify_hostname());
  c.role = TlsRole::kServer;
  c.cert_file = pki_->server().cert;
  c.key_file = pki_->server().key;
  EXPECT_FALSE(TlsContext::Create(c).ok());
}

TEST_F(TlsContextTest, CaDirectoryMustBeADirectory) {
  TlsConfig c;
  c.ca_dir = pki_->ca();  // a file
  auto ctx = TlsContext::Create(c);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.error().detail, HasSubstr("not a directory"));
}

}  // namespace
}  // namespace sd::net
