// smsdispatch keygen: a new signing key as a [[key]] entry of a key file (or on stdout).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "adapters/crypto/random.h"
#include "core/hex.h"
#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/lib/key_file.h"

namespace sd::cli {
namespace {

constexpr const char* kSynopsis =
    "usage: smsdispatch keygen --id KEY_ID [--out FILE]\n"
    "Generates a 256-bit signing secret and writes it as a [[key]] entry.\n";

// 32 bytes = 256 bits, the strength of HMAC-SHA256.
constexpr size_t kSecretBytes = 32;

// Stricter than the key file accepts: the id is written into TOML between quotes, and a
// plain id is easy to type into a producer's configuration.
bool PlainKeyId(const std::string& id) {
  if (id.empty() || id.size() > kMaxKeyIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int Fail(const std::string& message) {
  fprintf(stderr, "smsdispatch keygen: %s\n", message.c_str());
  return kExitFailure;
}

}  // namespace

int RunKeygen(int argc, char** argv) {
  Args args(kSynopsis,
            {{"id", "KEY_ID", "key id, e.g. acme-otp.v1 (1-64 of A-Z a-z 0-9 . _ : -)"},
             {"out", "FILE",
              "append to this key file, creating it with mode 0600; refuses a file that group "
              "or others can access, or one that already has KEY_ID. Without --out the entry "
              "is printed on stdout."}});
  if (!args.Parse(argc, argv, 2)) {
    fprintf(stderr, "smsdispatch keygen: %s\n%s", args.error().c_str(), args.Help().c_str());
    return kExitUsage;
  }
  if (args.Has("help")) {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  const std::string id = args.Get("id");
  if (!PlainKeyId(id)) {
    fprintf(stderr, "smsdispatch keygen: --id must be 1-64 of A-Z a-z 0-9 . _ : -\n%s",
            args.Help().c_str());
    return kExitUsage;
  }
  const std::string entry =
      "[[key]]\nid = \"" + id + "\"\nsecret = \"" + HexEncode(RandomBytes(kSecretBytes)) + "\"\n";
  if (!args.Has("out")) {
    fputs(entry.c_str(), stdout);
    return kExitOk;
  }
  const std::string path = args.Get("out");
  // Created 0600 from the start, so the secret is never readable by others, not even briefly.
  // O_NOFOLLOW: a planted symlink must not redirect the secret elsewhere.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot open " + path + ": " + strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Fail(path + " is not a regular file; refusing");
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return Fail(path + " is accessible by group or others; refusing to add a secret to it");
  }
  if (st.st_size > 0) {
    // Appending to a file the daemon cannot load, or adding an id twice, would only move the
    // error to the daemon's next start or reload.
    auto existing = LoadKeyFile(path);
    if (auto* err = std::get_if<ConfigError>(&existing)) {
      close(fd);
      return Fail(err->ToString() + "; refusing to append to it");
    }
    if (std::get<std::shared_ptr<const KeyRing>>(existing)->Find(id) != nullptr) {
      close(fd);
      return Fail("key '" + id + "' is already in " + path + "; refusing (rotate with a new id)");
    }
  }
  const std::string text = (st.st_size > 0 ? "\n" : "") + entry;
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = strerror(errno);
      close(fd);
      return Fail("cannot write " + path + ": " + why);
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  const std::string why = synced ? "" : strerror(errno);
  if (close(fd) != 0 || !synced) return Fail("cannot write " + path + ": " + why);
  printf("key %s written to %s\n", id.c_str(), path.c_str());
  return kExitOk;
}

}  // namespace sd::cli
