#pragma once
// An OpenSSL 3 SSL_CTX built once at start-up from configuration, shared by every
// connection of one carrier (client role) or one listener (server role). Every file is read
// and checked here, so a bad path, an unreadable key or a key that does not belong to its
// certificate stops the daemon at start-up with the file's name, not at the first connect.
#include <openssl/types.h>

#include <memory>
#include <string>

#include "adapters/net/net_result.h"

namespace sd::net {

enum class TlsRole { kClient, kServer };

// The lowest protocol version a context accepts. Below TLS 1.2 is not offered at all.
enum class TlsMinVersion { kTls12, kTls13 };

struct TlsConfig {
  TlsRole role = TlsRole::kClient;
  TlsMinVersion min_version = TlsMinVersion::kTls12;

  // Trust anchors for verifying the peer: a PEM bundle and/or a directory prepared with
  // `openssl rehash`. A client must have at least one of these or use_system_trust_store; a
  // server needs one when require_client_cert is set.
  std::string ca_file;
  std::string ca_dir;
  bool use_system_trust_store = false;  // the distribution's CA bundle (public CAs)

  // Our own certificate chain (PEM, leaf first) and its private key (PEM, unencrypted: the
  // daemon runs unattended and never prompts). Required for a server; for a client they are
  // optional and, when set, are presented for mutual TLS.
  std::string cert_file;
  std::string key_file;

  // Server only: the handshake fails unless the client presents a certificate that chains to
  // ca_file / ca_dir.
  bool require_client_cert = false;
  // Server only: ask for a client certificate that chains to ca_file / ca_dir, but complete the
  // handshake without one; the application decides (the API binds keys to certificates). A
  // certificate that does not verify still fails the handshake.
  bool request_client_cert = false;

  // Client only. The peer's certificate is always verified against the trust anchors; in
  // addition its name (DNS SAN, or IP SAN for an address) must match the server name of the
  // connection. Setting this skips only the name match, which lets any certificate from the
  // same CA impersonate the carrier: for lab setups with a private CA, never for production.
  bool insecure_skip_hostname_verification = false;
};

class TlsContext {
 public:
  // Builds the context, reading and checking every file named in `config`.
  static NetResult<std::shared_ptr<const TlsContext>> Create(const TlsConfig& config);

  // Takes ownership of an SSL_CTX built elsewhere, for peers no TlsConfig can describe (a
  // test's deliberately outdated TLS 1.1 server). Production code uses Create().
  static std::shared_ptr<const TlsContext> Adopt(SSL_CTX* ctx, TlsRole role, bool verify_hostname);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  TlsRole role() const { return role_; }
  // Client: whether connections check the peer's name (false only with the insecure option).
  bool verify_hostname() const { return verify_hostname_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsRole role, bool verify_hostname)
      : ctx_(ctx), role_(role), verify_hostname_(verify_hostname) {}

  SSL_CTX* ctx_;  // owned; holds the only copy of the private key we ever load
  TlsRole role_;
  bool verify_hostname_;
};

// Drains OpenSSL's thread-local error queue into one line ("" when it is empty), so that
// errors never leak into an unrelated later call's report.
std::string TakeOpenSslErrors();

}  // namespace sd::net
