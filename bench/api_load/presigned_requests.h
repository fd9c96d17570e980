#pragma once
// Pre-signed requests for wrk (bench/api_load/presigned.lua): the same HMAC-signed
// POST /v1/messages that api-load sends live, written out ahead of the run so the load
// generator on the API's side costs what wrk costs on Kannel's (it replays a prepared URL).
// The daemon still verifies every signature, timestamp and replay record; the signing is the
// producers' work, done on their hosts in production.
#include <string>

namespace sd::bench {

struct PresignOptions {
  std::string prefix;         // files <prefix>-1.bin ... <prefix>-<threads>.bin
  int threads = 2;            // one file per wrk thread: a signature must never be sent twice
  int requests = 400'000;     // in all, dealt round robin over the files
  int numbers = 100'000'000;  // distinct destinations cycled through (1: one number)
  std::string host;           // the Host header, host:port
  std::string kid;
  std::string secret;  // raw bytes
};

// Writes the files: each request's bytes followed by one NUL (requests never contain one).
// False with `error` set when a file cannot be written.
bool WritePresignedRequests(const PresignOptions& o, std::string* error);

}  // namespace sd::bench
