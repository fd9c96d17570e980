#include "adapters/net/tls_engine.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <utility>

namespace sd::net {

namespace {

bool IsIpAddress(const std::string& name) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

bool WantsMore(int ssl_error) {
  return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

}  // namespace

NetResult<std::unique_ptr<TlsEngine>> TlsEngine::Create(std::shared_ptr<const TlsContext> context,
                                                        const std::string& server_name) {
  if (!context) return NetError{"no TLS context"};
  ERR_clear_error();
  SSL* ssl = SSL_new(context->native());
  if (ssl == nullptr) return NetError{"SSL_new failed: " + TakeOpenSslErrors()};
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    SSL_free(ssl);
    return NetError{"BIO_new failed: " + TakeOpenSslErrors()};
  }
  // An empty memory BIO must read as "retry later", never as end of stream: more ciphertext
  // simply has not arrived yet.
  BIO_set_mem_eof_return(in, -1);
  BIO_set_mem_eof_return(out, -1);
  SSL_set_bio(ssl, in, out);  // ssl owns both BIOs from here on
  std::unique_ptr<TlsEngine> engine(new TlsEngine(std::move(context), ssl, in, out));

  if (engine->context_->role() == TlsRole::kServer) {
    SSL_set_accept_state(ssl);
    return engine;
  }
  SSL_set_connect_state(ssl);
  const bool ip = IsIpAddress(server_name);
  if (engine->context_->verify_hostname()) {
    if (server_name.empty()) {
      return NetError{"a TLS client needs the server name to verify (or the insecure option)"};
    }
    int ok;
    if (ip) {
      // X509_check_host does not match addresses: an IP literal is checked against IP SANs.
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str());
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(ssl, server_name.c_str());
    }
    if (ok != 1) {
      return NetError{"cannot use server name '" + server_name + "': " + TakeOpenSslErrors()};
    }
  }
  // SNI carries host names only (RFC 6066 section 3 forbids literal addresses).
  if (!server_name.empty() && !ip && SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1) {
    return NetError{"cannot set SNI '" + server_name + "': " + TakeOpenSslErrors()};
  }
  engine->Advance();  // produces the ClientHello
  if (engine->failed()) return NetError{engine->error()};
  return engine;
}

TlsEngine::TlsEngine(std::shared_ptr<const TlsContext> context, SSL* ssl, BIO* network_in,
                     BIO* network_out)
    : context_(std::move(context)), ssl_(ssl), network_in_(network_in), network_out_(network_out) {}

TlsEngine::~TlsEngine() { SSL_free(ssl_); }

bool TlsEngine::OnCiphertext(std::string_view bytes) {
  if (state_ == State::kFailed) return false;
  if (state_ == State::kClosed || bytes.empty()) return true;
  while (!bytes.empty()) {
    const int chunk = static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX));
    const int n = BIO_write(network_in_, bytes.data(), chunk);
    if (n <= 0) {
      Fail("cannot buffer received bytes", SSL_ERROR_SSL);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  Advance();
  return state_ != State::kFailed;
}

void TlsEngine::Advance() {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  // SSL_get_error() looks at this thread's error queue: it must hold only our errors.
  ERR_clear_error();
  if (state_ == State::kHandshaking) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int e = SSL_get_error(ssl_, r);
      if (!WantsMore(e)) Fail("TLS handshake failed", e);
      return;
    }
    state_ = State::kEstablished;
  }
  for (;;) {
    // TLS records are at most 16 KiB of plaintext: one record per iteration.
    char buf[16 * 1024];
    size_t n = 0;
    const int r = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (r == 1) {
      plaintext_in_.append(buf, n);
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (WantsMore(e)) break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      plaintext_out_.clear();
      state_ = State::kClosed;
      return;
    }
    Fail("TLS read failed", e);
    return;
  }
  FlushWrites();
}

bool TlsEngine::FlushWrites() {
  while (!plaintext_out_.empty()) {
    ERR_clear_error();
    size_t n = 0;
    const int r = SSL_write_ex(ssl_, plaintext_out_.data(), plaintext_out_.size(), &n);
    if (r == 1) {
      plaintext_out_.erase(0, n);
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    // Retried from the next Advance() with the same leading bytes (the buffer may have moved
    // and grown; the context sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER for that).
    if (WantsMore(e)) return true;
    Fail("TLS write failed", e);
    return false;
  }
  return true;
}

bool TlsEngine::WritePlaintext(std::string_view bytes) {
  if (state_ == State::kFailed || state_ == State::kClosed) return false;
  plaintext_out_.append(bytes);
  if (state_ == State::kHandshaking) return true;  // sent once the handshake completes
  return FlushWrites();
}

void TlsEngine::Shutdown() {
  if (state_ == State::kFailed) return;
  plaintext_out_.clear();
  // Before the handshake finished there is no session to close: dropping the socket is all.
  if (SSL_is_init_finished(ssl_) && (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) == 0) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // writes close_notify into network_out_; we do not wait for theirs
    ERR_clear_error();
  }
  state_ = State::kClosed;
}

std::string TlsEngine::TakePlaintext() { return std::exchange(plaintext_in_, std::string()); }

bool TlsEngine::HasCiphertext() const { return BIO_ctrl_pending(network_out_) > 0; }

std::string TlsEngine::TakeCiphertext() {
  const size_t pending = BIO_ctrl_pending(network_out_);
  std::string out(pending, '\0');
  size_t got = 0;
  if (pending > 0 && BIO_read_ex(network_out_, out.data(), pending, &got) != 1) got = 0;
  out.resize(got);
  return out;
}

std::string TlsEngine::peer_cert_sha256() const {
  if (state_ != State::kEstablished) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string TlsEngine::protocol() const {
  if (state_ != State::kEstablished && state_ != State::kClosed) return {};
  return SSL_get_version(ssl_);
}

void TlsEngine::Fail(const std::string& what, int ssl_error) {
  state_ = State::kFailed;
  plaintext_out_.clear();
  verify_result_ = SSL_get_verify_result(ssl_);
  std::string detail = what;
  if (verify_result_ != X509_V_OK) {
    detail += ": certificate verification failed: ";
    detail += X509_verify_cert_error_string(verify_result_);
  }
  const std::string ssl = TakeOpenSslErrors();
  if (!ssl.empty()) {
    detail += " (" + ssl + ")";
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    detail += " (unexpected end of stream)";
  } else {
    detail += " (SSL_get_error " + std::to_string(ssl_error) + ")";
  }
  error_ = std::move(detail);
}

}  // namespace sd::net
