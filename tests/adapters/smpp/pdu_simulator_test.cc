// End to end against the real smsc-sim binary (bench/smsc_sim), spoken to through the codec
// over blocking loopback sockets: binds and credentials, submit_sm_resp, receipts in every
// format, receipt routing and redelivery, hostile framing, counters, and a clean SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
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
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/smpp/pdu.h"
#include "tests/adapters/smpp/sim_harness.h"

namespace sd::smpp {
namespace {

using namespace sim_harness;

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built (SD_SMSC_SIM undefined)";
  }
};

TEST_F(SimulatorTest, BindSubmitReceiptAndCounters) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_TRUE(esme.connected());

  // Wrong credentials are refused with the specific status; the session stays usable.
  EXPECT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "nope"), status::kInvPaswd);
  EXPECT_EQ(esme.BindAs(CommandId::kBindTransceiver, "other", "simpw"), status::kInvSysId);
  ASSERT_TRUE(esme.Send(esme.Bind(CommandId::kBindTransceiver, "sim", "simpw")));
  auto bound = esme.Read();
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->command(), CommandId::kBindTransceiverResp);
  EXPECT_EQ(bound->header.command_status, status::kOk);
  ASSERT_TRUE(bound->bind_resp);
  EXPECT_EQ(bound->bind_resp->system_id, "smsc-sim");
  EXPECT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kAlyBnd);

  ASSERT_TRUE(esme.Send(Submit(42, "4915112345678", "hello world, this is longer than 20")));
  auto resp = esme.Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->command(), CommandId::kSubmitSmResp);
  EXPECT_EQ(resp->header.sequence_number, 42u);
  EXPECT_EQ(resp->header.command_status, status::kOk);
  ASSERT_TRUE(resp->submit_resp);
  const std::string id = resp->submit_resp->message_id;
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{16}"))) << id;

  auto dlr = esme.Read();
  ASSERT_TRUE(dlr);
  ASSERT_EQ(dlr->command(), CommandId::kDeliverSm);
  ASSERT_TRUE(dlr->sm);
  const ShortMessage& sm = *dlr->sm;
  EXPECT_EQ(sm.esm_class, 0x04);
  EXPECT_EQ(sm.source_addr, "4915112345678");  // the handset that "received" it
  EXPECT_EQ(sm.source_addr_ton, 1);
  EXPECT_EQ(sm.destination_addr, "ACME");
  EXPECT_EQ(sm.dest_addr_ton, 5);
  EXPECT_EQ(TlvValue(sm, tag::kReceiptedMessageId), id + std::string(1, '\0'));
  EXPECT_EQ(TlvValue(sm, tag::kMessageState), std::string(1, '\x02'));
  EXPECT_TRUE(std::regex_match(
      sm.short_message,
      std::regex("id:" + id +
                 " sub:001 dlvrd:001 submit date:[0-9]{10} done date:[0-9]{10} stat:DELIVRD "
                 "err:000 text:hello world, this is")))
      << sm.short_message;
  ASSERT_TRUE(esme.Send(DeliverSmResp(dlr->header.sequence_number)));
  ASSERT_TRUE(esme.Sync());

  auto c = sim.Counters();
  EXPECT_EQ(c["connections"], 1);
  EXPECT_EQ(c["binds"], 1);
  EXPECT_EQ(c["bind_failures"], 3);
  EXPECT_EQ(c["submits"], 1);
  EXPECT_EQ(c["submit_resps"], 1);
  EXPECT_EQ(c["receipts_sent"], 1);
  EXPECT_EQ(c["receipts_acked"], 1);
  EXPECT_EQ(c["receipts_redelivered"], 0);
  EXPECT_EQ(c["receipts_waiting"], 0);
  EXPECT_EQ(c["enquire_links"], 1);
  EXPECT_EQ(c["unknown_pdus"], 0);

  // SIGTERM with a session still open: stats written, every handle closed, exit 0.
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
  auto final_counters = Simulator::ParseCounters(ReadFile(sim.Stats()));
  EXPECT_EQ(final_counters["submits"], 1);
  EXPECT_EQ(final_counters["receipts_acked"], 1);
  EXPECT_TRUE(esme.AtEof());
}

TEST_F(SimulatorTest, SessionRulesUnknownCommandsAndUnbind) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_TRUE(esme.connected());
  // Submitting before binding is refused; enquire_link needs no bind.
  ASSERT_TRUE(esme.Send(Submit(7, "4915112345678", "early")));
  auto r = esme.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command(), CommandId::kSubmitSmResp);
  EXPECT_EQ(r->header.command_status, status::kInvBndSts);
  EXPECT_TRUE(esme.Sync());
  // An unknown command id is answered with generic_nack carrying its sequence number.
  Pdu unknown = MakeHeaderOnly(CommandId::kEnquireLink, 99);
  unknown.header.command_id = 0x00000077;
  ASSERT_TRUE(esme.SendRaw(*Encode(unknown)));
  r = esme.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command(), CommandId::kGenericNack);
  EXPECT_EQ(r->header.command_status, status::kInvCmdId);
  EXPECT_EQ(r->header.sequence_number, 99u);
  // A receiver may not submit.
  ASSERT_EQ(esme.BindAs(CommandId::kBindReceiver, "sim", "simpw"), status::kOk);
  ASSERT_TRUE(esme.Send(Submit(8, "4915112345678", "rx")));
  r = esme.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.command_status, status::kInvBndSts);
  // unbind: answered, then the simulator closes the connection.
  ASSERT_TRUE(esme.Send(MakeHeaderOnly(CommandId::kUnbind, 10)));
  r = esme.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command(), CommandId::kUnbindResp);
  EXPECT_EQ(r->header.sequence_number, 10u);
  EXPECT_TRUE(esme.AtEof());
  auto c = sim.Counters();
  EXPECT_EQ(c["submits"], 2);
  EXPECT_EQ(c["submit_resps"], 2);
  EXPECT_EQ(c["unknown_pdus"], 1);
  EXPECT_EQ(c["unbinds"], 1);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SimulatorTest, BadCommandLengthIsNackedThenClosed) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  for (const std::string& len :
       {std::string("\x00\x00\x00\x05", 4), std::string("\xff\xff\xff\xff", 4),
        std::string("\x00\x01\x00\x01", 4)}) {
    Esme esme(sim.port());
    ASSERT_TRUE(esme.connected());
    ASSERT_TRUE(esme.Sync());  // earlier good PDUs are unaffected
    ASSERT_TRUE(esme.SendRaw(len));
    auto r = esme.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->command(), CommandId::kGenericNack);
    EXPECT_EQ(r->header.command_status, status::kInvCmdLen);
    EXPECT_TRUE(esme.AtEof());
  }
  // A malformed body keeps the session: nacked, and the next PDU is served.
  Esme esme(sim.port());
  ASSERT_TRUE(esme.connected());
  std::string bad = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 5)) + "x";
  bad[3] = 17;
  ASSERT_TRUE(esme.SendRaw(bad));
  auto r = esme.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command(), CommandId::kGenericNack);
  EXPECT_EQ(r->header.sequence_number, 5u);
  EXPECT_TRUE(esme.Sync());
  EXPECT_EQ(sim.Counters()["malformed_pdus"], 4);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SimulatorTest, ManyPdusInOneWriteGetDistinctIdsInOrder) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  std::string batch;
  constexpr uint32_t kCount = 500;
  for (uint32_t i = 0; i < kCount; ++i)
    batch += *Encode(Submit(1000 + i, "4930" + std::to_string(i), "x", 0));
  ASSERT_TRUE(esme.SendRaw(batch));
  std::set<std::string> ids;
  for (uint32_t i = 0; i < kCount; ++i) {
    auto r = esme.Read();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->header.sequence_number, 1000 + i);
    ASSERT_EQ(r->header.command_status, status::kOk);
    ids.insert(r->submit_resp->message_id);
  }
  EXPECT_EQ(ids.size(), kCount);
  auto c = sim.Counters();
  EXPECT_EQ(c["submits"], kCount);
  EXPECT_EQ(c["receipts_sent"], 0);  // registered_delivery 0: no receipts
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

// A client that submits without reading its responses makes the simulator stop reading
// (bounded write queue, counted in read_pauses) instead of buffering without limit; once the
// client reads again every response arrives, in order.
TEST_F(SimulatorTest, AClientThatDoesNotReadIsPausedNotBufferedWithoutLimit) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port(), 64 * 1024);
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  // Enough responses (33 bytes each) to fill both kernel buffers and the 4 MiB queue.
  constexpr uint32_t kCount = 400000;
  std::string batch;
  for (uint32_t i = 0; i < kCount; ++i) batch += *Encode(Submit(i + 1, "4930", "x", 0));
  bool sent = false;
  std::thread writer([&] { sent = esme.SendRaw(batch); });
  const bool paused = WaitUntil([&] { return sim.Counters()["read_pauses"] >= 1; });
  uint32_t got = 0;
  bool in_order = true;
  for (; got < kCount; ++got) {
    auto r = esme.Read();
    if (!r) break;
    in_order = in_order && r->header.sequence_number == got + 1;
  }
  writer.join();
  EXPECT_TRUE(paused);
  EXPECT_TRUE(sent);
  EXPECT_EQ(got, kCount);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sim.Counters()["submit_resps"], kCount);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SimulatorTest, ReceiptsWaitForAReceiverAndUnackedOnesAreRedelivered) {
  Simulator sim;
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme tx(sim.port());
  ASSERT_EQ(tx.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  std::set<std::string> ids;
  for (uint32_t seq : {1u, 2u}) {
    ASSERT_TRUE(tx.Send(Submit(seq, "4915112345678", "m")));
    auto r = tx.Read();
    ASSERT_TRUE(r);
    ids.insert(r->submit_resp->message_id);
  }
  // No receiver bound: both receipts wait (the transmitter never gets them).
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters()["receipts_waiting"] == 2; }));

  std::string unacked_id;
  {
    Esme rx(sim.port());
    ASSERT_EQ(rx.BindAs(CommandId::kBindReceiver, "sim", "simpw"), status::kOk);
    std::set<std::string> got;
    for (int i = 0; i < 2; ++i) {
      auto d = rx.Read();
      ASSERT_TRUE(d);
      ASSERT_EQ(d->command(), CommandId::kDeliverSm);
      std::string id = TlvValue(*d->sm, tag::kReceiptedMessageId);
      id.pop_back();  // NUL
      got.insert(id);
      if (i == 0) {
        ASSERT_TRUE(rx.Send(DeliverSmResp(d->header.sequence_number)));
      } else {
        unacked_id = id;  // never acknowledged: the connection drops below
      }
    }
    EXPECT_EQ(got, ids);
    ASSERT_TRUE(rx.Sync());
  }
  // The dropped session's unacknowledged receipt goes to the next receiver.
  Esme trx(sim.port());
  ASSERT_EQ(trx.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  auto d = trx.Read();
  ASSERT_TRUE(d);
  ASSERT_EQ(d->command(), CommandId::kDeliverSm);
  EXPECT_EQ(TlvValue(*d->sm, tag::kReceiptedMessageId), unacked_id + std::string(1, '\0'));
  ASSERT_TRUE(trx.Send(DeliverSmResp(d->header.sequence_number)));
  ASSERT_TRUE(trx.Sync());
  auto c = sim.Counters();
  EXPECT_EQ(c["receipts_sent"], 3);
  EXPECT_EQ(c["receipts_redelivered"], 1);
  EXPECT_EQ(c["receipts_acked"], 2);
  EXPECT_EQ(c["receipts_waiting"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SimulatorTest, RejectAndFailPrefixesAndReceiptFormats) {
  struct Case {
    std::string format;
    bool want_tlv, want_text;
  };
  for (const Case& k : {Case{"tlv", true, false}, Case{"text", false, true}}) {
    SCOPED_TRACE(k.format);
    Simulator sim({"--receipt-format", k.format, "--reject-dest-prefix", "999",
                   "--fail-dest-prefix", "555", "--submit-latency-ms", "3", "--receipt-delay-ms",
                   "3"});
    ASSERT_NE(sim.port(), 0) << sim.Log();
    Esme esme(sim.port());
    ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
    ASSERT_TRUE(esme.Send(Submit(1, "999123", "rejected")));
    auto r = esme.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.command_status, status::kInvDstAdr);
    ASSERT_TRUE(esme.Send(Submit(2, "555123", "fails")));
    // With latencies on both sides either may come first; take both.
    std::optional<Pdu> resp, dlr;
    for (int i = 0; i < 2; ++i) {
      auto p = esme.Read();
      ASSERT_TRUE(p);
      (p->command() == CommandId::kDeliverSm ? dlr : resp) = p;
    }
    ASSERT_TRUE(resp && dlr);
    ASSERT_EQ(resp->header.command_status, status::kOk);
    const std::string id = resp->submit_resp->message_id;
    const ShortMessage& sm = *dlr->sm;
    EXPECT_EQ(sm.esm_class, 0x04);
    if (k.want_tlv) {
      EXPECT_EQ(TlvValue(sm, tag::kReceiptedMessageId), id + std::string(1, '\0'));
      EXPECT_EQ(TlvValue(sm, tag::kMessageState), std::string(1, '\x05'));
    } else {
      EXPECT_TRUE(sm.tlvs.empty());
    }
    if (k.want_text) {
      EXPECT_TRUE(
          std::regex_match(sm.short_message, std::regex("id:" + id +
                                                        " sub:001 dlvrd:000 .* stat:UNDELIV "
                                                        "err:001 text:fails")))
          << sm.short_message;
    } else {
      EXPECT_TRUE(sm.short_message.empty());
    }
    ASSERT_TRUE(esme.Send(DeliverSmResp(dlr->header.sequence_number)));
    ASSERT_TRUE(esme.Sync());
    auto c = sim.Counters();
    EXPECT_EQ(c["rejected_submits"], 1);
    EXPECT_EQ(c["receipts_sent"], 1);  // none for the rejected submit
    EXPECT_EQ(c["receipts_acked"], 1);
    EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
  }
}

TEST_F(SimulatorTest, CommandLine) {
  char tmpl[] = "/tmp/sd-pdu-cli-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string log = dir + "/out";
  EXPECT_EQ(RunToExit({kSimBinary, "--help"}, log), 0);
  EXPECT_NE(ReadFile(log).find("--receipt-format"), std::string::npos);
  EXPECT_EQ(RunToExit({kSimBinary, "--bogus"}, log), 2);
  EXPECT_EQ(RunToExit({kSimBinary, "--port", "70000"}, log), 2);
  EXPECT_EQ(RunToExit({kSimBinary, "--receipt-format", "xml"}, log), 2);
  EXPECT_EQ(RunToExit({kSimBinary, "--receipt-delay-ms", "-2"}, log), 2);
  EXPECT_EQ(RunToExit({kSimBinary, "--port"}, log), 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sd::smpp
