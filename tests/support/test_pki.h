#pragma once
// Certificates made at test time with the OpenSSL C API (nothing committed, no CLI): a CA,
// server and client certificates it signs, a second unrelated CA with a server certificate,
// and an expired server certificate. Keys are P-256; files go into a private TempDir.
#include <string>

#include "tests/support/temp_dir.h"

namespace sd::testing {

struct TestCertFiles {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key, mode 0600
};

class TestPki {
 public:
  TestPki();  // generates everything; aborts the test binary if OpenSSL fails

  const std::string& ca() const { return ca_; }              // trust anchor for the below
  const TestCertFiles& server() const { return server_; }    // SAN localhost, 127.0.0.1, ::1
  const TestCertFiles& client() const { return client_; }    // clientAuth, CN esme-client
  const TestCertFiles& expired() const { return expired_; }  // like server(), expired 1 h ago
  const std::string& other_ca() const { return other_ca_; }
  const TestCertFiles& other_server() const { return other_server_; }  // signed by other_ca
  std::string File(const std::string& name) const { return dir_.File(name); }

 private:
  TempDir dir_{"sd-tls"};
  std::string ca_;
  std::string other_ca_;
  TestCertFiles server_, client_, expired_, other_server_;
};

}  // namespace sd::testing
