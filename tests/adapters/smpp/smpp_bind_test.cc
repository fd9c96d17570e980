// One SmppBind on its own against the real smsc-sim: it binds, a part goes out and is
// accepted, Close() completes with every handle closed; parts queued when Close() is called
// complete once, as temporary, before its callback.
#include "adapters/smpp/smpp_bind.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

#ifdef SD_SMSC_SIM

SmppBindOptions Options(int port) {
  SmppBindOptions o;
  o.name = "t#0";
  o.port = port;
  o.session.system_id = "test";
  o.session.password = "secret";
  o.reconnect_initial_ms = 50;
  o.reconnect_max_ms = 200;
  return o;
}

ShortMessage Part() {
  ShortMessage sm;
  sm.source_addr = "ACME";
  sm.destination_addr = "4915112345678";
  sm.short_message = "hello";
  return sm;
}

TEST(SmppBind, BindsSubmitsAndClosesWithEveryHandleClosed) {
  testing::TempDir dir{"sd-bind"};
  testing::Subprocess sim;
  testing::SubprocessOptions so;
  so.argv = {SD_SMSC_SIM, "--host",      "127.0.0.1",      "--port",
             "0",         "--port-file", dir.File("port"), "--system-id",
             "test",      "--password",  "secret",         "--receipt-delay-ms",
             "-1"};
  so.log_path = dir.File("sim.log");
  ASSERT_TRUE(sim.Start(std::move(so))) << sim.error();
  for (int i = 0; i < 1000 && testing::ReadTextFile(dir.File("port")).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polled with a bound
  }
  const int port = std::atoi(testing::ReadTextFile(dir.File("port")).c_str());
  ASSERT_GT(port, 0) << testing::ReadTextFile(dir.File("sim.log"));

  testing::UvTestLoop loop;
  auto bind = std::make_unique<SmppBind>(loop.get(), Options(port));
  bind->Start();
  ASSERT_TRUE(loop.RunUntil([&] { return bind->bound(); }));
  std::vector<PartResult> results;
  bind->Enqueue(Part(), nullptr, [&](PartResult r) { results.push_back(std::move(r)); });
  EXPECT_TRUE(results.empty());  // never inside Enqueue
  ASSERT_TRUE(loop.RunUntil([&] { return results.size() == 1; }));
  EXPECT_EQ(results[0].kind, PartResult::Kind::kAccepted);
  EXPECT_FALSE(results[0].message_id.empty());
  EXPECT_EQ(bind->counters().accepted, 1u);
  bool closed = false;
  bind->Close([&] { closed = true; });
  ASSERT_TRUE(loop.RunUntil([&] { return closed; }));
  bind.reset();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
}

TEST(SmppBind, PartsQueuedAtCloseFailTemporaryOnceBeforeTheCallback) {
  testing::UvTestLoop loop;
  // Nothing listens on port 1: the bind is connecting when Close() comes.
  auto bind = std::make_unique<SmppBind>(loop.get(), Options(1));
  bind->Start();
  std::vector<PartResult::Kind> kinds;
  bool closed_with_all_parts_done = false;
  for (int i = 0; i < 2; ++i) {
    bind->Enqueue(Part(), nullptr, [&](PartResult r) { kinds.push_back(r.kind); });
  }
  EXPECT_TRUE(kinds.empty());  // never inside Enqueue
  bind->Close([&] { closed_with_all_parts_done = kinds.size() == 2; });
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(closed_with_all_parts_done);
  EXPECT_EQ(kinds, (std::vector<PartResult::Kind>{PartResult::Kind::kTemporary,
                                                  PartResult::Kind::kTemporary}));
  bind.reset();
}

#endif

}  // namespace
}  // namespace sd::smpp
