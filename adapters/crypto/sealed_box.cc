#include "adapters/crypto/sealed_box.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/hex.h"

namespace sd {
namespace {

// Far above any of the three forms: hitting it means the path names the wrong file.
constexpr size_t kMaxMasterKeyFileBytes = 4096;

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

Error KeyError(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

std::string Aad(std::string_view aad) {
  std::string a;
  a.reserve(aad.size() + 1);
  a.push_back(static_cast<char>(kSealedBoxVersion));
  a.append(aad);
  return a;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Wipes a string that held key material before it is freed.
struct Wiped {
  std::string s;
  ~Wiped() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

}  // namespace

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<MasterKey> ParseMasterKey(std::string_view content) {
  std::array<uint8_t, kMasterKeyBytes> bytes{};
  if (content.size() == kMasterKeyBytes) {  // raw bytes: exactly 32, nothing stripped
    std::memcpy(bytes.data(), content.data(), kMasterKeyBytes);
    MasterKey k(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return k;
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.remove_suffix(1);
  }
  const std::string prefix = std::string(kMasterKeyEnvName) + "=";
  if (content.substr(0, prefix.size()) == prefix) content.remove_prefix(prefix.size());
  if (content.size() != 2 * kMasterKeyBytes) {
    return KeyError("master key must be 64 hex digits, 32 raw bytes or " + prefix +
                    "<64 hex digits>");
  }
  Wiped decoded{HexDecode(content).value_or("")};
  if (decoded.s.size() != kMasterKeyBytes) return KeyError("master key is not hex");
  std::memcpy(bytes.data(), decoded.s.data(), kMasterKeyBytes);
  MasterKey k(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return k;
}

Result<MasterKey> LoadMasterKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return KeyError(path + ": cannot open: " + strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return KeyError(path + ": not a regular file");
  }
  // A master key readable by others is already leaked; refusing loudly is how the operator
  // finds out. Checked on the descriptor, so the file checked is the file read.
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return KeyError(path + ": group or others can access it (chmod 600 or 400)");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxMasterKeyFileBytes) {
    close(fd);
    return KeyError(path + ": larger than " + std::to_string(kMaxMasterKeyFileBytes) +
                    " bytes; not a master key file");
  }
  Wiped content;
  content.s.resize(kMaxMasterKeyFileBytes + 1);
  size_t got = 0;
  while (got < content.s.size()) {
    const ssize_t n = read(fd, content.s.data() + got, content.s.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      return KeyError(path + ": read: " + strerror(e));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got > kMaxMasterKeyFileBytes) return KeyError(path + ": grew while being read");
  auto k = ParseMasterKey(std::string_view(content.s.data(), got));
  if (!k) return KeyError(path + ": " + k.error().detail);
  return k;
}

Result<MasterKey> LoadMasterKeyCredential(std::string_view name) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    return KeyError("CREDENTIALS_DIRECTORY is not set (no systemd credentials for this process)");
  }
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return KeyError("credential name must be a plain file name");
  }
  return LoadMasterKeyFile(std::string(dir) + "/" + std::string(name));
}

Result<MasterKey> LoadMasterKeyEnvironment() {
  const std::string name(kMasterKeyEnvName);
  char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return KeyError("$" + name + " is not set");
  Wiped copy{std::string(value)};
  // getenv's buffer belongs to the environment: wipe it in place, then drop the variable.
  OPENSSL_cleanse(value, std::strlen(value));
  unsetenv(name.c_str());
  auto k = ParseMasterKey(copy.s);
  if (!k) return KeyError("$" + name + ": " + k.error().detail);
  return k;
}

Result<std::string> Seal(const MasterKey& key, std::string_view aad, std::string_view plaintext) {
  if (plaintext.size() > kMaxSealedBytes - kSealOverheadBytes) {
    return Error{Reason::kTooLarge, "plaintext too large to seal"};
  }
  std::string out(kSealOverheadBytes + plaintext.size(), '\0');
  out[0] = static_cast<char>(kSealedBoxVersion);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + 1);
  auto* ct = nonce + kSealNonceBytes;
  auto* tag = ct + plaintext.size();
  if (RAND_bytes(nonce, static_cast<int>(kSealNonceBytes)) != 1) {
    return KeyError("no randomness for the nonce");
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::string a = Aad(aad);
  int len = 0;
  // 12-byte nonces are GCM's default IV length, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(a), static_cast<int>(a.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kSealTagBytes), tag) !=
          1) {
    return KeyError("AES-256-GCM seal failed");
  }
  return out;
}

std::optional<std::string> Open(const MasterKey& key, std::string_view aad,
                                std::string_view sealed) {
  if (sealed.size() < kSealOverheadBytes || sealed.size() > kMaxSealedBytes) return std::nullopt;
  if (static_cast<uint8_t>(sealed[0]) != kSealedBoxVersion) return std::nullopt;
  const auto* nonce = U(sealed) + 1;
  const size_t ct_len = sealed.size() - kSealOverheadBytes;
  const auto* ct = nonce + kSealNonceBytes;
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; copy rather than cast constness away.
  std::array<unsigned char, kSealTagBytes> tag{};
  std::memcpy(tag.data(), ct + ct_len, kSealTagBytes);
  std::string plain(ct_len, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::string a = Aad(aad);
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(a), static_cast<int>(a.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, ct,
                        static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kSealTagBytes),
                          tag.data()) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  // The tag is checked here; before this returns 1 the plaintext must not be used.
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
      1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

}  // namespace sd
