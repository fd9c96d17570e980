// The prepared path uses OpenSSL's low-level SHA-256 (deprecated in OpenSSL 3, still shipped
// and still dispatching to SHA-NI / AVX2): its state is a plain struct, so "copy the prepared
// state" is a memcpy, where the EVP interface would allocate a provider context per copy.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "adapters/crypto/openssl_mac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

namespace sd {

Mac256 OpenSslMac::HmacSha256(std::string_view key, std::string_view data) const {
  Mac256 out{};
  unsigned int len = 0;
  // HMAC() one-shot: no allocation we must free, thread-safe, constant-time in OpenSSL.
  const unsigned char* r =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  if (r == nullptr || len != out.size()) std::abort();  // can't happen with SHA-256
  return out;
}

namespace {

class PreparedHmacSha256 final : public PreparedMac {
 public:
  explicit PreparedHmacSha256(std::string_view key) {
    // RFC 2104: keys longer than the block are hashed first; shorter ones are zero-padded.
    unsigned char block[SHA256_CBLOCK] = {};
    if (key.size() > sizeof block) {
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[SHA256_CBLOCK];
    for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&inner_);
    SHA256_Update(&inner_, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&outer_);
    SHA256_Update(&outer_, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
  }
  ~PreparedHmacSha256() override {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
  }

  Mac256 Compute(std::initializer_list<std::string_view> parts) const override {
    SHA256_CTX c = inner_;
    for (std::string_view p : parts) SHA256_Update(&c, p.data(), p.size());
    unsigned char inner_hash[SHA256_DIGEST_LENGTH];
    SHA256_Final(inner_hash, &c);
    c = outer_;
    SHA256_Update(&c, inner_hash, sizeof inner_hash);
    Mac256 out{};
    SHA256_Final(out.data(), &c);
    OPENSSL_cleanse(&c, sizeof c);
    return out;
  }

 private:
  SHA256_CTX inner_;  // state after hashing key ^ ipad: secret-equivalent, wiped on destruction
  SHA256_CTX outer_;  // state after hashing key ^ opad
};

}  // namespace

std::shared_ptr<const PreparedMac> OpenSslMac::Prepare(std::string_view key) const {
  return std::make_shared<const PreparedHmacSha256>(key);
}

}  // namespace sd
