#include "bench/e2e/sink_ceiling.h"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <vector>

#include "adapters/smpp/smpp_carrier.h"
#include "core/sms_text.h"

namespace sd::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The project's own SMPP client, bound to the simulator like the daemon's carrier.
std::unique_ptr<smpp::SmppCarrier> SinkCarrier(uv_loop_t* loop, const SinkSetup& s) {
  smpp::SmppCarrierOptions opt;
  opt.name = "sim";
  opt.host = "127.0.0.1";
  opt.port = s.port;
  opt.session.system_id = "bench";
  opt.session.password = "benchpw";
  opt.session.window = static_cast<size_t>(s.window);
  opt.session.registered_delivery = s.receipts ? 1 : 0;
  opt.transmit_binds = s.binds;
  return std::make_unique<smpp::SmppCarrier>(loop, opt);
}

// The texts of the runs (the same mix), encoded once: encoding is the daemon's work, not the
// simulator's, and is not what this measures.
std::vector<EncodedText> TextPool(const MessageMix& mix) {
  TextMaker texts(mix, 7);
  std::vector<EncodedText> pool;
  for (int i = 0; i < 64; ++i) {
    auto enc = EncodeText(texts.Next().text);
    if (enc.ok()) pool.push_back(*enc);
  }
  return pool;
}

// Closes the carrier and runs the loop until every handle is gone.
void CloseAndDrain(uv_loop_t* loop, std::unique_ptr<smpp::SmppCarrier> carrier) {
  bool closed = false;
  carrier->Close([&] { closed = true; });
  while (!closed && uv_run(loop, UV_RUN_ONCE) != 0) {
  }
  carrier.reset();
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
}

}  // namespace

SinkResult MeasureSinkCeiling(const SinkSetup& s) {
  SinkResult res;
  // The carrier logs each bind and unbind at info: noise in a report.
  spdlog::set_level(spdlog::level::warn);
  const std::vector<EncodedText> pool = TextPool(s.mix);
  uv_loop_t loop;
  if (pool.empty() || uv_loop_init(&loop) != 0) return res;
  std::unique_ptr<smpp::SmppCarrier> carrier = SinkCarrier(&loop, s);

  uint64_t next = 0, answered = 0;
  bool pumping = false;
  Clock::time_point start{}, last_submit{}, last_receipt{};
  auto pump = [&] {
    if (pumping) return;  // a completion inside Submit must not recurse
    pumping = true;
    while (next < s.jobs && carrier->Ready()) {
      if (next == 0) start = Clock::now();
      SubmitRequest req;
      char num[32];
      snprintf(num, sizeof num, "+4915%09llu", static_cast<unsigned long long>(next % 1'000'000));
      req.destination = num;
      req.sender = "BENCH";
      req.text = pool[next % pool.size()];
      req.want_receipt = s.receipts;
      ++next;
      carrier->Submit(std::move(req), [&](SubmitResult r) {
        ++answered;
        if (r.kind == SubmitResult::Kind::kAccepted) {
          ++res.accepted;
          res.parts += r.part_ids.empty() ? 1 : r.part_ids.size();
        }
        last_submit = Clock::now();
      });
    }
    pumping = false;
  };
  carrier->SetReadyHandler(pump);
  carrier->SetReceiptHandler([&](Receipt, std::function<void()> ack) {
    ++res.receipts;
    last_receipt = Clock::now();
    ack();
  });
  carrier->Start();
  const auto deadline =
      Clock::now() + std::chrono::seconds(30 + static_cast<int64_t>(s.jobs / 1000));
  while (Clock::now() < deadline) {
    pump();
    if (answered >= s.jobs && (!s.receipts || res.receipts >= res.parts)) break;
    uv_run(&loop, UV_RUN_ONCE);  // the carrier's tick timer wakes it at least every 100 ms
  }
  res.jobs = answered;
  const double submit_s = answered > 0 ? Seconds(start, last_submit) : 0;
  res.seconds = submit_s;
  res.submits_per_second = submit_s > 0 ? static_cast<double>(res.accepted) / submit_s : 0;
  res.parts_per_second = submit_s > 0 ? static_cast<double>(res.parts) / submit_s : 0;
  const double receipt_s = res.receipts > 0 ? Seconds(start, last_receipt) : 0;
  res.receipts_per_second = receipt_s > 0 ? static_cast<double>(res.receipts) / receipt_s : 0;
  CloseAndDrain(&loop, std::move(carrier));
  return res;
}

}  // namespace sd::bench
