// The dispatcher's part of the SMS-pumping defence (daemon/lib/dispatcher_pumping.cc), with
// fake ports: a rule that fires blocks the prefix at once (later entries of the same batch
// are refused), the block goes to the BlockSink, and the submit gate refuses a blocked
// destination for jobs already admitted.
#include <gtest/gtest.h>

#include "adapters/crypto/openssl_mac.h"
#include "core/audit.h"
#include "daemon/lib/dispatcher.h"
#include "tests/daemon/dispatcher_fakes.h"

namespace sd {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace): test-only fakes

class RecordingAudit final : public AuditSink {
 public:
  void Emit(AuditEvent e) override { events.push_back(std::move(e)); }
  std::vector<AuditEvent> events;
};

class RecordingBlocks final : public BlockSink {
 public:
  void Raise(Block b) override { raised.push_back(std::move(b)); }
  std::vector<Block> raised;
};

class DispatcherPumpingTest : public ::testing::Test {
 protected:
  DispatcherPumpingTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", kSecret}));
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    opts.max_inflight = 64;
    dispatcher_ = std::make_unique<Dispatcher>(store_, carrier_, mac_, clock_, opts);
    dispatcher_->SetKeys(keys);
    dispatcher_->SetAuditSink(&audit_);
    dispatcher_->SetBlockSink(&blocks_);
    PumpingRule r;
    r.name = "new_ranges";
    r.scope = PumpingScope::kPrefix;
    r.prefix_digits = 1;
    r.new_prefix_messages = 3;
    r.learn_ms = 0;  // the daemon "knows" its prefixes from the start, for the test
    r.action = PumpingAction::kBlock;
    r.block_ms = 600'000;
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.pumping = std::make_shared<PumpingDetector>(std::vector<PumpingRule>{r}, kNow);
      return p;
    });
    dispatcher_->Start();
  }

  StreamEntry Entry(const std::string& to) {
    ++seq_;
    return SignedEntry(mac_, seq_, "j" + std::to_string(seq_), to, kSecret, kNow + 60'000);
  }
  size_t Refused(Reason reason) const {
    size_t n = 0;
    for (const Outcome& o : store_.commits) n += o.reason == reason ? 1 : 0;
    return n;
  }

  OpenSslMac mac_;
  ManualClock clock_;
  FakeStore store_;
  FakeCarrier carrier_;
  RecordingAudit audit_;
  RecordingBlocks blocks_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int seq_ = 0;
};

TEST_F(DispatcherPumpingTest, ARuleThatFiresBlocksTheRestOfTheBatchAndSharesTheBlock) {
  std::vector<StreamEntry> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(Entry("+3712000000" + std::to_string(i)));
  batch.push_back(Entry("+4915112345678"));  // another country: untouched
  store_.handler(std::move(batch));
  store_.Flush();
  carrier_.CompleteAll(SubmitResult::Kind::kAccepted);
  store_.Flush();
  // Jobs 4-6 are refused at admission; jobs 1-3 were admitted before it fired but had not
  // gone out yet, so the check before submit refuses them too. Only +49 is sent.
  EXPECT_EQ(Refused(Reason::kPumpingSuspected), 6u);
  ASSERT_EQ(carrier_.submits.size(), 1u);
  EXPECT_EQ(carrier_.submits[0].destination, "+4915112345678");
  ASSERT_EQ(blocks_.raised.size(), 1u);
  EXPECT_EQ(blocks_.raised[0].prefix, "+3712");
  EXPECT_EQ(blocks_.raised[0].key_family, "");
  EXPECT_EQ(blocks_.raised[0].rule, "new_ranges");
  EXPECT_EQ(blocks_.raised[0].until_ms, kNow + 600'000);
  size_t raised_events = 0, refusals = 0;
  for (const AuditEvent& e : audit_.events) {
    raised_events += e.action == kAuditPumpingBlock ? 1 : 0;
    refusals += e.reason == Reason::kPumpingSuspected && e.action == kAuditRejected ? 1 : 0;
  }
  EXPECT_EQ(raised_events, 1u);
  EXPECT_EQ(refusals, 6u) << "every refusal is audited";
  EXPECT_EQ(dispatcher_->stats().rejected_by_reason[static_cast<size_t>(Reason::kPumpingSuspected)],
            6u);
}

TEST_F(DispatcherPumpingTest, TheGateRefusesABlockedDestinationOfAJobAlreadyAdmitted) {
  ASSERT_NE(carrier_.gate, nullptr);
  EXPECT_TRUE(
      carrier_.gate
          ->Check({"k.v1", "+4477001234567", "ACME", JobKind::kTransactional, kNow + 60'000})
          .send());
  dispatcher_->SetBlocks(std::make_shared<const BlockList>(
      std::vector<Block>{Block{"+4477", "", kNow + 1'000, kNow, "operator", ""}}));
  const GateVerdict v = carrier_.gate->Check(
      {"k.v1", "+4477001234567", "ACME", JobKind::kTransactional, kNow + 60'000});
  EXPECT_EQ(v.reason, Reason::kPumpingSuspected);
  EXPECT_TRUE(
      carrier_.gate
          ->Check({"k.v1", "+4478001234567", "ACME", JobKind::kTransactional, kNow + 60'000})
          .send());
  clock_.Advance(1'000);  // the block ends
  EXPECT_TRUE(
      carrier_.gate
          ->Check({"k.v1", "+4477001234567", "ACME", JobKind::kTransactional, kNow + 60'000})
          .send());
}

TEST_F(DispatcherPumpingTest, ABlockRaisedHereOutlivesAListReadBeforeItWasWritten) {
  std::vector<StreamEntry> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(Entry("+3712000000" + std::to_string(i)));
  store_.handler(std::move(batch));
  ASSERT_EQ(blocks_.raised.size(), 1u);
  // A list read from Redis before the block's write arrived: the block stays.
  dispatcher_->SetBlocks(std::make_shared<const BlockList>());
  EXPECT_EQ(
      carrier_.gate->Check({"k.v1", "+37120000009", "ACME", JobKind::kTransactional, kNow + 60'000})
          .reason,
      Reason::kPumpingSuspected);
  // Redis has it now; then an operator lifts it: the next list without it unblocks.
  dispatcher_->SetBlocks(std::make_shared<const BlockList>(std::vector<Block>{blocks_.raised[0]}));
  dispatcher_->SetBlocks(std::make_shared<const BlockList>());
  EXPECT_TRUE(
      carrier_.gate->Check({"k.v1", "+37120000009", "ACME", JobKind::kTransactional, kNow + 60'000})
          .send());
}

}  // namespace
}  // namespace sd
