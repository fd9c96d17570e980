// The simulator's carrier-like behaviour, end to end against the real smsc-sim binary:
// bind limits and types, receipt routing between binds, injected errors (throttling, full
// queue, system error, dropped connections, a silent link), message-id notations, receipt
// states, and the multipart reassembly check with its counters and messages file.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/smpp/pdu.h"
#include "tests/adapters/smpp/sim_harness.h"

namespace sd::smpp {
namespace {

using namespace sim_harness;

class SmscSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built (SD_SMSC_SIM undefined)";
  }
};

// Reads `n` PDUs and sorts them into submit responses (by sequence) and receipts.
struct Inbox {
  std::map<uint32_t, Pdu> resps;
  std::vector<Pdu> receipts;
};
bool ReadInto(Esme& esme, int n, Inbox* in) {
  for (int i = 0; i < n; ++i) {
    auto p = esme.Read();
    if (!p) return false;
    if (p->command() == CommandId::kDeliverSm) {
      in->receipts.push_back(*p);
    } else {
      in->resps[p->header.sequence_number] = *p;
    }
  }
  return true;
}

// Acknowledges every receipt in `in`, then syncs, so the simulator has counted them.
bool AckAll(Esme& esme, const Inbox& in) {
  for (const Pdu& d : in.receipts) {
    if (!esme.Send(DeliverSmResp(d.header.sequence_number))) return false;
  }
  return esme.Sync();
}

TEST_F(SmscSimTest, MaxBindsPerSystemIdAndBindTypes) {
  Simulator sim({"--max-binds", "2"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme tx(sim.port()), rx(sim.port()), third(sim.port());
  ASSERT_EQ(tx.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  ASSERT_EQ(rx.BindAs(CommandId::kBindReceiver, "sim", "simpw"), status::kOk);
  EXPECT_EQ(third.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kBindFail);
  // A second bind on a bound session is still "already bound", not the limit.
  EXPECT_EQ(tx.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kAlyBnd);

  auto c = sim.Counters();
  EXPECT_EQ(c["binds_tx"], 1);
  EXPECT_EQ(c["binds_rx"], 1);
  EXPECT_EQ(c["binds_trx"], 0);
  EXPECT_EQ(c["bound_tx"], 1);
  EXPECT_EQ(c["bound_rx"], 1);
  EXPECT_EQ(c["bind_limit_refusals"], 1);
  EXPECT_EQ(c["bind_failures"], 2);
  const std::string stats = ReadFile(sim.Stats());
  EXPECT_NE(stats.find("\"session_bind\":\"tx\""), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"session_bind\":\"rx\""), std::string::npos) << stats;

  // Once a bind ends, its slot is free again.
  ASSERT_TRUE(rx.Send(MakeHeaderOnly(CommandId::kUnbind, rx.NextSeq())));
  ASSERT_TRUE(rx.Read());
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters()["bound_rx"] == 0; }));
  EXPECT_EQ(third.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  EXPECT_EQ(sim.Counters()["bound_trx"], 1);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, ReceiptsOfTransmitterGoRoundRobinToReceiversAndWaitBounded) {
  Simulator sim({"--max-waiting-receipts", "3"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme tx(sim.port());
  ASSERT_EQ(tx.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  // No receiver yet: three receipts wait, the fourth is dropped and counted.
  std::set<std::string> ids;
  for (uint32_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(tx.Send(Submit(i, "4412345", "m" + std::to_string(i))));
    auto r = tx.Read();
    ASSERT_TRUE(r && r->header.command_status == status::kOk);
    ids.insert(r->submit_resp->message_id);
  }
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters()["receipts_waiting"] == 3; }));
  EXPECT_EQ(sim.Counters()["receipts_dropped"], 1);

  Esme rx1(sim.port()), rx2(sim.port());
  ASSERT_EQ(rx1.BindAs(CommandId::kBindReceiver, "sim", "simpw"), status::kOk);
  Inbox first;
  ASSERT_TRUE(ReadInto(rx1, 3, &first));  // the waiting ones go to the first receiver
  ASSERT_TRUE(AckAll(rx1, first));
  ASSERT_EQ(rx2.BindAs(CommandId::kBindReceiver, "sim", "simpw"), status::kOk);
  for (uint32_t i = 5; i <= 8; ++i) {
    ASSERT_TRUE(tx.Send(Submit(i, "4412345", "n")));
    ASSERT_TRUE(tx.Read());
  }
  Inbox a, b;
  ASSERT_TRUE(ReadInto(rx1, 2, &a));
  ASSERT_TRUE(ReadInto(rx2, 2, &b));
  ASSERT_TRUE(AckAll(rx1, a));
  ASSERT_TRUE(AckAll(rx2, b));
  for (const Pdu& d : first.receipts) {
    std::string id = TlvValue(*d.sm, tag::kReceiptedMessageId);
    id.pop_back();  // NUL
    EXPECT_EQ(ids.count(id), 1u) << id;
  }
  auto c = sim.Counters();
  EXPECT_EQ(c["receipts_sent"], 7);
  EXPECT_EQ(c["receipts_acked"], 7);
  EXPECT_EQ(c["receipts_waiting"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, InjectedQueueFullAndSystemErrors) {
  Simulator sim({"--msgqful-every", "3", "--temp-error-every", "4", "--reject-dest-prefix", "999"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  // A rejected destination is not one of the counted submits.
  ASSERT_TRUE(esme.Send(Submit(100, "999", "x", 0)));
  auto rej = esme.Read();
  ASSERT_TRUE(rej);
  EXPECT_EQ(rej->header.command_status, status::kInvDstAdr);
  std::vector<uint32_t> got;
  for (uint32_t i = 1; i <= 12; ++i) {
    ASSERT_TRUE(esme.Send(Submit(i, "4412345", "x", 0)));
    auto r = esme.Read();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->header.sequence_number, i);
    got.push_back(r->header.command_status);
    // An error response carries no message id.
    EXPECT_EQ(r->header.command_status == status::kOk,
              r->submit_resp && !r->submit_resp->message_id.empty());
  }
  const uint32_t ok = status::kOk, full = status::kMsgQFul, sys = status::kSysErr;
  EXPECT_EQ(got, (std::vector<uint32_t>{ok, ok, full, sys, ok, full, ok, sys, full, ok, ok, full}));
  auto c = sim.Counters();
  EXPECT_EQ(c["msgqful"], 4);
  EXPECT_EQ(c["temp_errors"], 2);
  EXPECT_EQ(c["session_msgqful"], 4);
  EXPECT_EQ(c["session_accepted"], 6);
  EXPECT_EQ(c["messages"], 6);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, ThrottlePerBind) {
  Simulator sim({"--throttle-tps", "3"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme a(sim.port()), b(sim.port());
  ASSERT_EQ(a.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  ASSERT_EQ(b.BindAs(CommandId::kBindTransmitter, "sim", "simpw"), status::kOk);
  // Ten back to back fit in at most two one-second windows, so at most six get through.
  int throttled = 0, accepted = 0;
  for (uint32_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(a.Send(Submit(i, "4412345", "x", 0)));
    auto r = a.Read();
    ASSERT_TRUE(r);
    if (r->header.command_status == status::kThrottled) ++throttled;
    if (r->header.command_status == status::kOk) ++accepted;
  }
  EXPECT_EQ(throttled + accepted, 10);
  EXPECT_GE(throttled, 4);
  // The limit is per bind: the other session is not throttled by the first one's burst.
  ASSERT_TRUE(b.Send(Submit(1, "4412345", "x", 0)));
  auto r = b.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.command_status, status::kOk);
  auto c = sim.Counters();
  EXPECT_EQ(c["throttled"], throttled);
  EXPECT_EQ(c["submits"], 11);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, DropConnectionAfterNSubmits) {
  Simulator sim({"--drop-connection-after", "2"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  for (int round = 0; round < 2; ++round) {
    Esme esme(sim.port());
    ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
    Inbox in;
    ASSERT_TRUE(esme.Send(Submit(1, "4412345", "one", 0)));
    ASSERT_TRUE(esme.Send(Submit(2, "4412345", "two", 0)));
    ASSERT_TRUE(esme.Send(Submit(3, "4412345", "lost", 0)));  // after the drop: never read
    ASSERT_TRUE(ReadInto(esme, 2, &in));
    EXPECT_EQ(in.resps[1].header.command_status, status::kOk);
    EXPECT_EQ(in.resps[2].header.command_status, status::kOk);
    EXPECT_TRUE(esme.AtEof());
  }
  auto c = sim.Counters();
  EXPECT_EQ(c["dropped_connections"], 2);
  EXPECT_EQ(c["submit_resps"], 4);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, NoEnquireLinkResp) {
  Simulator sim({"--no-enquire-link-resp"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  ASSERT_TRUE(esme.Send(MakeHeaderOnly(CommandId::kEnquireLink, 50)));
  ASSERT_TRUE(esme.Send(Submit(51, "4412345", "x", 0)));
  auto r = esme.Read();  // the submit's answer is the first thing back: no enquire_link_resp
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command(), CommandId::kSubmitSmResp);
  EXPECT_EQ(r->header.sequence_number, 51u);
  auto c = sim.Counters();
  EXPECT_EQ(c["enquire_links_ignored"], 1);
  EXPECT_EQ(c["enquire_links"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

std::string ReceiptId(const Pdu& d) {
  std::string id = TlvValue(*d.sm, tag::kReceiptedMessageId);
  if (!id.empty() && id.back() == '\0') id.pop_back();
  return id;
}

TEST_F(SmscSimTest, MessageIdNotationsInResponseAndReceipt) {
  {
    Simulator sim(
        {"--id-format", "hex-upper", "--receipt-id-format", "decimal", "--id-leading-zeros", "22"});
    ASSERT_NE(sim.port(), 0) << sim.Log();
    Esme esme(sim.port());
    ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
    ASSERT_TRUE(esme.Send(Submit(1, "4412345", "hello")));
    Inbox in;
    ASSERT_TRUE(ReadInto(esme, 2, &in));
    ASSERT_EQ(in.receipts.size(), 1u);
    const std::string resp_id = in.resps[1].submit_resp->message_id;
    const std::string dlr_id = ReceiptId(in.receipts[0]);
    EXPECT_TRUE(std::regex_match(resp_id, std::regex("[0-9A-F]{22}"))) << resp_id;
    EXPECT_TRUE(std::regex_match(dlr_id, std::regex("[0-9]{22}"))) << dlr_id;
    // The same message, in two notations.
    EXPECT_EQ(std::stoull(resp_id, nullptr, 16), std::stoull(dlr_id, nullptr, 10));
    EXPECT_EQ(in.receipts[0].sm->short_message.rfind("id:" + dlr_id + " ", 0), 0u)
        << in.receipts[0].sm->short_message;
    ASSERT_TRUE(AckAll(esme, in));
    EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
  }
  {
    Simulator sim({"--id-format", "decimal"});
    ASSERT_NE(sim.port(), 0) << sim.Log();
    Esme esme(sim.port());
    ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
    ASSERT_TRUE(esme.Send(Submit(1, "4412345", "hello")));
    Inbox in;
    ASSERT_TRUE(ReadInto(esme, 2, &in));
    const std::string resp_id = in.resps[1].submit_resp->message_id;
    EXPECT_TRUE(std::regex_match(resp_id, std::regex("[1-9][0-9]*"))) << resp_id;
    ASSERT_EQ(in.receipts.size(), 1u);
    EXPECT_EQ(ReceiptId(in.receipts[0]), resp_id);  // receipt notation follows --id-format
    ASSERT_TRUE(AckAll(esme, in));
    EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
  }
}

TEST_F(SmscSimTest, ReceiptStatesByOptionAndPrefixRule) {
  Simulator sim({"--receipt-state", "EXPIRED", "--receipt-state-rule", "4477=REJECTD",
                 "--receipt-state-rule", "4478=DELIVRD", "--fail-dest-prefix", "4466"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  struct Case {
    std::string dest, stat;
    char state;
    std::string dlvrd, err;
  };
  const Case cases[] = {{"4412", "EXPIRED", 3, "000", "001"},
                        {"4477", "REJECTD", 8, "000", "001"},
                        {"4478", "DELIVRD", 2, "001", "000"},
                        {"4466", "UNDELIV", 5, "000", "001"}};
  for (const Case& k : cases) {
    SCOPED_TRACE(k.dest);
    ASSERT_TRUE(esme.Send(Submit(1, k.dest, "x")));
    Inbox in;
    ASSERT_TRUE(ReadInto(esme, 2, &in));
    ASSERT_EQ(in.receipts.size(), 1u);
    const ShortMessage& sm = *in.receipts[0].sm;
    EXPECT_EQ(TlvValue(sm, tag::kMessageState), std::string(1, k.state));
    EXPECT_NE(sm.short_message.find("dlvrd:" + k.dlvrd + " "), std::string::npos);
    EXPECT_NE(sm.short_message.find(" stat:" + k.stat + " err:" + k.err + " "), std::string::npos)
        << sm.short_message;
    ASSERT_TRUE(AckAll(esme, in));
  }
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

// A submit carrying one part of a concatenated message.
enum class How { kUdh8, kUdh16, kSar };
Pdu Part(uint32_t seq, How how, uint16_t ref, uint8_t total, uint8_t part, const std::string& text,
         uint8_t dcs = 0, const std::string& dest = "4412345") {
  Pdu p = Submit(seq, dest, "");
  ShortMessage& sm = *p.sm;
  sm.data_coding = dcs;
  if (how == How::kSar) {
    sm.short_message = text;
    sm.tlvs.push_back({tag::kSarMsgRefNum,
                       std::string{static_cast<char>(ref >> 8), static_cast<char>(ref & 0xff)}});
    sm.tlvs.push_back({tag::kSarTotalSegments, std::string(1, static_cast<char>(total))});
    sm.tlvs.push_back({tag::kSarSegmentSeqnum, std::string(1, static_cast<char>(part))});
    return p;
  }
  sm.esm_class = 0x40;
  std::string udh;
  if (how == How::kUdh8) {
    udh = {0x05,
           0x00,
           0x03,
           static_cast<char>(ref),
           static_cast<char>(total),
           static_cast<char>(part)};
  } else {
    udh = {0x06,
           0x08,
           0x04,
           static_cast<char>(ref >> 8),
           static_cast<char>(ref & 0xff),
           static_cast<char>(total),
           static_cast<char>(part)};
  }
  sm.short_message = udh + text;
  return p;
}

// validity_period: a message whose validity passed before its receipt was due is reported
// EXPIRED (and counted), one still valid DELIVRD; a malformed one is refused ESME_RINVEXPIRY;
// the messages file records the validity and the TON/NPI as sent.
TEST_F(SmscSimTest, ValidityPeriodIsHonouredAndRecorded) {
  char tmpl[] = "/tmp/sd-sim-validity-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string messages = dir + "/messages.jsonl";
  Simulator sim({"--receipt-delay-ms", "2500", "--messages-file", messages});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  Pdu short_lived = Submit(1, "4412", "x");
  short_lived.sm->validity_period = "000000000001000R";  // one second
  Pdu long_lived = Submit(2, "4413", "y");
  long_lived.sm->validity_period = "991231235959000+";  // the end of 2099
  Pdu bad = Submit(3, "4414", "z");
  bad.sm->validity_period = "261303103015700+";  // month 13
  ASSERT_TRUE(esme.Send(short_lived));
  ASSERT_TRUE(esme.Send(long_lived));
  ASSERT_TRUE(esme.Send(bad));
  Inbox in;
  ASSERT_TRUE(ReadInto(esme, 5, &in));  // three responses, then two receipts after the delay
  EXPECT_EQ(in.resps[1].header.command_status, status::kOk);
  EXPECT_EQ(in.resps[2].header.command_status, status::kOk);
  EXPECT_EQ(in.resps[3].header.command_status, status::kInvExpiry);
  ASSERT_EQ(in.receipts.size(), 2u);
  std::map<std::string, std::string> stat_by_dest;
  for (const Pdu& d : in.receipts) {
    const std::string& text = d.sm->short_message;
    const size_t at = text.find(" stat:");
    ASSERT_NE(at, std::string::npos) << text;
    stat_by_dest[d.sm->source_addr] = text.substr(at + 6, 7);
  }
  EXPECT_EQ(stat_by_dest["4412"], "EXPIRED");
  EXPECT_EQ(stat_by_dest["4413"], "DELIVRD");
  ASSERT_TRUE(AckAll(esme, in));
  auto c = sim.Counters();
  EXPECT_EQ(c["expired_deliveries"], 1);
  EXPECT_EQ(c["invalid_validity"], 1);
  const std::string lines = ReadFile(messages);
  EXPECT_NE(lines.find("\"source_ton\":5,\"source_npi\":0,\"dest_ton\":1,\"dest_npi\":1,"
                       "\"validity\":\"000000000001000R\""),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("\"validity\":\"991231235959000+\""), std::string::npos) << lines;
  EXPECT_EQ(lines.find("4414"), std::string::npos) << "a refused submit is no message";
}

std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += kDigits[c >> 4];
    h += kDigits[c & 15];
  }
  return h;
}

TEST_F(SmscSimTest, MultipartPartsGetTheirOwnIdsAndReceiptsAndReassemble) {
  char tmpl[] = "/tmp/sd-sim-msgs-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string messages = dir + "/messages.jsonl";
  Simulator s2({"--messages-file", messages});
  ASSERT_NE(s2.port(), 0) << s2.Log();
  Esme esme(s2.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);

  const std::string ucs2 = std::string("\x04\x1f\x04\x40\x04\x38", 6);  // "При" in UCS-2
  std::vector<Pdu> parts = {
      // 8-bit UDH, three parts, out of order.
      Part(1, How::kUdh8, 7, 3, 2, "BBB"),
      Part(2, How::kUdh8, 7, 3, 1, "AAA"),
      Part(3, How::kUdh8, 7, 3, 3, "CC"),
      // 16-bit UDH, UCS-2.
      Part(4, How::kUdh16, 0x1234, 2, 1, ucs2, 8),
      Part(5, How::kUdh16, 0x1234, 2, 2, ucs2, 8),
      // SAR TLVs.
      Part(6, How::kSar, 0x0102, 2, 1, "sar-one "),
      Part(7, How::kSar, 0x0102, 2, 2, "sar-two"),
      // Errors: a duplicate, a part whose total disagrees, a part number past the total.
      Part(8, How::kUdh8, 9, 2, 1, "x"),
      Part(9, How::kUdh8, 9, 2, 1, "x"),
      Part(10, How::kUdh8, 9, 3, 2, "y"),
      Part(11, How::kUdh8, 10, 2, 3, "z"),
  };
  // And one whole message in message_payload.
  Pdu payload = Submit(12, "4412345", "");
  payload.sm->tlvs.push_back({tag::kMessagePayload, std::string(300, 'p')});
  parts.push_back(payload);
  for (const Pdu& p : parts) ASSERT_TRUE(esme.Send(p));
  Inbox in;
  ASSERT_TRUE(ReadInto(esme, 24, &in));  // 12 responses and 12 receipts
  ASSERT_EQ(in.resps.size(), 12u);
  ASSERT_EQ(in.receipts.size(), 12u);
  std::set<std::string> resp_ids, receipt_ids;
  for (const auto& [seq, r] : in.resps) {
    EXPECT_EQ(r.header.command_status, status::kOk) << seq;
    resp_ids.insert(r.submit_resp->message_id);
  }
  for (const Pdu& d : in.receipts) receipt_ids.insert(ReceiptId(d));
  EXPECT_EQ(resp_ids.size(), 12u);   // every part has its own id...
  EXPECT_EQ(receipt_ids, resp_ids);  // ...and its own receipt
  ASSERT_TRUE(AckAll(esme, in));

  auto c = s2.Counters();
  EXPECT_EQ(c["parts"], 11);
  EXPECT_EQ(c["reassembled_messages"], 3);
  EXPECT_EQ(c["payload_messages"], 1);
  EXPECT_EQ(c["messages"], 4);
  EXPECT_EQ(c["reassembly_duplicates"], 1);
  EXPECT_EQ(c["reassembly_mismatches"], 1);
  EXPECT_EQ(c["reassembly_bad_parts"], 1);
  EXPECT_EQ(c["reassembly_errors"], 3);
  EXPECT_EQ(c["reassembly_pending"], 1);  // ref 9 still waits for its part 2

  // Every line carries the wall-clock time its last part arrived; the rest is compared as is.
  const std::string raw = ReadFile(messages);
  const std::regex received(R"("received_ms":([0-9]+),)");
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  int stamped = 0;
  for (auto it = std::sregex_iterator(raw.begin(), raw.end(), received);
       it != std::sregex_iterator(); ++it, ++stamped) {
    const long long t = std::stoll((*it)[1].str());
    EXPECT_GT(t, now_ms - 600'000);
    EXPECT_LE(t, now_ms);
  }
  EXPECT_EQ(stamped, 4) << raw;
  const std::string lines = std::regex_replace(raw, received, "");
  EXPECT_NE(lines.find("\"method\":\"udh8\",\"parts\":3,\"hex\":\"" + Hex("AAABBBCC") + "\""),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("\"data_coding\":8,\"method\":\"udh16\",\"parts\":2,\"hex\":\"" +
                       Hex(ucs2 + ucs2) + "\""),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("\"method\":\"sar\",\"parts\":2,\"hex\":\"" + Hex("sar-one sar-two") + "\""),
            std::string::npos)
      << lines;
  EXPECT_NE(
      lines.find("\"method\":\"payload\",\"parts\":1,\"hex\":\"" + Hex(std::string(300, 'p'))),
      std::string::npos);
  EXPECT_EQ(s2.Terminate(), 0) << s2.Log();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_F(SmscSimTest, IncompleteMultipartCountsMissingParts) {
  Simulator sim({"--reassembly-timeout-ms", "1"});
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver, "sim", "simpw"), status::kOk);
  ASSERT_TRUE(esme.Send(Part(1, How::kSar, 77, 4, 2, "only", 0)));
  auto r = esme.Read();
  ASSERT_TRUE(r && r->command() == CommandId::kSubmitSmResp);
  ASSERT_TRUE(WaitUntil([&] { return sim.Counters()["reassembly_incomplete"] == 1; }));
  auto c = sim.Counters();
  EXPECT_EQ(c["reassembly_missing_parts"], 3);
  EXPECT_EQ(c["reassembly_pending"], 0);
  EXPECT_EQ(c["reassembly_errors"], 1);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTest, CommandLineOfNewOptions) {
  char tmpl[] = "/tmp/sd-sim-cli-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string log = dir + "/out";
  EXPECT_EQ(RunToExit({kSimBinary, "--help"}, log), 0);
  for (const char* opt :
       {"--max-binds", "--throttle-tps", "--msgqful-every", "--temp-error-every",
        "--drop-connection-after", "--no-enquire-link-resp", "--id-format", "--receipt-id-format",
        "--id-leading-zeros", "--receipt-state", "--receipt-state-rule", "--messages-file",
        "--temp-error-status", "--garbage-receipt-every"}) {
    EXPECT_NE(ReadFile(log).find(opt), std::string::npos) << opt;
  }
  const std::vector<std::vector<std::string>> bad = {
      {"--id-format", "octal"},          {"--receipt-id-format", "HEX"},
      {"--id-leading-zeros", "65"},      {"--receipt-state", "delivered"},
      {"--receipt-state-rule", "44"},    {"--receipt-state-rule", "=DELIVRD"},
      {"--throttle-tps", "-1"},          {"--max-binds", "x"},
      {"--msgqful-every", ""},           {"--reassembly-timeout-ms", "0"},
      {"--temp-error-status", "0"},      {"--temp-error-status", "0x1FFFFFFFF"},
      {"--temp-error-status", "-8"},     {"--temp-error-status", "0x6g"},
      {"--garbage-receipt-every", "-1"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> argv{kSimBinary};
    argv.insert(argv.end(), args.begin(), args.end());
    EXPECT_EQ(RunToExit(argv, log), 2) << args[0] << " " << args[1];
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace sd::smpp
