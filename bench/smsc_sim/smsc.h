#pragma once
// The simulated SMSC: accepts ESME connections (plain TCP or TLS), authenticates binds,
// answers submit_sm with message ids (after --submit-latency-ms), sends delivery receipts
// (after --receipt-delay-ms, to a receiver of the submitter's system_id), redelivers receipts a
// dropped session never acknowledged, injects the errors real SMSCs answer with, checks that
// multipart messages reassemble and counts everything (docs/simulator.md).
//
// It is a benchmark sink, so the hot path is kept lean: PDUs are decoded straight from the
// bytes a read delivers when nothing is buffered, and every response produced by one read
// callback or one timer tick leaves in a single write per connection (Append marks the client
// dirty; Flush writes each dirty client once).
//
// smsc.cc: listening, connections, framing, binds and the other PDUs, stats.
// smsc_submit.cc: submit_sm (errors to inject, reassembly, receipts) and deliver_sm.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "adapters/net/stream_connection.h"
#include "adapters/net/tls_context.h"
#include "adapters/smpp/pdu.h"
#include "bench/smsc_sim/due_queue.h"
#include "bench/smsc_sim/message_log.h"
#include "bench/smsc_sim/multipart.h"
#include "bench/smsc_sim/receipt.h"
#include "bench/smsc_sim/sim_counters.h"
#include "bench/smsc_sim/sim_options.h"
#include "bench/smsc_sim/stats_file.h"

namespace sd::smsc_sim {

// One ESME connection and, once bound, its session.
struct Client {
  uint64_t id = 0;
  std::unique_ptr<net::StreamConnection> conn;  // freed with the Client, once closed
  std::string in;   // at most one partial PDU (< kMaxPduSize) carried between reads
  std::string out;  // responses produced since the last flush
  bool bound = false;
  bool can_send = false;     // TX or TRX
  bool can_receive = false;  // RX or TRX
  bool paused = false;       // reads stopped until the write queue drains
  bool closing = false;
  bool draining = false;          // unbind, drop, bad framing: input dropped, shut down, closed
  bool drop_after_flush = false;  // --drop-connection-after reached: close once flushed
  smpp::CommandId bind_type = smpp::CommandId::kBindTransceiver;
  std::string system_id;
  // --throttle-tps: submits counted in the current one-second window of this bind.
  uint64_t window_start_ms = 0;
  uint64_t window_submits = 0;
  uint64_t submits_seen = 0;  // on this connection, for --drop-connection-after
  SessionCounters counters;
  uint32_t next_seq = 1;
  // deliver_sm sequence -> receipt: what goes back to the waiting queue if the session drops.
  std::unordered_map<uint32_t, Receipt> unacked;
  // deliver_sm sequence -> a message part a recipient wrote, until answered (smsc_mo.cc).
  std::unordered_map<uint32_t, smpp::ShortMessage> unacked_mo;
};

class Smsc {
 public:
  // tls: null for plain TCP. messages: --messages-file, or not open.
  Smsc(uv_loop_t* loop, const Options& options, std::shared_ptr<const net::TlsContext> tls,
       MessageLog& messages);
  ~Smsc();
  Smsc(const Smsc&) = delete;
  Smsc& operator=(const Smsc&) = delete;

  // Listens on options.host:options.port and starts the stats timer. Returns the port bound
  // (options.port may be 0), or -1 after printing why not (then Stop() and run the loop).
  int Listen();

  // Writes the stats file, closes every client and every handle; the loop then ends.
  void Stop();

  // The stats file now (SIGUSR1, start, stop).
  void WriteStats();
  // SIGUSR2: the --mo-file's messages, sent to bound receivers (smsc_mo.cc).
  void InjectMo();

 private:
  // smsc.cc
  void OnConnection(int status);
  void OnConnected(Client* c, int status, const std::string& detail);
  void OnRead(Client* c, std::string_view fresh);
  size_t HandleBytes(Client* c, std::string_view buf, bool* close_after);
  void HandlePdu(Client* c, const smpp::Pdu& p);
  void HandleBind(Client* c, const smpp::Pdu& p);
  void Append(Client* c, const smpp::Pdu& p);
  void Flush();
  void OnWritten(Client* c, size_t queued);
  void CloseAfterFlush(Client* c);
  void CloseClient(Client* c);
  void ExpireReassembly();
  // smsc_submit.cc
  void HandleSubmit(Client* c, const smpp::Pdu& p);
  uint32_t SubmitStatus(Client* c, const smpp::ShortMessage& sm);
  void TrackMessage(const Client* c, const smpp::ShortMessage& sm);
  void RecordMessage(const Client* c, const smpp::ShortMessage& sm, PartMethod method, int parts,
                     std::string_view text);
  Receipt MakeReceipt(const Client* c, const smpp::ShortMessage& sm, uint64_t id_number,
                      const std::string& message_id);
  bool SendReceipt(const Receipt& r);
  // smsc_mo.cc
  void SendWaitingMo();
  bool AckMo(Client* c, uint32_t seq);

  uv_loop_t* loop_;
  const Options& options_;
  std::shared_ptr<const net::TlsContext> tls_;
  MessageLog& messages_;
  Counters counters_;
  StatsFile stats_file_;
  DueQueue due_;
  Reassembler reassembler_;
  uv_tcp_t server_;
  uv_timer_t stats_timer_;
  std::unordered_map<uint64_t, Client*> clients_;
  std::unordered_set<uint64_t> dirty_;  // clients with bytes in `out`
  uint64_t next_client_ = 1;
  uint64_t next_message_id_ = 0;  // random start: ids stay distinct across simulator restarts
  uint64_t injection_seq_ = 0;    // submits eligible for --msgqful-every / --temp-error-every
  uint64_t receipts_made_ = 0;    // for --garbage-receipt-every
  size_t next_receiver_ = 0;      // round robin over a system_id's receivers
  std::vector<Client*> receivers_;  // SendReceipt's scratch list, reused for every receipt
  std::deque<smpp::ShortMessage> mo_waiting_;  // parts to send (again) once a receiver is bound
  uint16_t next_mo_ref_ = 1;
  bool stopping_ = false;
};

}  // namespace sd::smsc_sim
