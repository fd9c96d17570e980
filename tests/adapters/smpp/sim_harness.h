#pragma once
// The real smsc-sim binary in a scratch directory on port 0, and a blocking-socket ESME that
// speaks to it through the codec: shared by the simulator's tests (sd_pdu_tests and
// sd_smpp_tests). Header-only so each test binary compiles it with its own SD_SMSC_SIM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/smpp/pdu.h"

namespace sd::smpp::sim_harness {

#ifdef SD_SMSC_SIM
inline constexpr const char* kSimBinary = SD_SMSC_SIM;
#else
inline constexpr const char* kSimBinary = nullptr;
#endif

// Deadlines only bound a broken run; no assertion depends on how long anything takes.
inline constexpr auto kDeadline = std::chrono::seconds(20);

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline bool WaitUntil(const std::function<bool()>& cond) {
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, not synchronising
  }
  return cond();
}

// Runs `argv` with stdout and stderr to `log`; returns the exit status, or -1.
inline int RunToExit(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

// One smsc-sim process on an ephemeral loopback port, in its own scratch directory.
class Simulator {
 public:
  explicit Simulator(std::vector<std::string> extra = {}) {
    char tmpl[] = "/tmp/sd-pdu-sim-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::vector<std::string> argv{kSimBinary,
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  "0",
                                  "--port-file",
                                  dir_ + "/port",
                                  "--stats-file",
                                  Stats(),
                                  "--system-id",
                                  "sim",
                                  "--password",
                                  "simpw",
                                  "--receipt-delay-ms",
                                  "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = dir_ + "/sim.log";
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (WaitUntil([&] { return !ReadFile(dir_ + "/port").empty() || Exited(); }) && !Exited()) {
      port_ = std::stoi(ReadFile(dir_ + "/port"));
    }
  }
  ~Simulator() {
    if (pid_ > 0 && !Exited()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string Log() const { return ReadFile(dir_ + "/sim.log"); }
  std::string Stats() const { return dir_ + "/stats.json"; }

  // A fresh snapshot of the counters: drop the file, ask for it (SIGUSR1), wait for it.
  std::map<std::string, long long> Counters() {
    unlink(Stats().c_str());
    kill(pid_, SIGUSR1);
    WaitUntil([&] { return access(Stats().c_str(), R_OK) == 0; });
    return ParseCounters(ReadFile(Stats()));
  }

  static std::map<std::string, long long> ParseCounters(const std::string& json) {
    std::map<std::string, long long> m;
    static const std::regex kField("\"([a-z_]+)\":(-?[0-9]+)");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), kField);
         it != std::sregex_iterator(); ++it) {
      m[(*it)[1]] = std::stoll((*it)[2]);
    }
    return m;
  }

  // SIGTERM and wait; returns the exit status, or -1 if it did not exit normally.
  int Terminate() {
    kill(pid_, SIGTERM);
    if (!WaitUntil([&] { return Exited(); })) return -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

 private:
  bool Exited() {
    if (exited_) return true;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return exited_;
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int status_ = 0;
  bool exited_ = false;
};

// An ESME on a blocking socket, speaking through the codec.
class Esme {
 public:
  explicit Esme(int port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{static_cast<time_t>(kDeadline.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Esme() { close(fd_); }
  bool connected() const { return connected_; }

  bool SendRaw(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool Send(const Pdu& p) {
    const auto bytes = Encode(p);
    return bytes && SendRaw(*bytes);
  }

  // The next whole PDU, or nullopt on EOF, error, timeout or undecodable bytes.
  std::optional<Pdu> Read() {
    while (true) {
      const DecodeResult r = Decode(in_);
      if (r.status == DecodeStatus::kOk) {
        in_.erase(0, r.consumed);
        return r.pdu;
      }
      if (r.status != DecodeStatus::kNeedMore) return std::nullopt;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      in_.append(buf, static_cast<size_t>(n));
    }
  }

  // True when the peer closed the connection with nothing further to read.
  bool AtEof() {
    if (!in_.empty()) return false;
    char c;
    return recv(fd_, &c, 1, 0) == 0;
  }

  uint32_t NextSeq() { return next_seq_++; }

  Pdu Bind(CommandId id, const std::string& system_id, const std::string& password) {
    Pdu p = MakeHeaderOnly(id, NextSeq());
    p.bind.emplace();
    p.bind->system_id = system_id;
    p.bind->password = password;
    p.bind->system_type = "test";
    return p;
  }

  // Binds and returns the response's command_status (or 0xFFFFFFFF when none came).
  uint32_t BindAs(CommandId id, const std::string& system_id, const std::string& password) {
    if (!Send(Bind(id, system_id, password))) return 0xFFFFFFFF;
    const auto resp = Read();
    if (!resp || resp->header.command_id != (static_cast<uint32_t>(id) | 0x80000000u)) {
      return 0xFFFFFFFF;
    }
    return resp->header.command_status;
  }

  // Sends enquire_link and waits for its response: everything sent before has been handled.
  bool Sync() {
    const uint32_t seq = NextSeq();
    if (!Send(MakeHeaderOnly(CommandId::kEnquireLink, seq))) return false;
    const auto r = Read();
    return r && r->command() == CommandId::kEnquireLinkResp && r->header.sequence_number == seq;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
  uint32_t next_seq_ = 1;
};

inline Pdu Submit(uint32_t seq, const std::string& dest, const std::string& text, uint8_t reg = 1) {
  Pdu p = MakeHeaderOnly(CommandId::kSubmitSm, seq);
  ShortMessage& m = p.sm.emplace();
  m.source_addr_ton = 5;
  m.source_addr = "ACME";
  m.dest_addr_ton = 1;
  m.dest_addr_npi = 1;
  m.destination_addr = dest;
  m.registered_delivery = reg;
  m.short_message = text;
  return p;
}

inline Pdu DeliverSmResp(uint32_t seq) {
  Pdu p = MakeHeaderOnly(CommandId::kDeliverSmResp, seq);
  p.submit_resp.emplace();
  return p;
}

inline std::string TlvValue(const ShortMessage& sm, uint16_t t) {
  const sd::smpp::Tlv* v = sm.FindTlv(t);
  return v == nullptr ? "<absent>" : v->value;
}

}  // namespace sd::smpp::sim_harness
