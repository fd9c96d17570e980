#include "tests/support/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace sd::testing {

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "TestPki: %s failed\n", what);
  std::abort();
}

struct Key {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  Key() {
    if (pkey == nullptr) Die("EVP_EC_gen");
  }
  ~Key() { EVP_PKEY_free(pkey); }
};

struct Cert {
  X509* x509 = X509_new();
  ~Cert() { X509_free(x509); }
};

void AddExt(X509* subject, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr || X509_add_ext(subject, ext, -1) != 1) Die("X509 extension");
  X509_EXTENSION_free(ext);
}

struct Spec {
  const char* cn;
  bool ca = false;
  const char* san = nullptr;
  const char* eku = nullptr;
  long not_before_s = -3600;
  long not_after_s = 24 * 3600;
};

// Issues a certificate for `key`; self-signed when issuer is null.
void Issue(Cert& out, const Key& key, const Spec& spec, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509* x = out.x509;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x), spec.not_after_s);
  X509_set_pubkey(x, key.pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.cn), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  AddExt(x, signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExt(x, signer, NID_key_usage,
         spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  AddExt(x, signer, NID_subject_key_identifier, "hash");
  if (spec.eku != nullptr) AddExt(x, signer, NID_ext_key_usage, spec.eku);
  if (spec.san != nullptr) AddExt(x, signer, NID_subject_alt_name, spec.san);
  if (X509_sign(x, issuer_key != nullptr ? issuer_key : key.pkey, EVP_sha256()) == 0) {
    Die("X509_sign");
  }
}

void WriteCert(const std::string& path, X509* x) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || PEM_write_X509(f, x) != 1) Die("writing a certificate");
  std::fclose(f);
}

void WriteKey(const std::string& path, const Key& key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) Die("opening a key file");
  chmod(path.c_str(), 0600);
  if (PEM_write_PrivateKey(f, key.pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("writing a key");
  }
  std::fclose(f);
}

TestCertFiles Leaf(const TempDir& dir, const std::string& name, const Spec& spec, Cert& ca,
                   const Key& ca_key) {
  Key key;
  Cert cert;
  Issue(cert, key, spec, ca.x509, ca_key.pkey);
  TestCertFiles files{dir.File(name + ".crt"), dir.File(name + ".key")};
  WriteCert(files.cert, cert.x509);
  WriteKey(files.key, key);
  return files;
}

}  // namespace

TestPki::TestPki() {
  constexpr const char* kServerSan = "DNS:localhost,IP:127.0.0.1,IP:::1";
  Key ca_key, other_key;
  Cert ca, other;
  Issue(ca, ca_key, Spec{.cn = "smsdispatch test CA", .ca = true}, nullptr, nullptr);
  Issue(other, other_key, Spec{.cn = "unrelated test CA", .ca = true}, nullptr, nullptr);
  ca_ = dir_.File("ca.crt");
  other_ca_ = dir_.File("other-ca.crt");
  WriteCert(ca_, ca.x509);
  WriteCert(other_ca_, other.x509);
  server_ = Leaf(dir_, "server", Spec{.cn = "localhost", .san = kServerSan, .eku = "serverAuth"},
                 ca, ca_key);
  client_ = Leaf(dir_, "client", Spec{.cn = "esme-client", .eku = "clientAuth"}, ca, ca_key);
  expired_ = Leaf(dir_, "expired",
                  Spec{.cn = "localhost",
                       .san = kServerSan,
                       .eku = "serverAuth",
                       .not_before_s = -48 * 3600,
                       .not_after_s = -3600},
                  ca, ca_key);
  other_server_ =
      Leaf(dir_, "other-server", Spec{.cn = "localhost", .san = kServerSan, .eku = "serverAuth"},
           other, other_key);
}

}  // namespace sd::testing
