#pragma once
// The daemon's one counter model (docs/operations.md): every counter, gauge and histogram the
// daemon reports is put into one MetricSet per report by CollectMetrics (stats_report.cc),
// and the reports are views of it: the Prometheus text on the admin listener's /metrics, and
// the fields of the <prefix>stats:<consumer> hash that `smsdispatch stats` prints. A sample
// carries both its Prometheus family (with labels) and its flat hash field, so the two cannot
// disagree; the log lines read the same counter structs.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/latency_histogram.h"

namespace sd {

enum class MetricType { kCounter, kGauge, kHistogram };

// What the catalog (metrics_catalog.cc) says of a family: its type and HELP text.
struct MetricFamilyInfo {
  std::string_view name;
  MetricType type;
  std::string_view help;
};
// The family's entry, or null if the catalog does not have it (a test keeps that from
// happening for anything CollectMetrics emits).
const MetricFamilyInfo* FindMetricFamily(std::string_view name);
// Every family of the catalog, in the order /metrics lists them.
std::span<const MetricFamilyInfo> MetricCatalog();

// A label value as the exposition format wants it: backslash, double quote and newline
// escaped, bounded (a label value is never longer than 128 bytes).
std::string EscapeLabelValue(std::string_view v);

class MetricSet {
 public:
  struct Sample {
    std::string family;  // empty: in the stats hash only (e.g. an aggregate /metrics sums)
    std::string labels;  // rendered, e.g. carrier="acme"; empty for none
    int64_t value = 0;
    double scale = 1.0;  // /metrics shows value * scale (e.g. ms counted, seconds shown)
    std::string flat;    // the stats hash's field; empty: /metrics only
  };
  struct Histogram {
    std::string family;
    std::string labels;
    LatencyHistogram h;  // a copy: the report is consistent even if the loop moves on
  };

  // `labels` already rendered (LabelPair joins them).
  void Add(std::string family, std::string labels, int64_t value, std::string flat,
           double scale = 1.0);
  void AddHistogram(std::string family, std::string labels, const LatencyHistogram& h);

  const std::vector<Sample>& samples() const { return samples_; }
  const std::vector<Histogram>& histograms() const { return histograms_; }

  // The Prometheus text exposition (version 0.0.4): per family HELP and TYPE from the
  // catalog, then its samples in the order they were added; families in catalog order.
  std::string Exposition() const;
  // "ts", now_ms, then field, value for every sample with a flat name, in the order added.
  std::vector<std::string> HashFields(int64_t now_ms) const;

 private:
  std::vector<Sample> samples_;
  std::vector<Histogram> histograms_;
};

// name="escaped value"
std::string LabelPair(std::string_view name, std::string_view value);

}  // namespace sd
