// Interop: our SmppCarrier (adapters/smpp) against SMSCs this project did not write — the
// `smpp` npm package (tests/interop/npm_smsc.js) and Perl's Net::SMPP
// (tests/interop/netsmpp_smsc.pl). Each peer reports what it received as JSON lines, so the
// assertions are on the peer's view as well as ours: bind, a GSM submit and its text, a long
// UCS-2 message reassembled whole by the peer (whatever method the carrier uses), the receipt
// matched and acknowledged, enquire_link in both directions, a reconnect after the peer
// drops the connection, and messages recipients send (MO) delivered by the peer, decoded by us
// and answered only once our handler says they are durable. A missing interpreter or package
// fails the test with the install step.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/smpp/smpp_carrier.h"
#include "core/inbound.h"
#include "core/sms_text.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

using nlohmann::json;
constexpr auto kDeadline = std::chrono::seconds(30);

std::optional<std::string> FindInPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// One message a recipient sends, as the peer is told to deliver it (--mo-file, one JSON line
// each): coding "gsm7" (data_coding 0), "ucs2" (8) or "latin1" (3), split into `parts`.
struct MoSpec {
  std::string from;
  std::string to;
  std::string text;  // UTF-8
  std::string coding;
  int parts = 1;
};

std::string MoFileText(const std::vector<MoSpec>& mos) {
  std::string out;
  for (const MoSpec& m : mos) {
    out += json{{"from", m.from},
                {"to", m.to},
                {"text", m.text},
                {"coding", m.coding},
                {"parts", m.parts}}
               .dump() +
           "\n";
  }
  return out;
}

// The whole messages of `parts` by sender (each MO of a test has its own): the parts of one
// message joined in part order, as the daemon's inbound store does (core/inbound.h).
std::map<std::string, InboundMessage> AssembleBySender(std::vector<InboundPart> parts) {
  std::stable_sort(parts.begin(), parts.end(), [](const InboundPart& a, const InboundPart& b) {
    return (a.part ? a.part->seq : 0) < (b.part ? b.part->seq : 0);
  });
  std::map<std::string, std::vector<const InboundPart*>> by_key;
  for (const InboundPart& p : parts) by_key[InboundPartsKey(p)].push_back(&p);
  std::map<std::string, InboundMessage> out;
  for (const auto& [key, group] : by_key) {
    const InboundPart& first = *group.front();
    const size_t total = first.part ? first.part->total : 1;
    std::vector<std::string> bodies(total);
    std::vector<bool> present(total, false);
    for (const InboundPart* p : group) {
      const size_t i = p->part ? p->part->seq - 1u : 0u;
      bodies[i] = p->body;
      present[i] = true;
    }
    EXPECT_EQ(out.count(first.from), 0u) << "two messages from " << first.from;
    out[first.from] = AssembleInbound(first, bodies, present);
  }
  return out;
}

struct PeerKind {
  std::string name;         // test parameter name
  std::string interpreter;  // looked up in PATH
  std::string script;       // in tests/interop
};
void PrintTo(const PeerKind& k, std::ostream* os) { *os << k.name; }

// One peer SMSC process on port 0; its stdout (JSON lines) and stderr go to a file.
class Peer {
 public:
  Peer(const PeerKind& kind, const testing::TempDir& dir) : kind_(kind), dir_(dir) {}

  // Checks that everything the peer needs is installed; returns what is missing, or "".
  std::string Missing() {
    const auto interp = FindInPath(kind_.interpreter);
    if (!interp) {
      return kind_.interpreter + " not found in PATH: run scripts/deps.sh test (installs " +
             (kind_.interpreter == "node" ? "nodejs and npm" : "perl") + ")";
    }
    interpreter_ = *interp;
    if (kind_.interpreter == "node") {
      struct stat st;
      const std::string pkg = std::string(SD_INTEROP_NPM_DIR) + "/node_modules/smpp/package.json";
      if (stat(pkg.c_str(), &st) != 0) {
        return "the smpp npm package is not installed in " + std::string(SD_INTEROP_NPM_DIR) +
               ": run `ctest -R interop_npm_ci` (or `npm ci` in that directory)";
      }
    } else {
      testing::Subprocess check;
      testing::SubprocessOptions o;
      o.argv = {interpreter_, "-MNet::SMPP", "-MJSON::PP", "-e", "1"};
      o.log_path = dir_.File("perl-check.log");
      if (!check.Start(std::move(o))) return "cannot run perl: " + check.error();
      const auto rc = check.Wait(kDeadline);
      if (!rc || *rc != 0) {
        return "Perl Net::SMPP is not installed: run scripts/deps.sh test (installs "
               "libnet-smpp-perl): " +
               testing::ReadTextFile(dir_.File("perl-check.log"));
      }
    }
    return "";
  }

  bool Start(std::vector<std::string> extra = {}) {
    testing::SubprocessOptions o;
    o.argv = {interpreter_, std::string(SD_INTEROP_DIR) + "/" + kind_.script};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    o.log_path = dir_.File("peer.out");
    o.env = {{"NODE_PATH", std::string(SD_INTEROP_NPM_DIR) + "/node_modules"}};
    if (!proc_.Start(std::move(o))) {
      ADD_FAILURE() << kind_.script << ": " << proc_.error();
      return false;
    }
    const auto end = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < end && proc_.Running()) {
      for (const json& e : Events("listening")) {
        port_ = e["port"].get<int>();
        return true;
      }
      usleep(5000);  // polling for the peer to come up, with a deadline
    }
    ADD_FAILURE() << kind_.script << " did not come up:\n" << Log();
    return false;
  }

  int port() const { return port_; }
  void Signal(int sig) { proc_.Signal(sig); }
  std::string Log() const { return testing::ReadTextFile(dir_.File("peer.out")); }

  // Every reported event named `name` (all when empty), in order.
  std::vector<json> Events(const std::string& name = "") const {
    std::vector<json> out;
    std::stringstream lines(Log());
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] != '{') continue;  // stderr noise from the peer's library
      json e = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (e.is_discarded() || !e.contains("event")) continue;
      if (name.empty() || e["event"] == name) out.push_back(std::move(e));
    }
    return out;
  }
  size_t Count(const std::string& name) const { return Events(name).size(); }

 private:
  PeerKind kind_;
  const testing::TempDir& dir_;
  std::string interpreter_;
  testing::Subprocess proc_;
  int port_ = 0;
};

class InteropTest : public ::testing::TestWithParam<PeerKind> {
 protected:
  void SetUp() override {
    const std::string missing = peer_.Missing();
    ASSERT_EQ(missing, "") << "interop peer " << GetParam().name << " cannot run";
  }

  static SmppCarrierOptions Options(int port, int64_t enquire_link_ms = 30'000) {
    SmppCarrierOptions o;
    o.name = "interop";
    o.port = port;
    o.session.system_id = "interop";
    o.session.password = "secret";
    o.session.window = 8;
    o.session.response_timeout_ms = 20'000;
    o.session.enquire_link_interval_ms = enquire_link_ms;
    o.reconnect_initial_ms = 20;
    o.reconnect_max_ms = 200;
    o.tick_ms = 20;
    return o;
  }

  bool Run(const std::function<bool()>& cond) { return loop_.RunUntil(cond, kDeadline); }

  // Submits `utf8` and runs until it completes; returns the result.
  SubmitResult SubmitAndWait(SmppCarrier& carrier, const std::string& utf8,
                             const std::string& dest) {
    auto text = EncodeText(utf8);
    EXPECT_TRUE(text.ok());
    SubmitRequest req;
    req.destination = dest;
    req.sender = "ACME";
    req.text = *text;
    req.want_receipt = true;
    std::optional<SubmitResult> result;
    carrier.Submit(std::move(req), [&](SubmitResult r) { result = std::move(r); });
    EXPECT_TRUE(Run([&] { return result.has_value(); })) << "no submit result";
    return result.value_or(SubmitResult{});
  }

  // The carrier under test; closed in TearDown when a failed assertion left it open, since
  // destroying it with handles open would be a second, misleading failure.
  SmppCarrier& MakeCarrier(SmppCarrierOptions options) {
    carrier_ = std::make_unique<SmppCarrier>(loop_.get(), std::move(options));
    return *carrier_;
  }
  void TearDown() override {
    if (carrier_ && !closed_) {
      carrier_->Close([] {});
      loop_.RunToCompletionAndClose();
    }
  }

  void CloseAndCheck(SmppCarrier& carrier) {
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "a handle was left open";
    EXPECT_TRUE(closed);
    closed_ = true;
  }

  testing::TempDir dir_{"sd-interop"};
  testing::UvTestLoop loop_;
  std::unique_ptr<SmppCarrier> carrier_;
  bool closed_ = false;
  Peer peer_{GetParam(), dir_};
};

TEST_P(InteropTest, BindSubmitGsmReceiptMatchedAndUnbind) {
  ASSERT_TRUE(peer_.Start());
  SmppCarrier& carrier = MakeCarrier(Options(peer_.port()));
  std::vector<Receipt> receipts;
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.bound(); })) << peer_.Log();
  const auto binds = peer_.Events("bind");
  ASSERT_EQ(binds.size(), 1u);
  EXPECT_EQ(binds[0]["command"], "bind_transceiver");
  EXPECT_EQ(binds[0]["system_id"], "interop");
  EXPECT_EQ(binds[0]["status"], 0);

  const std::string text = "Your code is 482913. Valid for 5 minutes.";
  const SubmitResult r = SubmitAndWait(carrier, text, "+447700900123");
  ASSERT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  // The peer saw the submit under the id it answered, and the text as we meant it.
  const auto submits = peer_.Events("submit");
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(submits[0]["message_id"], r.message_id);
  EXPECT_EQ(submits[0]["dest"], "447700900123");
  EXPECT_EQ(submits[0]["source"], "ACME");
  EXPECT_EQ(submits[0]["data_coding"], 0);
  EXPECT_EQ(submits[0]["registered_delivery"].get<int>() & 1, 1);
  const auto messages = peer_.Events("message");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["text"], text);

  // Its receipt reaches us with the same id, and our acknowledgement reaches it.
  ASSERT_TRUE(Run([&] { return !receipts.empty() && peer_.Count("receipt_acked") == 1; }))
      << peer_.Log();
  EXPECT_EQ(receipts[0].message_id, r.message_id);
  EXPECT_EQ(receipts[0].state, ReceiptState::kDelivered);
  EXPECT_EQ(peer_.Events("receipt_acked")[0]["message_id"], r.message_id);
  EXPECT_EQ(peer_.Events("receipt_acked")[0]["status"], 0);

  CloseAndCheck(carrier);
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < end && peer_.Count("unbind") == 0) usleep(5000);
  EXPECT_EQ(peer_.Count("unbind"), 1u) << "Close() unbinds politely";
}

TEST_P(InteropTest, LongUcs2MessageArrivesWholeAtThePeer) {
  ASSERT_TRUE(peer_.Start());
  SmppCarrier& carrier = MakeCarrier(Options(peer_.port()));
  std::vector<Receipt> receipts;
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.bound(); })) << peer_.Log();
  // 3 UCS-2 segments' worth of Cyrillic and Greek (BMP only: nothing to split mid-pair).
  std::string text;
  for (int i = 0; i < 12; ++i) text += "Привет, мир! Γειά σου κόσμε. ";
  const auto encoded = EncodeText(text);
  ASSERT_TRUE(encoded.ok());
  ASSERT_EQ(encoded->coding, DataCoding::kUcs2);
  ASSERT_GT(encoded->segments, 1);

  const SubmitResult r = SubmitAndWait(carrier, text, "+447700900124");
  ASSERT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  const auto messages = peer_.Events("message");
  ASSERT_EQ(messages.size(), 1u) << peer_.Log();
  EXPECT_EQ(messages[0]["text"], text) << "method " << messages[0]["method"];
  EXPECT_EQ(messages[0]["data_coding"], 8);
  EXPECT_EQ(peer_.Count("reassembly_error"), 0u);
  // One submit in message_payload, or one per segment when sent as concatenated parts.
  const auto submits = peer_.Events("submit");
  const std::string method = messages[0]["method"];
  EXPECT_EQ(submits.size(), method == "payload" ? 1u : static_cast<size_t>(encoded->segments));
  std::set<std::string> peer_ids;
  for (const auto& id : messages[0]["message_ids"]) peer_ids.insert(id.get<std::string>());
  EXPECT_EQ(peer_ids.count(r.message_id), 1u) << "our id is one the peer gave";
  // Every receipt the peer sends for this message reaches us and is matched to one of its ids.
  ASSERT_TRUE(Run([&] { return receipts.size() == submits.size(); })) << peer_.Log();
  for (const Receipt& rc : receipts) EXPECT_EQ(peer_ids.count(rc.message_id), 1u);
  ASSERT_TRUE(Run([&] { return peer_.Count("receipt_acked") == submits.size(); }));
  CloseAndCheck(carrier);
}

TEST_P(InteropTest, EnquireLinkBothWays) {
  ASSERT_TRUE(peer_.Start({"--enquire-link-ms", "50"}));
  SmppCarrier& carrier = MakeCarrier(Options(peer_.port(), /*enquire_link_ms=*/50));
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.bound(); })) << peer_.Log();
  // Ours are answered by the peer; the peer's are answered by us.
  ASSERT_TRUE(Run([&] {
    return peer_.Count("enquire_link") >= 3 && peer_.Count("enquire_link_resp") >= 3;
  })) << peer_.Log();
  EXPECT_EQ(carrier.counters().disconnects, 0u);
  EXPECT_EQ(carrier.counters().binds, 1u);
  EXPECT_TRUE(carrier.bound());
  CloseAndCheck(carrier);
}

TEST_P(InteropTest, ReconnectsAfterThePeerDropsTheConnection) {
  ASSERT_TRUE(peer_.Start());
  SmppCarrier& carrier = MakeCarrier(Options(peer_.port()));
  carrier.SetReceiptHandler([](Receipt, std::function<void()> ack) { ack(); });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return carrier.bound(); })) << peer_.Log();
  ASSERT_EQ(SubmitAndWait(carrier, "before the drop", "+447700900125").kind,
            SubmitResult::Kind::kAccepted);

  peer_.Signal(SIGUSR2);  // the peer cuts every connection without an unbind
  ASSERT_TRUE(Run([&] {
    return peer_.Count("dropped") == 1 && carrier.counters().disconnects >= 1 && carrier.bound() &&
           carrier.counters().binds == 2;
  })) << peer_.Log();
  const auto binds = peer_.Events("bind");
  ASSERT_EQ(binds.size(), 2u);
  EXPECT_NE(binds[0]["conn"], binds[1]["conn"]) << "a new connection";
  EXPECT_EQ(binds[1]["status"], 0);

  const SubmitResult r = SubmitAndWait(carrier, "after the drop", "+447700900125");
  ASSERT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  const auto messages = peer_.Events("message");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1]["text"], "after the drop");
  EXPECT_EQ(messages[1]["conn"], binds[1]["conn"]);
  CloseAndCheck(carrier);
}

// (a) plain GSM, (b) UCS-2 in two parts: "Привет" is 6 UTF-16 units and the emoji a surrogate
// pair, so the peers' even split (7 of 13 units in part 1) cuts the pair between the parts, and
// only the joined bytes decode; (c) Latin-1 (data_coding 3).
const std::vector<MoSpec> kMos = {
    {"4917000001", "4930555", "STOP", "gsm7", 1},
    {"4917000002", "4930555", "Привет😀 мир!", "ucs2", 2},
    {"4917000003", "ACME", "Café", "latin1", 1},
};
constexpr size_t kMoParts = 4;

// Checks the whole message from `mo.from` against what the peer was told to send.
void ExpectMo(const std::map<std::string, InboundMessage>& got, const MoSpec& mo, MoCoding coding) {
  SCOPED_TRACE(mo.from);
  ASSERT_EQ(got.count(mo.from), 1u);
  const InboundMessage& m = got.at(mo.from);
  EXPECT_EQ(m.carrier, "interop");
  EXPECT_EQ(m.to, mo.to);
  EXPECT_EQ(m.coding, coding);
  EXPECT_EQ(m.text, mo.text);
  EXPECT_EQ(m.parts, mo.parts);
  EXPECT_EQ(m.missing, 0);
  EXPECT_FALSE(m.lossy);
}

// The two parts of the UCS-2 message from `from` came with their UDH read (same reference,
// parts 1 and 2 of 2), and part 1 really ends in half a surrogate pair.
void ExpectSplitPair(const std::vector<InboundPart>& parts, const std::string& from) {
  std::map<int, const InboundPart*> by_seq;
  for (const InboundPart& p : parts) {
    if (p.from != from) continue;
    ASSERT_TRUE(p.part.has_value()) << "no UDH concatenation element read";
    EXPECT_EQ(p.part->total, 2);
    by_seq[p.part->seq] = &p;
  }
  ASSERT_EQ(by_seq.size(), 2u);
  ASSERT_EQ(by_seq.count(1), 1u);
  ASSERT_EQ(by_seq.count(2), 1u);
  EXPECT_EQ(by_seq[1]->part->ref, by_seq[2]->part->ref);
  const std::string& first = by_seq[1]->body;
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(first[first.size() - 2]) & 0xFC, 0xD8) << "a high surrogate";
}

TEST_P(InteropTest, MoMessagesAreDecodedAndAcknowledgedOnlyWhenDurable) {
  ASSERT_TRUE(testing::WriteTextFile(dir_.File("mo.jsonl"), MoFileText(kMos)));
  ASSERT_TRUE(peer_.Start({"--mo-file", dir_.File("mo.jsonl")}));
  SmppCarrier& carrier = MakeCarrier(Options(peer_.port()));
  std::vector<InboundPart> parts;
  std::vector<std::function<void()>> acks;  // "durable" is up to this test
  carrier.SetInboundHandler([&](InboundPart p, std::function<void()> ack) {
    parts.push_back(std::move(p));
    acks.push_back(std::move(ack));
  });
  carrier.Start();
  ASSERT_TRUE(Run([&] { return parts.size() == kMoParts; })) << peer_.Log();

  // Not durable yet: no deliver_sm_resp (a negative check, so it can only wait a while).
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(300));
  EXPECT_EQ(peer_.Count("mo_acked"), 0u) << peer_.Log();
  EXPECT_EQ(peer_.Count("mo_sent"), kMoParts);
  EXPECT_EQ(parts.size(), kMoParts) << "each part once";
  EXPECT_EQ(carrier.counters().mo_messages, kMoParts);
  EXPECT_EQ(carrier.counters().receipts + carrier.counters().unparsable_receipts, 0u);

  for (auto& ack : acks) ack();
  ASSERT_TRUE(Run([&] { return peer_.Count("mo_acked") == kMoParts; })) << peer_.Log();
  std::set<std::pair<std::string, int>> acked;  // (from, part)
  for (const json& e : peer_.Events("mo_acked")) {
    EXPECT_EQ(e["status"], 0) << e.dump();
    acked.emplace(e["from"].get<std::string>(), e["part"].get<int>());
  }
  EXPECT_EQ(acked.size(), kMoParts) << "one answer per part";

  ExpectSplitPair(parts, kMos[1].from);

  const auto messages = AssembleBySender(parts);
  EXPECT_EQ(messages.size(), kMos.size());
  ExpectMo(messages, kMos[0], MoCoding::kGsm7);
  ExpectMo(messages, kMos[1], MoCoding::kUcs2);
  ExpectMo(messages, kMos[2], MoCoding::kLatin1);
  CloseAndCheck(carrier);
}

INSTANTIATE_TEST_SUITE_P(Peers, InteropTest,
                         ::testing::Values(PeerKind{"npm_smpp", "node", "npm_smsc.js"},
                                           PeerKind{"perl_net_smpp", "perl", "netsmpp_smsc.pl"}),
                         [](const ::testing::TestParamInfo<PeerKind>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sd::smpp
