// OptOutSet (core/optout_set.h): a sorted base plus an overlay of changes, merged when the
// overlay outgrows its bound; the number and scope codes its keys are made of.
#include "core/optout_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sd {
namespace {

OptOutKey Key(std::string_view scope, std::string_view number) {
  std::optional<OptOutKey> k = MakeOptOutKey(scope, number);
  EXPECT_TRUE(k.has_value()) << scope << " " << number;
  return k.value_or(OptOutKey{});
}

// The i-th of a family of distinct keys (a few scopes, many numbers).
OptOutKey Nth(uint64_t i) {
  static const char* const kScopes[] = {"*", "s:acme", "g:brand", "s:4915112345"};
  return Key(kScopes[i % 4], "+44770" + std::to_string(1'000'000 + i / 4));
}

OptOutEdit Add(const OptOutKey& k) { return {k, true}; }
OptOutEdit Remove(const OptOutKey& k) { return {k, false}; }

TEST(OptOutCodes, NumberCode) {
  for (const char* bad : {"123", "+", "", "+1234567890123456", "+12a", "++12", "+ 12", "12+", "+-1",
                          "4477009001234"}) {
    EXPECT_FALSE(NumberCode(bad).has_value()) << bad;
  }
  ASSERT_TRUE(NumberCode("+1").has_value());
  ASSERT_TRUE(NumberCode("+01").has_value());
  ASSERT_TRUE(NumberCode("+123456789012345").has_value()) << "15 digits is the most";
  EXPECT_NE(*NumberCode("+1"), *NumberCode("+01"));
  EXPECT_NE(*NumberCode("+1"), *NumberCode("+001"));
  EXPECT_NE(*NumberCode("+447700900123"), *NumberCode("+0447700900123"));
  EXPECT_EQ(*NumberCode("+447700900123"), *NumberCode("+447700900123"));
  EXPECT_NE(*NumberCode("+447700900123"), *NumberCode("+447700900124"));
  EXPECT_NE(*NumberCode("+999999999999999"), *NumberCode("+99999999999999"));
  EXPECT_FALSE(MakeOptOutKey("s:acme", "447700900123").has_value());
  EXPECT_FALSE(MakeOptOutKey("s:acme", "+4477a").has_value());
}

TEST(OptOutCodes, ScopeHashTellsScopesApart) {
  EXPECT_EQ(ScopeHash("s:acme"), ScopeHash("s:acme"));
  EXPECT_NE(ScopeHash("s:acme"), ScopeHash("g:acme"));
  EXPECT_NE(ScopeHash("*"), ScopeHash(""));
  EXPECT_NE(ScopeHash("s:acme"), ScopeHash("s:acmf"));
  EXPECT_NE(Key("s:acme", "+447700900123"), Key("s:acme", "+447700900124"));
  EXPECT_NE(Key("s:acme", "+447700900123"), Key("*", "+447700900123"));
}

TEST(OptOutSet, BuildDedupsAndContains) {
  const OptOutKey a = Key("s:acme", "+447700900123"), b = Key("*", "+447700900123"),
                  c = Key("g:brand", "+4915112345678");
  auto set = OptOutSet::Build({a, b, a, c, b, a});
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->overlay_size(), 0u);
  EXPECT_TRUE(set->Contains(a));
  EXPECT_TRUE(set->Contains(b));
  EXPECT_TRUE(set->Contains(c));
  EXPECT_FALSE(set->Contains(Key("s:acme", "+4915112345678")));
  EXPECT_FALSE(set->Contains(Key("s:other", "+447700900123")));
  auto empty = OptOutSet::Build({});
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_FALSE(empty->Contains(a));
}

TEST(OptOutSet, WithAddsAndRemovesAndLeavesTheOldSetAlone) {
  const OptOutKey a = Key("s:acme", "+447700900123"), b = Key("*", "+447700900123"),
                  c = Key("g:brand", "+4915112345678");
  auto v1 = OptOutSet::Build({a, b});
  auto v2 = v1->With({Add(c), Remove(a)});
  EXPECT_EQ(v2->size(), 2u);
  EXPECT_FALSE(v2->Contains(a));
  EXPECT_TRUE(v2->Contains(b));
  EXPECT_TRUE(v2->Contains(c));
  EXPECT_EQ(v1->size(), 2u);
  EXPECT_TRUE(v1->Contains(a));
  EXPECT_FALSE(v1->Contains(c));
  auto v3 = v2->With({Add(a), Remove(c)});  // each undone
  EXPECT_EQ(v3->size(), 2u);
  EXPECT_TRUE(v3->Contains(a));
  EXPECT_FALSE(v3->Contains(c));
  EXPECT_EQ(v3->overlay_size(), 0u) << "an edit saying what the base says is dropped";
  auto v4 = v3->With({});
  EXPECT_EQ(v4->size(), 2u);
  EXPECT_TRUE(v4->Contains(a) && v4->Contains(b));
}

TEST(OptOutSet, TheLaterEditOfAKeyInOneBatchWins) {
  const OptOutKey a = Key("s:acme", "+447700900123"), b = Key("*", "+447700900123");
  auto set = OptOutSet::Build({b});
  auto added = set->With({Add(a), Remove(a), Add(a)});
  EXPECT_TRUE(added->Contains(a));
  EXPECT_EQ(added->size(), 2u);
  auto removed = set->With({Add(a), Remove(a)});
  EXPECT_FALSE(removed->Contains(a));
  EXPECT_EQ(removed->size(), 1u);
  auto base_removed = set->With({Remove(b), Add(b), Remove(b)});
  EXPECT_FALSE(base_removed->Contains(b));
  EXPECT_EQ(base_removed->size(), 0u);
  // And across batches: the newer batch wins over the overlay.
  auto again = removed->With({Add(a)})->With({Remove(a)})->With({Add(a)});
  EXPECT_TRUE(again->Contains(a));
  EXPECT_EQ(again->size(), 2u);
}

TEST(OptOutSet, SizeStaysExactForNoOpEdits) {
  const OptOutKey a = Key("s:acme", "+447700900123"), b = Key("*", "+447700900123"),
                  c = Key("g:brand", "+4915112345678");
  auto set = OptOutSet::Build({a});
  EXPECT_EQ(set->With({Add(a)})->size(), 1u) << "adding a key of the base";
  EXPECT_EQ(set->With({Remove(c)})->size(), 1u) << "removing an absent key";
  auto with_b = set->With({Add(b)});
  EXPECT_EQ(with_b->size(), 2u);
  EXPECT_EQ(with_b->With({Add(b)})->size(), 2u) << "adding a key of the overlay";
  EXPECT_EQ(with_b->With({Add(b), Add(b), Remove(c), Remove(c)})->size(), 2u);
  auto no_a = with_b->With({Remove(a)});
  EXPECT_EQ(no_a->size(), 1u);
  EXPECT_EQ(no_a->With({Remove(a)})->size(), 1u) << "removing a key the overlay removed";
  EXPECT_FALSE(no_a->With({Remove(a)})->Contains(a));
}

TEST(OptOutSet, ALargeOverlayIsMergedIntoTheBase) {
  constexpr uint64_t kEdits = 2 * OptOutSet::kMinOverlay;
  auto set = OptOutSet::Build({Nth(0), Nth(1), Nth(2)});
  std::set<OptOutKey> model = {Nth(0), Nth(1), Nth(2)};
  size_t max_overlay = 0;
  bool merged = false;
  for (uint64_t batch = 0; batch * 1000 < kEdits; ++batch) {
    std::vector<OptOutEdit> edits;
    for (uint64_t i = batch * 1000; i < std::min(kEdits, (batch + 1) * 1000); ++i) {
      // Mostly additions of new keys; every 10th removes an earlier one.
      if (i % 10 == 3 && i > 10) {
        edits.push_back(Remove(Nth(i / 2)));
        model.erase(Nth(i / 2));
      } else {
        edits.push_back(Add(Nth(i + 3)));
        model.insert(Nth(i + 3));
      }
    }
    const size_t before = set->overlay_size();
    set = set->With(edits);
    max_overlay = std::max(max_overlay, set->overlay_size());
    if (set->overlay_size() < before) merged = true;
    ASSERT_EQ(set->size(), model.size()) << "after batch " << batch;
  }
  EXPECT_TRUE(merged) << "the overlay never shrank";
  EXPECT_LE(max_overlay, OptOutSet::kMinOverlay);
  EXPECT_LT(set->overlay_size(), OptOutSet::kMinOverlay);
  for (uint64_t i = 0; i < kEdits + 10; ++i) {
    EXPECT_EQ(set->Contains(Nth(i)), model.count(Nth(i)) == 1) << i;
  }
}

TEST(OptOutSet, RandomEditsAgreeWithAStdSet) {
  std::mt19937_64 rng(20261204);
  constexpr uint64_t kUniverse = 12'000;  // keys Nth(0..kUniverse-1)
  std::vector<OptOutKey> initial;
  std::set<OptOutKey> model;
  for (uint64_t i = 0; i < 3000; ++i) {
    const OptOutKey k = Nth(rng() % kUniverse);
    initial.push_back(k);
    model.insert(k);
  }
  auto set = OptOutSet::Build(initial);
  ASSERT_EQ(set->size(), model.size());
  size_t operations = 0, merges = 0;
  while (operations < 20'000) {
    // Batches of 1 to 600 edits, so the overlay grows through many versions before it merges.
    const size_t n = 1 + rng() % 600;
    std::vector<OptOutEdit> edits;
    for (size_t i = 0; i < n; ++i) {
      const OptOutKey k = Nth(rng() % kUniverse);
      const bool add = rng() % 2 == 0;
      edits.push_back({k, add});
      if (add) {
        model.insert(k);
      } else {
        model.erase(k);
      }
    }
    operations += n;
    const size_t before = set->overlay_size();
    set = set->With(edits);
    if (set->overlay_size() < before) ++merges;
    ASSERT_EQ(set->size(), model.size()) << "after " << operations << " operations";
    for (int probe = 0; probe < 50; ++probe) {
      const OptOutKey k = Nth(rng() % kUniverse);
      ASSERT_EQ(set->Contains(k), model.count(k) == 1) << "after " << operations;
    }
  }
  EXPECT_GT(merges, 0u);
  for (uint64_t i = 0; i < kUniverse; ++i) {
    ASSERT_EQ(set->Contains(Nth(i)), model.count(Nth(i)) == 1) << i;
  }
}

}  // namespace
}  // namespace sd
