// PolicySlot under threads (STYLE habit 7): readers load snapshots while writers swap them with
// Update(); no update is lost, every reader sees a whole snapshot, and every snapshot is freed.
// Run under ThreadSanitizer by scripts/test.sh with the limiter tests.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/policy_snapshot.h"

namespace sd {
namespace {

TEST(PolicySlotMt, ConcurrentUpdatesAreNeverLostAndReadersSeeWholeSnapshots) {
  PolicyParts start;
  start.decision.max_segments = 0;
  start.decision.max_future_skew_ms = 0;
  PolicySlot slot(PolicySnapshot::Make(start));
  constexpr int kWriters = 2;
  constexpr int kUpdates = 2000;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::shared_ptr<const PolicySnapshot> p = slot.Load();
        // Every writer keeps the two fields equal: a mix of two snapshots would differ.
        if (p->decision().max_segments != p->decision().max_future_skew_ms) ++torn;
        ++reads;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kUpdates; ++i) {
        slot.Update([](const PolicySnapshot& cur) {
          PolicyParts p = cur.parts();
          p.decision.max_segments += 1;  // counts the updates applied
          p.decision.max_future_skew_ms = p.decision.max_segments;
          return p;
        });
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  const auto last = slot.Load();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(last->decision().max_segments, kWriters * kUpdates);
  EXPECT_EQ(last->generation(), static_cast<uint64_t>(kWriters * kUpdates));
  EXPECT_EQ(last.use_count(), 2);  // the slot and `last`: no snapshot leaked a reference
}

// The hot path's reader: each thread's Reader sees whole snapshots, never an older one after a
// newer one, and the final snapshot once the writers are done.
TEST(PolicySlotMt, ReadersCachingTheirSnapshotSeeEverySwapInOrder) {
  PolicyParts start;
  start.decision.max_segments = 0;
  start.decision.max_future_skew_ms = 0;
  PolicySlot slot(PolicySnapshot::Make(start));
  constexpr int kUpdates = 3000;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, backwards{0}, reloads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      PolicySlot::Reader reader(slot);
      uint64_t last_gen = 0;
      const PolicySnapshot* last = nullptr;
      while (!stop.load(std::memory_order_acquire)) {
        const PolicySnapshot& p = *reader.Current();
        if (p.decision().max_segments != p.decision().max_future_skew_ms) ++torn;
        if (p.generation() < last_gen) ++backwards;
        if (&p != last) ++reloads;
        last_gen = p.generation();
        last = &p;
      }
      // After the writers stopped (acquire above), the reader sees the last swap.
      if (reader.Current()->generation() != static_cast<uint64_t>(kUpdates)) ++torn;
    });
  }
  std::thread writer([&] {
    for (int i = 0; i < kUpdates; ++i) {
      slot.Update([](const PolicySnapshot& cur) {
        PolicyParts p = cur.parts();
        p.decision.max_segments += 1;
        p.decision.max_future_skew_ms = p.decision.max_segments;
        return p;
      });
    }
  });
  writer.join();
  stop.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u);
  EXPECT_GT(reloads.load(), 0u);
  EXPECT_EQ(slot.Load().use_count(), 2);  // readers are gone: only the slot and this copy
}

}  // namespace
}  // namespace sd
