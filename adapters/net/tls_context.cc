#include "adapters/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace sd::net {

std::string TakeOpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

namespace {

// Frees the SSL_CTX on every early return of Create().
struct CtxGuard {
  SSL_CTX* ctx;
  ~CtxGuard() { SSL_CTX_free(ctx); }
  SSL_CTX* release() { return std::exchange(ctx, nullptr); }
};

NetError Fail(const std::string& what) {
  std::string detail = what;
  const std::string ssl = TakeOpenSslErrors();
  if (!ssl.empty()) detail += ": " + ssl;
  return NetError{std::move(detail)};
}

// A missing or unreadable file gets errno's words rather than OpenSSL's less direct
// "system library" chain; the caller still reports OpenSSL's view if the file exists.
bool CheckPath(const std::string& what, const std::string& path, bool want_dir,
               std::string* error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    *error = "cannot read " + what + " " + path + ": " + std::strerror(errno);
    return false;
  }
  if (want_dir != S_ISDIR(st.st_mode)) {
    *error = what + " " + path + (want_dir ? " is not a directory" : " is a directory");
    return false;
  }
  return true;
}

// OpenSSL's default for an encrypted key is to prompt on the terminal, which would hang an
// unattended daemon: refuse instead, so loading fails with a clear error.
int NoPassphrase(char*, int, int, void*) { return 0; }

// Trust anchors: a CA file, a CA directory, the system store. Sets *have_trust.
std::optional<NetError> LoadTrust(SSL_CTX* ctx, const TlsConfig& config, bool* have_trust) {
  std::string error;
  if (!config.ca_file.empty()) {
    if (!CheckPath("CA file", config.ca_file, false, &error)) return NetError{error};
    if (SSL_CTX_load_verify_file(ctx, config.ca_file.c_str()) != 1) {
      return Fail("cannot load CA file " + config.ca_file);
    }
    *have_trust = true;
  }
  if (!config.ca_dir.empty()) {
    if (!CheckPath("CA directory", config.ca_dir, true, &error)) return NetError{error};
    if (SSL_CTX_load_verify_dir(ctx, config.ca_dir.c_str()) != 1) {
      return Fail("cannot use CA directory " + config.ca_dir);
    }
    *have_trust = true;
  }
  if (config.use_system_trust_store) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return Fail("cannot load the system trust store");
    }
    *have_trust = true;
  }

  return std::nullopt;
}

// Our certificate chain and key: required for a server, mutual TLS for a client.
std::optional<NetError> LoadIdentity(SSL_CTX* ctx, const TlsConfig& config, bool client) {
  std::string error;
  const bool have_cert = !config.cert_file.empty();
  const bool have_key = !config.key_file.empty();
  if (have_cert != have_key) {
    return NetError{have_cert ? "certificate " + config.cert_file + " has no key_file"
                              : "key " + config.key_file + " has no cert_file"};
  }
  if (!client && !have_cert) return NetError{"a TLS server needs cert_file and key_file"};
  if (have_cert) {
    if (!CheckPath("certificate", config.cert_file, false, &error)) return NetError{error};
    if (!CheckPath("private key", config.key_file, false, &error)) return NetError{error};
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
      return Fail("cannot load certificate " + config.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      // Loading the key already compares it with the certificate: name that case plainly.
      const unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                             ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
        return Fail("private key " + config.key_file + " does not match certificate " +
                    config.cert_file);
      }
      return Fail("cannot load private key " + config.key_file + " (PEM, unencrypted expected)");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return Fail("private key " + config.key_file + " does not match certificate " +
                  config.cert_file);
    }
  }

  return std::nullopt;
}

// Whom we verify: a client always verifies the server; a server asks for client
// certificates only when told to.
std::optional<NetError> SetVerification(SSL_CTX* ctx, const TlsConfig& config, bool client,
                                        bool have_trust) {
  if (client) {
    if (config.require_client_cert || config.request_client_cert) {
      return NetError{"require_client_cert and request_client_cert are server options"};
    }
    // No option turns peer verification off: without trust anchors a client cannot tell
    // the carrier from anyone else on the path.
    if (!have_trust) {
      return NetError{"a TLS client needs ca_file, ca_dir or use_system_trust_store"};
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    if (config.insecure_skip_hostname_verification) {
      return NetError{"insecure_skip_hostname_verification is a client option"};
    }
    if (config.require_client_cert || config.request_client_cert) {
      if (!have_trust) {
        return NetError{std::string(config.require_client_cert ? "require_client_cert"
                                                                : "request_client_cert") +
                        " needs ca_file or ca_dir"};
      }
      SSL_CTX_set_verify(ctx,
                         SSL_VERIFY_PEER | (config.require_client_cert
                                                ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                : 0),
                         nullptr);
      if (!config.ca_file.empty()) {
        // Tells clients which CAs we accept, so one with several certificates picks right.
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_file.c_str());
        if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
      }
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
  }
  return std::nullopt;
}

}  // namespace

NetResult<std::shared_ptr<const TlsContext>> TlsContext::Create(const TlsConfig& config) {
  ERR_clear_error();
  const bool client = config.role == TlsRole::kClient;
  CtxGuard g{SSL_CTX_new(client ? TLS_client_method() : TLS_server_method())};
  if (g.ctx == nullptr) return Fail("SSL_CTX_new failed");
  SSL_CTX* ctx = g.ctx;

  const int min_version =
      config.min_version == TlsMinVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
    return Fail("cannot set the minimum TLS version");
  }
  // Renegotiation is never needed on our links and has a history of attacks; compression
  // is off by default in OpenSSL 3 but stated here because CRIME depends on it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // The engine retries a write from a buffer that may have moved (it appends to it).
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_default_passwd_cb(ctx, NoPassphrase);

  bool have_trust = false;
  if (auto e = LoadTrust(ctx, config, &have_trust)) return *e;
  if (auto e = LoadIdentity(ctx, config, client)) return *e;
  if (auto e = SetVerification(ctx, config, client, have_trust)) return *e;
  ERR_clear_error();
  return std::shared_ptr<const TlsContext>(new TlsContext(
      g.release(), config.role, client && !config.insecure_skip_hostname_verification));
}

std::shared_ptr<const TlsContext> TlsContext::Adopt(SSL_CTX* ctx, TlsRole role,
                                                    bool verify_hostname) {
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx, role, verify_hostname));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace sd::net
