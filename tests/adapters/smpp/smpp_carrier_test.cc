// SmppCarrier on a real libuv loop against the real smsc-sim binary (STYLE habit 10):
// binding, the window, 200 submits and their receipts, acks only when asked, the simulator
// killed and restarted under a running carrier, refused credentials with capped backoff, and
// a Close() that leaves nothing open. Deadlines only bound a broken run; no assertion depends
// on how long anything takes.
#include "adapters/smpp/smpp_carrier.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/smpp/validity_period.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

#ifdef SD_SMSC_SIM
constexpr const char* kSimBinary = SD_SMSC_SIM;
#else
constexpr const char* kSimBinary = nullptr;
#endif

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(30);

std::map<std::string, long long> ParseStats(const std::string& json) {
  std::map<std::string, long long> m;
  static const std::regex kField("\"([a-z_]+)\"\\s*:\\s*(-?[0-9]+)");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), kField);
       it != std::sregex_iterator(); ++it) {
    m[(*it)[1]] = std::stoll((*it)[2]);
  }
  return m;
}

// One smsc-sim process. Restartable on the port it had, as an SMSC coming back would be.
class Sim {
 public:
  explicit Sim(const testing::TempDir& dir) : dir_(dir) {}

  // Starts the simulator (on `port`, 0 = ephemeral) and waits for its port file.
  bool Start(int port, std::vector<std::string> extra = {}) {
    const std::string port_file = dir_.File("port");
    unlink(port_file.c_str());
    std::vector<std::string> argv{
        kSimBinary,    "--host",       "127.0.0.1",   "--port", std::to_string(port),
        "--port-file", port_file,      "--system-id", "test",   "--password",
        "secret",      "--stats-file", StatsPath()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    testing::SubprocessOptions o;
    o.argv = std::move(argv);
    o.log_path = dir_.File("sim.log");
    if (!proc_.Start(std::move(o))) {
      ADD_FAILURE() << "smsc-sim: " << proc_.error();
      return false;
    }
    const auto end = Clock::now() + kDeadline;
    while (Clock::now() < end && proc_.Running()) {
      const std::string p = testing::ReadTextFile(port_file);
      if (!p.empty()) {
        port_ = std::stoi(p);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling with a deadline
    }
    ADD_FAILURE() << "smsc-sim did not come up: " << testing::ReadTextFile(dir_.File("sim.log"));
    return false;
  }
  void Kill() { proc_.Kill(); }
  int port() const { return port_; }
  std::string StatsPath() const { return dir_.File("stats.json"); }
  // The last counters the simulator wrote (at most ~200 ms old): for polling.
  long long Stat(const std::string& name) const {
    auto m = ParseStats(testing::ReadTextFile(StatsPath()));
    auto it = m.find(name);
    return it == m.end() ? -1 : it->second;
  }
  // A snapshot taken now: drop the file, ask for it with SIGUSR1, wait for it.
  std::map<std::string, long long> FreshStats() {
    unlink(StatsPath().c_str());
    proc_.Signal(SIGUSR1);
    const auto end = Clock::now() + kDeadline;
    while (Clock::now() < end && access(StatsPath().c_str(), R_OK) != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return ParseStats(testing::ReadTextFile(StatsPath()));
  }

 private:
  const testing::TempDir& dir_;
  testing::Subprocess proc_;
  int port_ = 0;
};

// Submits `total` messages, only while the carrier says Ready(), and records every
// completion: how often each was called and whether any ran inside Submit().
class Producer {
 public:
  Producer(SmppCarrier& carrier, int total)
      : carrier_(carrier), calls_(total, 0), results_(total) {}

  std::function<SubmitRequest(int)> make = [](int i) {
    SubmitRequest r;
    r.destination = "+4915100" + std::to_string(100000 + i);
    r.sender = "ACME";
    r.text.coding = DataCoding::kGsm7;
    r.text.bytes = "code " + std::to_string(i);
    return r;
  };

  void Pump() {
    while (next_ < static_cast<int>(calls_.size()) && carrier_.Ready()) SubmitOne();
  }
  // Submits regardless of Ready() (for the not-ready path).
  void SubmitOne() {
    const int i = next_++;
    in_submit_ = true;
    carrier_.Submit(make(i), [this, i](SubmitResult r) {
      if (in_submit_) ++called_inside_submit_;
      ++calls_[i];
      results_[i] = std::move(r);
      ++completed_;
    });
    in_submit_ = false;
  }

  int submitted() const { return next_; }
  int completed() const { return completed_; }
  int called_inside_submit() const { return called_inside_submit_; }
  const std::vector<int>& calls() const { return calls_; }
  const std::vector<SubmitResult>& results() const { return results_; }
  int Count(SubmitResult::Kind kind) const {
    int n = 0;
    for (int i = 0; i < next_; ++i) n += calls_[i] > 0 && results_[i].kind == kind;
    return n;
  }

 private:
  SmppCarrier& carrier_;
  std::vector<int> calls_;
  std::vector<SubmitResult> results_;
  int next_ = 0;
  int completed_ = 0;
  bool in_submit_ = false;
  int called_inside_submit_ = 0;
};

class SmppCarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built";
  }

  static SmppCarrierOptions Options(int port, std::string password = "secret") {
    SmppCarrierOptions o;
    o.name = "sim";
    o.host = "127.0.0.1";
    o.port = port;
    o.session.system_id = "test";
    o.session.password = std::move(password);
    o.session.window = 16;
    o.session.response_timeout_ms = 60'000;  // a slow machine must not turn into timeouts
    o.session.enquire_link_interval_ms = 30'000;
    o.reconnect_initial_ms = 20;
    o.reconnect_max_ms = 200;
    o.tick_ms = 20;
    return o;
  }

  // Close(), then the loop must run dry and close with nothing open.
  void CloseAndCheck(SmppCarrier& carrier) {
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "a handle was left open";
    EXPECT_TRUE(closed);
  }

  bool Run(const std::function<bool()>& cond) { return loop_.RunUntil(cond, kDeadline); }

  testing::TempDir dir_{"sd-carrier"};
  testing::UvTestLoop loop_;
};

TEST_F(SmppCarrierTest, TwoHundredSubmitsAcceptedAndEveryReceiptAckedOnlyWhenAsked) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--submit-latency-ms", "0", "--receipt-delay-ms", "10"}));
  SmppCarrier carrier(loop_.get(), Options(sim.port()));
  constexpr int kTotal = 200;
  Producer producer(carrier, kTotal);
  std::vector<Receipt> receipts;
  std::vector<std::function<void()>> acks;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    acks.push_back(std::move(ack));  // not durable yet: hold the answer
  });
  carrier.Start();

  ASSERT_TRUE(Run([&] { return producer.completed() == kTotal && receipts.size() == kTotal; }))
      << "completed " << producer.completed() << " receipts " << receipts.size();
  EXPECT_EQ(producer.called_inside_submit(), 0);
  EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kTotal);
  std::set<std::string> ids;
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(producer.calls()[i], 1) << i;
    EXPECT_FALSE(producer.results()[i].message_id.empty()) << i;
    ids.insert(producer.results()[i].message_id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kTotal)) << "message ids are distinct";
  std::set<std::string> receipted;
  for (const Receipt& r : receipts) {
    EXPECT_EQ(r.carrier, "sim");
    EXPECT_EQ(r.state, ReceiptState::kDelivered);
    receipted.insert(r.message_id);
  }
  EXPECT_EQ(receipted, ids) << "one receipt per accepted message";

  const SmppCarrierCounters& c = carrier.counters();
  EXPECT_EQ(c.binds, 1u);
  EXPECT_EQ(c.submits, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(c.accepted, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(c.receipts, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(c.temporary_failures + c.permanent_failures, 0u);

  // Nothing was acknowledged: the session never wrote a deliver_sm_resp.
  EXPECT_EQ(sim.FreshStats()["receipts_acked"], 0);
  for (auto& ack : acks) ack();
  ASSERT_TRUE(Run([&] { return sim.Stat("receipts_acked") == kTotal; }))
      << "acked " << sim.Stat("receipts_acked");
  EXPECT_EQ(sim.FreshStats()["receipts_redelivered"], 0);

  CloseAndCheck(carrier);
  // Close() unbound politely: the simulator answered an unbind.
  const auto end = Clock::now() + kDeadline;
  while (Clock::now() < end && sim.Stat("unbinds") != 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sim.Stat("unbinds"), 1);
}

TEST_F(SmppCarrierTest, CarrierStatusesMapToAcceptedPermanentAndReceiptStates) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--reject-dest-prefix", "4900", "--fail-dest-prefix", "4917",
                            "--receipt-delay-ms", "0"}));
  SmppCarrier carrier(loop_.get(), Options(sim.port()));
  Producer producer(carrier, 3);
  const std::string dests[] = {"+4900111", "+4917222", "+4915333"};
  producer.make = [&](int i) {
    SubmitRequest r;
    r.destination = dests[i];
    r.sender = "+4930123456";
    r.text.coding = DataCoding::kUcs2;
    r.text.bytes = std::string("\0h\0i", 4);
    r.text.segments = 1;
    return r;
  };
  std::map<std::string, ReceiptState> states;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    states[r.message_id] = r.state;
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == 3 && states.size() == 2; }));
  const auto& res = producer.results();
  EXPECT_EQ(res[0].kind, SubmitResult::Kind::kPermanentFailure);
  EXPECT_EQ(res[0].carrier_status, status::kInvDstAdr);
  EXPECT_EQ(res[0].segments, 1);
  ASSERT_EQ(res[1].kind, SubmitResult::Kind::kAccepted);
  ASSERT_EQ(res[2].kind, SubmitResult::Kind::kAccepted);
  EXPECT_EQ(states[res[1].message_id], ReceiptState::kUndelivered);
  EXPECT_EQ(states[res[2].message_id], ReceiptState::kDelivered);
  EXPECT_EQ(carrier.counters().permanent_failures, 1u);
  EXPECT_EQ(carrier.counters().accepted, 2u);
  CloseAndCheck(carrier);
}

TEST_F(SmppCarrierTest, SimulatorKilledAndRestartedOutstandingFailOnceThenSubmitsWorkAgain) {
  Sim sim(dir_);
  // Submits are answered only after a minute: they are outstanding when the SMSC dies.
  ASSERT_TRUE(sim.Start(0, {"--submit-latency-ms", "60000", "--receipt-delay-ms", "-1"}));
  const int port = sim.port();
  SmppCarrier carrier(loop_.get(), Options(port));
  Producer before(carrier, 5);
  carrier.SetReadyHandler([&] { before.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return before.submitted() == 5 && sim.Stat("submits") == 5; }))
      << "simulator saw " << sim.Stat("submits");
  EXPECT_EQ(before.completed(), 0);

  sim.Kill();
  ASSERT_TRUE(Run([&] { return before.completed() == 5; }));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(before.calls()[i], 1) << i;
    EXPECT_EQ(before.results()[i].kind, SubmitResult::Kind::kTemporaryFailure) << i;
  }
  EXPECT_FALSE(carrier.Ready());
  // Nobody listens now: the carrier keeps trying (and failing) to connect.
  const uint64_t attempts = carrier.counters().connect_attempts;
  ASSERT_TRUE(Run([&] { return carrier.counters().connect_attempts >= attempts + 2; }));
  EXPECT_EQ(carrier.counters().binds, 1u);
  EXPECT_GT(carrier.backoff_ms(), 0);

  // The SMSC comes back on the same port, answering at once.
  ASSERT_TRUE(sim.Start(port, {"--submit-latency-ms", "0", "--receipt-delay-ms", "-1"}));
  ASSERT_EQ(sim.port(), port);
  Producer after(carrier, 10);
  carrier.SetReadyHandler([&] { after.Pump(); });
  ASSERT_TRUE(Run([&] { return after.completed() == 10; }));
  EXPECT_EQ(after.Count(SubmitResult::Kind::kAccepted), 10);
  EXPECT_EQ(after.called_inside_submit(), 0);
  const SmppCarrierCounters& c = carrier.counters();
  EXPECT_EQ(c.binds, 2u);
  EXPECT_EQ(c.disconnects, 1u);
  EXPECT_GE(c.reconnects, 3u);
  EXPECT_EQ(carrier.backoff_ms(), 0) << "a good bind resets the backoff";
  // Still exactly once each, after all that.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(before.calls()[i], 1) << i;
  EXPECT_EQ(c.temporary_failures, 5u);
  EXPECT_EQ(c.accepted, 10u);
  CloseAndCheck(carrier);
}

TEST_F(SmppCarrierTest, WrongPasswordNeverBindsAndBacksOffUpToTheCap) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0));
  SmppCarrierOptions o = Options(sim.port(), "wrong");
  o.reconnect_initial_ms = 10;
  o.reconnect_max_ms = 80;
  SmppCarrier carrier(loop_.get(), o);
  carrier.Start();
  // 10, 20, 40, 80, 80, ...: after five refusals the backoff sits at its cap.
  ASSERT_TRUE(Run([&] { return carrier.counters().bind_failures >= 6; }));
  const SmppCarrierCounters& c = carrier.counters();
  EXPECT_EQ(c.binds, 0u);
  EXPECT_GE(c.connects, 6u);
  EXPECT_GE(c.reconnects, 5u);
  EXPECT_EQ(carrier.backoff_ms(), 80);
  EXPECT_FALSE(carrier.Ready());

  // A submit while not ready fails temporarily, never from inside Submit().
  Producer producer(carrier, 1);
  producer.SubmitOne();
  EXPECT_EQ(producer.completed(), 0);
  ASSERT_TRUE(Run([&] { return producer.completed() == 1; }));
  EXPECT_EQ(producer.called_inside_submit(), 0);
  EXPECT_EQ(producer.results()[0].kind, SubmitResult::Kind::kTemporaryFailure);
  EXPECT_GE(sim.FreshStats()["bind_failures"], 6);
  CloseAndCheck(carrier);
}

TEST_F(SmppCarrierTest, CloseWithOutstandingSubmitsFailsEachOnceBeforeDone) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--submit-latency-ms", "60000", "--receipt-delay-ms", "-1"}));
  SmppCarrier carrier(loop_.get(), Options(sim.port()));
  Producer producer(carrier, 3);
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return sim.Stat("submits") == 3; }));
  int completed_at_close = -1;
  bool closed = false;
  carrier.Close([&] {
    completed_at_close = producer.completed();
    closed = true;
  });
  EXPECT_FALSE(carrier.Ready());
  EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(closed);
  EXPECT_EQ(completed_at_close, 3) << "every completion runs before Close's done";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(producer.calls()[i], 1);
    EXPECT_EQ(producer.results()[i].kind, SubmitResult::Kind::kTemporaryFailure);
  }
}

TEST_F(SmppCarrierTest, CloseWhileNothingListensLeavesNothingOpen) {
  // Port 1 on loopback: connection refused, so the carrier is between attempts.
  SmppCarrier carrier(loop_.get(), Options(1));
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.counters().connect_attempts >= 3; }));
  EXPECT_EQ(carrier.counters().connects, 0u);
  Producer producer(carrier, 1);
  producer.SubmitOne();
  CloseAndCheck(carrier);
  EXPECT_EQ(producer.calls()[0], 1) << "a deferred completion still runs on Close";
  EXPECT_EQ(producer.called_inside_submit(), 0);
}

TEST_F(SmppCarrierTest, CloseBeforeStartLeavesNothingOpen) {
  SmppCarrier carrier(loop_.get(), Options(1));
  CloseAndCheck(carrier);
  EXPECT_EQ(carrier.counters().connect_attempts, 0u);
}

// ---- several binds, pacing, long messages, message ids ------------------------------------

// A text of `n` characters that needs UCS-2 (the Cyrillic letters are not in GSM 03.38).
SubmitRequest LongUcs2(int i, int n) {
  SubmitRequest r;
  r.destination = "+4915200" + std::to_string(100000 + i);
  r.sender = "ACME";
  std::string utf8;
  for (int k = 0; k < n; ++k) utf8 += k % 10 == 9 ? std::string(" ") : std::string("\xd0\x96");
  r.text_utf8 = utf8;
  auto enc = EncodeText(utf8, DataCoding::kUcs2);
  EXPECT_TRUE(enc.ok());
  r.text = *enc;
  return r;
}

class SplitMethodTest : public SmppCarrierTest,
                        public ::testing::WithParamInterface<SplitMethod> {};

// 150 UCS-2 characters: 3 parts with a UDH (67 per part) or SAR (67 with 8-bit-ref room kept),
// one message_payload PDU otherwise. The simulator reassembles what it gets and sends one
// receipt per submit; the carrier reports one canonical id per part.
TEST_P(SplitMethodTest, LongUcs2TextIsSentInPartsTheSmscReassembles) {
  const SplitMethod method = GetParam();
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "0"}));
  SmppCarrierOptions o = Options(sim.port());
  o.parts.split = method;
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 20;
  Producer producer(carrier, kJobs);
  producer.make = [](int i) { return LongUcs2(i, 150); };
  std::vector<Receipt> receipts;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  const size_t parts = method == SplitMethod::kPayload ? 1 : 3;
  ASSERT_TRUE(Run([&] {
    return producer.completed() == kJobs && receipts.size() == kJobs * parts;
  })) << "completed "
      << producer.completed() << " receipts " << receipts.size();
  std::set<std::string> keys;
  for (int i = 0; i < kJobs; ++i) {
    const SubmitResult& r = producer.results()[i];
    ASSERT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
    EXPECT_EQ(r.segments, 3);
    ASSERT_EQ(r.part_ids.size(), parts);
    ASSERT_EQ(r.match_keys.size(), parts);
    EXPECT_EQ(r.message_id, r.part_ids[0]);
    keys.insert(r.match_keys.begin(), r.match_keys.end());
  }
  std::set<std::string> receipted;
  for (const Receipt& r : receipts) receipted.insert(r.match_key);
  EXPECT_EQ(receipted, keys) << "every part's receipt matches a part id";
  auto st = sim.FreshStats();
  EXPECT_EQ(st["submits"], static_cast<long long>(kJobs * parts));
  EXPECT_EQ(st["messages"], kJobs);
  EXPECT_EQ(st["reassembly_errors"], 0);
  if (method == SplitMethod::kPayload) {
    EXPECT_EQ(st["payload_messages"], kJobs);
  } else {
    EXPECT_EQ(st["reassembled_messages"], kJobs);
  }
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_EQ(c.multipart, method == SplitMethod::kPayload ? 0u : static_cast<uint64_t>(kJobs));
  EXPECT_EQ(c.parts, kJobs * parts);
  CloseAndCheck(carrier);
}

INSTANTIATE_TEST_SUITE_P(Methods, SplitMethodTest,
                         ::testing::Values(SplitMethod::kUdh8, SplitMethod::kUdh16,
                                           SplitMethod::kSar, SplitMethod::kPayload),
                         [](const auto& info) { return std::string(SplitMethodName(info.param)); });

// The SMSC answers submit_sm with hex ids and writes decimal ids with leading zeros into its
// receipts: with the formats declared, every receipt carries the key of its submit.
TEST_F(SmppCarrierTest, HexSubmitIdsMatchDecimalReceiptIds) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "0", "--id-format", "hex-upper",
                            "--receipt-id-format", "decimal", "--id-leading-zeros", "12"}));
  SmppCarrierOptions o = Options(sim.port());
  o.ids = MessageIdNormalizer(MessageIdFormat::kHex, MessageIdFormat::kDecimal);
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 50;
  Producer producer(carrier, kJobs);
  std::vector<Receipt> receipts;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs && receipts.size() == kJobs; }));
  std::set<std::string> keys, raw;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(producer.results()[i].match_keys.size(), 1u);
    keys.insert(producer.results()[i].match_keys[0]);
    raw.insert(producer.results()[i].message_id);
  }
  std::set<std::string> receipted, receipted_raw;
  for (const Receipt& r : receipts) {
    receipted.insert(r.match_key);
    receipted_raw.insert(r.message_id);
  }
  EXPECT_EQ(receipted, keys);
  EXPECT_NE(receipted_raw, raw) << "the raw ids differ, so the test shows normalisation";
  EXPECT_EQ(carrier.counters().odd_message_ids, 0u);
  CloseAndCheck(carrier);
}

// Three transmitting binds: all bind, the load is spread over them, every job is accepted once.
TEST_F(SmppCarrierTest, SeveralBindsShareTheLoad) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "0", "--submit-latency-ms", "2"}));
  SmppCarrierOptions o = Options(sim.port());
  o.transmit_binds = 3;
  o.receiver_binds = 1;
  o.session.bind = BindType::kTransmitter;
  o.session.window = 4;
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 300;
  Producer producer(carrier, kJobs);
  size_t receipts = 0;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt, std::function<void()> ack) {
    ++receipts;
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs && receipts == kJobs; }))
      << producer.completed() << " " << receipts;
  EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
  ASSERT_EQ(carrier.binds().size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GT(carrier.binds()[i]->counters().submits, 20u) << "bind " << i;
  }
  EXPECT_EQ(carrier.binds()[3]->counters().submits, 0u) << "the receiver bind never submits";
  EXPECT_EQ(carrier.binds()[3]->counters().receipts, static_cast<uint64_t>(kJobs));
  auto st = sim.FreshStats();
  EXPECT_EQ(st["binds_tx"], 3);
  EXPECT_EQ(st["binds_rx"], 1);
  CloseAndCheck(carrier);
}

// The SMSC throttles above 300 submits/s and answers every 7th with ESME_RMSGQFUL: the bind
// slows down, throttled parts are sent again, and every job ends accepted exactly once.
TEST_F(SmppCarrierTest, ThrottledBindSlowsDownAndEveryJobIsStillAccepted) {
  Sim sim(dir_);
  ASSERT_TRUE(
      sim.Start(0, {"--receipt-delay-ms", "0", "--throttle-tps", "300", "--msgqful-every", "7"}));
  SmppCarrierOptions o = Options(sim.port());
  o.rate.throttle_pause_ms = 20;
  o.rate.max_throttle_pause_ms = 100;
  o.rate.adjust_interval_ms = 100;
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 400;
  Producer producer(carrier, kJobs);
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt, std::function<void()> ack) { ack(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs; })) << producer.completed();
  EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(producer.calls()[i], 1) << i;
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_GT(c.throttled, 0u);
  EXPECT_EQ(c.part_retries, c.throttled);
  auto st = sim.FreshStats();
  EXPECT_EQ(static_cast<uint64_t>(st["throttled"] + st["msgqful"]), c.throttled);
  EXPECT_EQ(st["messages"], kJobs);
  CloseAndCheck(carrier);
}

// The SMSC refuses every K-th submit with ESME_RMSGQFUL whatever the pace. The bind learns that
// share as the SMSC's baseline and keeps sending near its ceiling (of which 1 - 1/K is accepted)
// instead of halving on every refusal: all jobs complete well within a bound the halving model
// (which settled near 10 submits/s and never climbed back) misses by far, and the bind's rate at
// the end is still far above that. Generous bounds: no timing is measured.
TEST_F(SmppCarrierTest, SteadyQueueFullRatioKeepsTheBindNearItsCeiling) {
  for (const int k : {2, 4, 7, 10}) {
    SCOPED_TRACE(k);
    testing::TempDir dir{"sd-carrier-msgqful"};
    Sim sim(dir);
    ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "-1", "--msgqful-every", std::to_string(k)}));
    SmppCarrierOptions o = Options(sim.port());
    o.rate.tps = 200;
    o.rate.adjust_interval_ms = 250;
    // Enough answers per judged interval that the share refused is close to 1/K (within the
    // margin) even when a loaded machine sends slowly; fewer decide nothing.
    o.rate.min_responses = 40;
    o.max_throttled_attempts = 1000;
    testing::UvTestLoop loop;
    SmppCarrier carrier(loop.get(), o);
    constexpr int kJobs = 600;
    Producer producer(carrier, kJobs);
    carrier.SetReadyHandler([&] { producer.Pump(); });
    carrier.Start();
    // At 200/s the run takes 3-6 s; the halving model needed minutes.
    ASSERT_TRUE(
        loop.RunUntil([&] { return producer.completed() == kJobs; }, std::chrono::seconds(60)))
        << producer.completed();
    EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
    const SendRate& rate = carrier.binds()[0]->send_rate();
    EXPECT_GE(rate.rate(), 50) << "the bind collapsed under a steady refusal ratio";
    EXPECT_GT(carrier.counters().throttled, 0u);
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
    EXPECT_TRUE(closed);
  }
}

// A carrier configured for UCS-2 re-encodes a GSM text rather than send the default alphabet.
TEST_F(SmppCarrierTest, DataCodingUcs2ReencodesGsmText) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "0", "--messages-file", dir_.File("m.jsonl")}));
  SmppCarrierOptions o = Options(sim.port());
  o.parts.coding = DataCodingChoice::kUcs2;
  SmppCarrier carrier(loop_.get(), o);
  Producer producer(carrier, 1);
  producer.make = [](int) {
    SubmitRequest r;
    r.destination = "+4915100100000";
    r.sender = "ACME";
    r.text_utf8 = "hi";
    r.text = *EncodeText("hi", DataCoding::kGsm7);
    return r;
  };
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt, std::function<void()> ack) { ack(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == 1; }));
  EXPECT_EQ(producer.results()[0].kind, SubmitResult::Kind::kAccepted);
  ASSERT_TRUE(Run([&] { return sim.Stat("messages") == 1; }));
  sim.FreshStats();
  const std::string line = testing::ReadTextFile(dir_.File("m.jsonl"));
  EXPECT_NE(line.find("\"data_coding\":8"), std::string::npos) << line;
  EXPECT_NE(line.find("00680069"), std::string::npos) << line;  // "hi" in UTF-16BE
  CloseAndCheck(carrier);
}

// The job's expiry reaches the SMSC as an absolute validity_period, and the source TON/NPI
// follows the sender's shape (alphanumeric 5/0, short code 3/0, E.164 1/1): the simulator
// records both. A job whose expiry passes before the SMSC would deliver it is reported EXPIRED
// by the simulator (counted in expired_deliveries), not delivered late.
TEST_F(SmppCarrierTest, ExpiryGoesOutAsValidityPeriodWithTonNpiByShape) {
  Sim sim(dir_);
  ASSERT_TRUE(
      sim.Start(0, {"--receipt-delay-ms", "1500", "--messages-file", dir_.File("m.jsonl")}));
  SmppCarrier carrier(loop_.get(), Options(sim.port()));
  const int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const int64_t later = (wall / 1000 + 3600) * 1000;  // whole seconds: exact in the field
  const char* senders[] = {"ACME", "12345", "+4930123456", "ACME"};
  Producer producer(carrier, 4);
  producer.make = [&](int i) {
    SubmitRequest r;
    r.destination = "+49151001000" + std::to_string(10 + i);
    r.sender = senders[i];
    r.text_utf8 = "code";
    r.text = *EncodeText("code", DataCoding::kGsm7);
    // The last job expires long before its receipt (1.5 s) is due.
    r.expires_ms = i == 3 ? wall + 200 : later;
    r.want_receipt = true;
    return r;
  };
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt, std::function<void()> ack) { ack(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == 4; }));
  EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), 4);
  ASSERT_TRUE(Run([&] { return sim.Stat("receipts_acked") == 4; }));
  EXPECT_EQ(sim.FreshStats()["expired_deliveries"], 1);
  const std::string lines = testing::ReadTextFile(dir_.File("m.jsonl"));
  const std::string v = "\"validity\":\"" + AbsoluteValidity(later) + "\"";
  EXPECT_NE(lines.find("\"source\":\"ACME\",\"dest\":\"4915100100010\",\"source_ton\":5,"
                       "\"source_npi\":0,\"dest_ton\":1,\"dest_npi\":1," +
                       v),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("\"source\":\"12345\",\"dest\":\"4915100100011\",\"source_ton\":3,"
                       "\"source_npi\":0,"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("\"source\":\"4930123456\",\"dest\":\"4915100100012\",\"source_ton\":1,"
                       "\"source_npi\":1,"),
            std::string::npos)
      << lines;
  CloseAndCheck(carrier);
}

// ---- temporary errors, backoff, unparsable receipts, text receipts, TPS ceiling -----------

// Every 5th submit gets ESME_RX_T_APPN (0x64): each such part waits out a backoff and is sent
// again, every job still ends accepted exactly once, and the carrier counts one retry for
// each error the simulator injected.
TEST_F(SmppCarrierTest, TemporaryStatusIsRetriedAfterBackoffAndEveryJobAcceptedOnce) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(
      0, {"--receipt-delay-ms", "-1", "--temp-error-every", "5", "--temp-error-status", "0x64"}));
  SmppCarrierOptions o = Options(sim.port());
  o.retry_initial_ms = 5;
  o.retry_max_ms = 40;
  o.max_temporary_attempts = 10;  // consecutive injected errors for one part stay possible
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 100;
  Producer producer(carrier, kJobs);
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs; })) << producer.completed();
  EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(producer.calls()[i], 1) << i;
  EXPECT_EQ(producer.called_inside_submit(), 0);
  const SmppCarrierCounters c = carrier.counters();
  auto st = sim.FreshStats();
  EXPECT_GE(st["temp_errors"], kJobs / 5);
  EXPECT_EQ(static_cast<long long>(c.temporary_retries), st["temp_errors"]);
  EXPECT_EQ(c.part_retries, c.temporary_retries) << "nothing was throttled";
  EXPECT_EQ(st["accepted_submits"], kJobs);
  EXPECT_EQ(st["submits"], kJobs + st["temp_errors"]);
  EXPECT_EQ(c.accepted, static_cast<uint64_t>(kJobs));
  CloseAndCheck(carrier);
}

// Every submit fails with ESME_RSYSERR: each part is tried max_temporary_attempts times, then
// the job ends as a temporary failure (the dispatcher's retry path takes over), once.
TEST_F(SmppCarrierTest, TemporaryRetriesAreBoundedThenTheJobFailsTemporarily) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "-1", "--temp-error-every", "1"}));
  SmppCarrierOptions o = Options(sim.port());
  o.retry_initial_ms = 5;
  o.retry_max_ms = 20;
  o.max_temporary_attempts = 3;
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 5;
  Producer producer(carrier, kJobs);
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs; })) << producer.completed();
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_EQ(producer.calls()[i], 1) << i;
    EXPECT_EQ(producer.results()[i].kind, SubmitResult::Kind::kTemporaryFailure) << i;
    EXPECT_EQ(producer.results()[i].carrier_status, status::kSysErr) << i;
  }
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_EQ(c.temporary_retries, static_cast<uint64_t>(kJobs * 2));
  EXPECT_EQ(c.temporary_failures, static_cast<uint64_t>(kJobs));
  EXPECT_EQ(sim.FreshStats()["submits"], kJobs * 3);
  CloseAndCheck(carrier);
}

// A two-part job whose first part the SMSC refuses for good (ESME_RSUBMITFAIL) while the
// second is throttled (ESME_RMSGQFUL): the second is not sent again, since the job can only end
// refused and a re-sent part would reach the handset as an orphan fragment.
TEST_F(SmppCarrierTest, APartIsNotSentAgainOnceASiblingWasRefusedForGood) {
  Sim sim(dir_);
  // Injection order in the simulator: MSGQFUL every 2nd submit, else 0x45 on every one.
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "-1", "--msgqful-every", "2",
                            "--temp-error-every", "1", "--temp-error-status", "0x45"}));
  SmppCarrierOptions o = Options(sim.port());
  SmppCarrier carrier(loop_.get(), o);
  Producer producer(carrier, 1);
  producer.make = [](int) {
    SubmitRequest r;
    r.destination = "+4915100100000";
    r.sender = "ACME";
    r.text.coding = DataCoding::kGsm7;
    r.text.bytes = std::string(200, 'a');  // two parts
    return r;
  };
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == 1; }));
  EXPECT_EQ(producer.calls()[0], 1);
  EXPECT_EQ(producer.results()[0].kind, SubmitResult::Kind::kPermanentFailure);
  auto st = sim.FreshStats();
  EXPECT_EQ(st["submits"], 2) << "the throttled part was sent again after its sibling's refusal";
  EXPECT_EQ(st["msgqful"], 1);
  EXPECT_EQ(carrier.counters().part_retries, 0u);
  CloseAndCheck(carrier);
}

// ESME_RSUBMITFAIL (0x45) is permanent by default (the job is rejected with that status); an
// operator who lists it as temporary gets it retried, and then every job is accepted.
TEST_F(SmppCarrierTest, SubmitFailIsPermanentUnlessTheOperatorListsItAsTemporary) {
  for (const bool listed : {false, true}) {
    SCOPED_TRACE(listed ? "listed" : "default");
    testing::TempDir dir{"sd-carrier-sf"};
    Sim sim(dir);
    ASSERT_TRUE(sim.Start(
        0, {"--receipt-delay-ms", "-1", "--temp-error-every", "4", "--temp-error-status", "0x45"}));
    SmppCarrierOptions o = Options(sim.port());
    o.retry_initial_ms = 5;
    o.retry_max_ms = 20;
    o.max_temporary_attempts = 10;
    if (listed) o.extra_temporary_statuses = {0x45};
    testing::UvTestLoop loop;
    SmppCarrier carrier(loop.get(), o);
    constexpr int kJobs = 40;
    Producer producer(carrier, kJobs);
    carrier.SetReadyHandler([&] { producer.Pump(); });
    carrier.Start();
    ASSERT_TRUE(loop.RunUntil([&] { return producer.completed() == kJobs; }, kDeadline));
    const long long injected = sim.FreshStats()["temp_errors"];
    EXPECT_GE(injected, kJobs / 4);
    if (listed) {
      EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
      EXPECT_EQ(static_cast<long long>(carrier.counters().temporary_retries), injected);
    } else {
      EXPECT_EQ(producer.Count(SubmitResult::Kind::kPermanentFailure), injected);
      EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs - injected);
      for (int i = 0; i < kJobs; ++i) {
        if (producer.results()[i].kind != SubmitResult::Kind::kPermanentFailure) continue;
        EXPECT_EQ(producer.results()[i].carrier_status, status::kSubmitFail) << i;
      }
      EXPECT_EQ(carrier.counters().temporary_retries, 0u);
    }
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
    EXPECT_TRUE(closed);
  }
}

// Close() while parts wait out a backoff: each job still completes once, before done.
TEST_F(SmppCarrierTest, CloseWhileRetriesWaitFailsEachJobOnceBeforeDone) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "-1", "--temp-error-every", "1"}));
  SmppCarrierOptions o = Options(sim.port());
  o.retry_initial_ms = 60'000;  // the retries are still waiting when Close() comes
  o.retry_max_ms = 60'000;
  SmppCarrier carrier(loop_.get(), o);
  Producer producer(carrier, 3);
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return sim.Stat("temp_errors") == 3; }));
  ASSERT_TRUE(Run([&] {
    return carrier.counters().temporary_failures == 0 && carrier.binds()[0]->load() == 0;
  }));
  int completed_at_close = -1;
  bool closed = false;
  carrier.Close([&] {
    completed_at_close = producer.completed();
    closed = true;
  });
  EXPECT_EQ(producer.completed(), 0) << "no completion inside Close()";
  EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(closed);
  EXPECT_EQ(completed_at_close, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(producer.calls()[i], 1) << i;
    EXPECT_EQ(producer.results()[i].kind, SubmitResult::Kind::kTemporaryFailure) << i;
  }
}

// Every 4th receipt arrives as garbage flagged as a receipt: it still reaches the receipt
// handler (empty message_id, state unknown, the bytes escaped in raw), is answered only when
// the handler acks, and is counted; nothing is dropped.
TEST_F(SmppCarrierTest, UnparsableReceiptIsForwardedWithRawTextAndAckedOnlyWhenAsked) {
  Sim sim(dir_);
  ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "0", "--garbage-receipt-every", "4"}));
  SmppCarrier carrier(loop_.get(), Options(sim.port()));
  constexpr int kJobs = 40;
  Producer producer(carrier, kJobs);
  std::vector<Receipt> receipts;
  std::vector<std::function<void()>> acks;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    acks.push_back(std::move(ack));
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs && receipts.size() == kJobs; }))
      << producer.completed() << " " << receipts.size();
  std::set<std::string> ids;
  for (int i = 0; i < kJobs; ++i) ids.insert(producer.results()[i].message_id);
  std::set<std::string> seen;
  int garbage = 0;
  const std::string prefix = "\\x02\\xFFgarbled receipt ref=";
  for (const Receipt& r : receipts) {
    if (!r.message_id.empty()) {
      EXPECT_TRUE(r.raw.empty());
      seen.insert(r.message_id);
      continue;
    }
    ++garbage;
    EXPECT_EQ(r.state, ReceiptState::kUnknown);
    EXPECT_TRUE(r.match_key.empty());
    EXPECT_EQ(r.carrier, "sim");
    ASSERT_EQ(r.raw.rfind(prefix, 0), 0u) << r.raw;
    ASSERT_GE(r.raw.size(), prefix.size() + 4);
    EXPECT_EQ(r.raw.substr(r.raw.size() - 4), "\\x7F") << r.raw;
    seen.insert(r.raw.substr(prefix.size(), r.raw.size() - prefix.size() - 4));
  }
  EXPECT_EQ(garbage, kJobs / 4);
  EXPECT_EQ(seen, ids) << "every job's receipt arrived, readable or raw";
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_EQ(c.unparsable_receipts, static_cast<uint64_t>(kJobs / 4));
  EXPECT_EQ(c.receipts, static_cast<uint64_t>(kJobs - kJobs / 4));
  EXPECT_EQ(c.odd_message_ids, 0u);
  auto st = sim.FreshStats();
  EXPECT_EQ(st["garbage_receipts"], kJobs / 4);
  EXPECT_EQ(st["receipts_acked"], 0) << "nothing answered before the handler acked";
  for (auto& ack : acks) ack();
  ASSERT_TRUE(Run([&] { return sim.Stat("receipts_acked") == kJobs; }))
      << sim.Stat("receipts_acked");
  CloseAndCheck(carrier);
}

// Receipts as text only (no receipted_message_id / message_state TLVs), in the id notations an
// SMSC may use: every receipt still matches the canonical id of its submit.
struct TextReceiptCase {
  const char* name;
  std::vector<std::string> sim_args;
  MessageIdFormat submit, receipt;
};

class TextReceiptTest : public SmppCarrierTest,
                        public ::testing::WithParamInterface<TextReceiptCase> {};

TEST_P(TextReceiptTest, EveryTextReceiptMatchesItsSubmit) {
  const TextReceiptCase& tc = GetParam();
  Sim sim(dir_);
  std::vector<std::string> args{"--receipt-delay-ms", "0", "--receipt-format", "text"};
  args.insert(args.end(), tc.sim_args.begin(), tc.sim_args.end());
  ASSERT_TRUE(sim.Start(0, args));
  SmppCarrierOptions o = Options(sim.port());
  o.ids = MessageIdNormalizer(tc.submit, tc.receipt);
  SmppCarrier carrier(loop_.get(), o);
  constexpr int kJobs = 40;
  Producer producer(carrier, kJobs);
  std::vector<Receipt> receipts;
  carrier.SetReadyHandler([&] { producer.Pump(); });
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return producer.completed() == kJobs && receipts.size() == kJobs; }))
      << producer.completed() << " " << receipts.size();
  std::set<std::string> keys;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(producer.results()[i].kind, SubmitResult::Kind::kAccepted);
    ASSERT_EQ(producer.results()[i].match_keys.size(), 1u);
    keys.insert(producer.results()[i].match_keys[0]);
  }
  std::set<std::string> receipted;
  for (const Receipt& r : receipts) {
    EXPECT_FALSE(r.message_id.empty());
    EXPECT_TRUE(r.raw.empty());
    EXPECT_EQ(r.state, ReceiptState::kDelivered);
    EXPECT_EQ(r.carrier_status, "DELIVRD") << "the state came from the text's stat:";
    receipted.insert(r.match_key);
  }
  EXPECT_EQ(receipted, keys);
  const SmppCarrierCounters c = carrier.counters();
  EXPECT_EQ(c.receipts, static_cast<uint64_t>(kJobs));
  EXPECT_EQ(c.unparsable_receipts, 0u);
  EXPECT_EQ(c.odd_message_ids, 0u);
  CloseAndCheck(carrier);
}

INSTANTIATE_TEST_SUITE_P(
    Notations, TextReceiptTest,
    ::testing::Values(TextReceiptCase{"HexBoth", {}, MessageIdFormat::kHex, MessageIdFormat::kHex},
                      TextReceiptCase{"HexSubmitDecimalReceipt",
                                      {"--id-format", "hex-upper", "--receipt-id-format", "decimal",
                                       "--id-leading-zeros", "12"},
                                      MessageIdFormat::kHex,
                                      MessageIdFormat::kDecimal},
                      TextReceiptCase{"DecimalBoth",
                                      {"--id-format", "decimal"},
                                      MessageIdFormat::kDecimal,
                                      MessageIdFormat::kDecimal}),
    [](const auto& info) { return std::string(info.param.name); });

// rate.tps holds each bind under the SMSC's ceiling: the simulator throttles above 30
// submits a second per bind and counts the most submits it saw in one of its one-second
// windows. With rate.tps = 20 nothing is throttled; the same run unpaced is throttled (so the
// check can fail). Counts only, no timing.
TEST_F(SmppCarrierTest, PerBindTpsCeilingKeepsTheSmscFromThrottling) {
  for (const double tps : {20.0, 0.0}) {
    SCOPED_TRACE(tps);
    testing::TempDir dir{"sd-carrier-tps"};
    Sim sim(dir);
    ASSERT_TRUE(sim.Start(0, {"--receipt-delay-ms", "-1", "--throttle-tps", "30"}));
    SmppCarrierOptions o = Options(sim.port());
    o.rate.tps = tps;
    o.rate.throttle_pause_ms = 20;
  o.rate.max_throttle_pause_ms = 100;
  o.rate.adjust_interval_ms = 100;
    testing::UvTestLoop loop;
    SmppCarrier carrier(loop.get(), o);
    constexpr int kJobs = 50;
    Producer producer(carrier, kJobs);
    carrier.SetReadyHandler([&] { producer.Pump(); });
    carrier.Start();
    ASSERT_TRUE(loop.RunUntil([&] { return producer.completed() == kJobs; }, kDeadline));
    EXPECT_EQ(producer.Count(SubmitResult::Kind::kAccepted), kJobs);
    auto st = sim.FreshStats();
    EXPECT_EQ(st["accepted_submits"], kJobs);
    if (tps > 0) {
      EXPECT_EQ(st["throttled"], 0);
      EXPECT_EQ(carrier.counters().throttled, 0u);
      EXPECT_LE(st["max_window_submits"], 30) << "the SMSC's ceiling held in every window";
      EXPECT_EQ(st["submits"], kJobs);
    } else {
      EXPECT_GT(st["throttled"], 0);
      EXPECT_GT(st["max_window_submits"], 30);
      EXPECT_EQ(static_cast<long long>(carrier.counters().throttled), st["throttled"]);
    }
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
    EXPECT_TRUE(closed);
  }
}

}  // namespace
}  // namespace sd::smpp
