#pragma once
// provider_server.py as a child process for the HTTP tests: started on a free port (over TLS
// with the given certificate, or plain), its request log read back as JSON.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {

struct ProviderServerOptions {
  std::string cert;  // PEM; empty = plain HTTP
  std::string key;
  std::string client_ca;  // require client certificates signed by it
  std::vector<std::string> extra_args;  // e.g. --webhook-secret S --webhook-ca CA
};

class ProviderServer {
 public:
  explicit ProviderServer(ProviderServerOptions options = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", SD_PROVIDER_SERVER, "--port-file",
                                  dir_.File("port"), "--log", dir_.File("requests.jsonl")};
    if (!options.cert.empty()) {
      argv.insert(argv.end(), {"--cert", options.cert, "--key", options.key});
    }
    if (!options.client_ca.empty()) argv.insert(argv.end(), {"--client-ca", options.client_ca});
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    started_ = process_.Start({argv, dir_.File("server.log"), {}, {}});
    for (int i = 0; started_ && i < 500 && port_ == 0; ++i) {
      const std::string p = ReadTextFile(dir_.File("port"));
      if (!p.empty()) port_ = std::stoi(p);
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  bool ok() const { return started_ && port_ > 0; }
  int port() const { return port_; }
  std::string Log() const { return ReadTextFile(dir_.File("server.log")); }
  // "https://localhost:<port>/path" (or http://127.0.0.1 when plain).
  std::string Url(const std::string& path, bool tls = true) const {
    return (tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }
  // Every request the server has recorded so far, in arrival order (and, with
  // --webhook-secret, the receipts it posted: entries with a "webhook" field).
  std::vector<nlohmann::json> Requests() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(ReadTextFile(dir_.File("requests.jsonl")));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }

 private:
  TempDir dir_{"sd-provider"};
  Subprocess process_;
  bool started_ = false;
  int port_ = 0;
};

}  // namespace sd::testing
