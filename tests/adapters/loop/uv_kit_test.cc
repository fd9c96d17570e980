#include "adapters/loop/uv_kit.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/uv_test_loop.h"

namespace sd::loop {
namespace {

TEST(CloseAll, OneCallbackAfterTheLastClose) {
  testing::UvTestLoop loop;
  uv_timer_t a, b;
  uv_idle_t c;
  uv_timer_init(loop.get(), &a);
  uv_timer_init(loop.get(), &b);
  uv_idle_init(loop.get(), &c);
  int calls = 0;
  CloseAll({AsHandle(&a), AsHandle(&b), AsHandle(&c)}, [&] { ++calls; });
  EXPECT_EQ(calls, 0);  // close callbacks run on the loop, not inline
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_EQ(calls, 1);
}

TEST(CloseAll, HandlesAlreadyClosingAreSkipped) {
  testing::UvTestLoop loop;
  uv_timer_t a, b;
  uv_timer_init(loop.get(), &a);
  uv_timer_init(loop.get(), &b);
  uv_close(AsHandle(&a), nullptr);
  int calls = 0;
  CloseAll({AsHandle(&a), AsHandle(&b)}, [&] { ++calls; });
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_EQ(calls, 1);
}

TEST(CloseAll, NothingToCloseCallsAtOnce) {
  int calls = 0;
  CloseAll(std::vector<uv_handle_t*>{}, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(NextTurn, RunsAfterTheCallInOrderAndNotInline) {
  testing::UvTestLoop loop;
  NextTurn next(loop.get());
  std::vector<int> ran;
  EXPECT_TRUE(next.Post([&] {
    ran.push_back(1);
    next.Post([&] { ran.push_back(3); });  // posted while running: a later turn
  }));
  EXPECT_TRUE(next.Post([&] { ran.push_back(2); }));
  EXPECT_TRUE(ran.empty());
  ASSERT_TRUE(loop.RunUntil([&] { return ran.size() == 3; }));
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  CloseAll({next.handle()}, [] {});
  EXPECT_TRUE(next.closed());
  EXPECT_FALSE(next.Post([&] { ran.push_back(4); }));  // refused once closed
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);        // an idle NextTurn keeps nothing alive
  EXPECT_EQ(ran.size(), 3u);
}

TEST(NextTurn, DrainRunsEverythingInline) {
  testing::UvTestLoop loop;
  NextTurn next(loop.get());
  int n = 0;
  next.Post([&] {
    ++n;
    next.Post([&] { ++n; });
  });
  next.Drain();
  EXPECT_EQ(n, 2);
  CloseAll({next.handle()}, [] {});
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
}

}  // namespace
}  // namespace sd::loop
