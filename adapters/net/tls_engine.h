#pragma once
// One TLS session as a socket-free state machine (STYLE habit 5): ciphertext from the
// network goes in with OnCiphertext(), plaintext for the application comes out with
// TakePlaintext(); plaintext to send goes in with WritePlaintext() and ciphertext for the
// network comes out with TakeCiphertext(). OpenSSL talks to two memory BIOs, never to a
// socket, so two engines can be wired back to back in a unit test.
//
// Contract, as cases:
// - Until the handshake completes, WritePlaintext() buffers; the bytes are encrypted and
//   appear in TakeCiphertext() right after the handshake, in order.
// - Any failure (bad certificate, wrong name, protocol version, garbage from the peer) is
//   terminal: state() becomes kFailed, error() says why (for certificate problems it carries
//   X509_verify_cert_error_string), and every later call is a no-op. TakeCiphertext() may
//   still hold an alert for the peer: send it before closing the socket.
// - A close_notify from the peer sets peer_closed(); Shutdown() queues our close_notify.
#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/net/net_result.h"
#include "adapters/net/tls_context.h"

namespace sd::net {

class TlsEngine {
 public:
  enum class State {
    kHandshaking,  // hello messages in flight
    kEstablished,  // application data flows both ways
    kClosed,       // Shutdown() was called, or the peer sent close_notify
    kFailed,       // terminal error, see error()
  };

  // `server_name` (client role): the name the peer's certificate must carry (a DNS name, or an
  // IPv4/IPv6 address matched against IP SANs), also sent as SNI when it is a DNS name.
  // Required for a client unless the context skips host name verification. Ignored for a
  // server. A client starts the handshake here: TakeCiphertext() holds the ClientHello.
  static NetResult<std::unique_ptr<TlsEngine>> Create(std::shared_ptr<const TlsContext> context,
                                                      const std::string& server_name);
  ~TlsEngine();
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Feeds bytes received from the peer, in any split. Returns false once the engine failed.
  [[nodiscard]] bool OnCiphertext(std::string_view bytes);
  // Queues application bytes. Returns false (bytes dropped) when failed or closed.
  [[nodiscard]] bool WritePlaintext(std::string_view bytes);
  // Queues close_notify (once). Buffered plaintext not yet encrypted is discarded.
  void Shutdown();

  // Decrypted application bytes received so far; empties the buffer.
  std::string TakePlaintext();
  bool HasPlaintext() const { return !plaintext_in_.empty(); }
  // Bytes to send to the peer; empties the buffer.
  std::string TakeCiphertext();
  bool HasCiphertext() const;

  State state() const { return state_; }
  bool established() const { return state_ == State::kEstablished; }
  bool failed() const { return state_ == State::kFailed; }
  bool peer_closed() const { return peer_closed_; }
  const std::string& error() const { return error_; }
  // X509_V_OK (0) unless the peer's certificate failed verification; then the X509_V_ERR_*.
  long verify_result() const { return verify_result_; }
  // Plaintext accepted by WritePlaintext() and not yet encrypted (waiting for the handshake).
  size_t pending_plaintext() const { return plaintext_out_.size(); }
  // Negotiated protocol ("TLSv1.3"), empty before the handshake completes.
  std::string protocol() const;
  // SHA-256 over the DER of the peer's (verified) certificate, lower-case hex; empty when the
  // peer presented none or the handshake has not completed.
  std::string peer_cert_sha256() const;

 private:
  TlsEngine(std::shared_ptr<const TlsContext> context, SSL* ssl, BIO* network_in, BIO* network_out);
  void Advance();      // moves the handshake, reads and writes as far as they go
  bool FlushWrites();  // encrypts plaintext_out_; false on failure
  void Fail(const std::string& what, int ssl_error);

  std::shared_ptr<const TlsContext> context_;  // keeps the SSL_CTX alive as long as ssl_
  SSL* ssl_;
  BIO* network_in_;   // ciphertext from the peer, read by OpenSSL (owned by ssl_)
  BIO* network_out_;  // ciphertext written by OpenSSL, drained by TakeCiphertext()
  State state_ = State::kHandshaking;
  bool peer_closed_ = false;
  std::string plaintext_in_;   // decrypted, not yet taken by the application
  std::string plaintext_out_;  // written before the handshake completed (or a retry)
  std::string error_;
  long verify_result_ = 0;
};

}  // namespace sd::net
