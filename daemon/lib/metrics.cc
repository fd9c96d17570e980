#include "daemon/lib/metrics.h"

#include <fmt/format.h>

#include <unordered_map>

namespace sd {
namespace {

constexpr size_t kMaxLabelValue = 128;

std::string_view TypeWord(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline (the catalog has neither, but stay correct).
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendSeries(std::string& out, std::string_view name, std::string_view labels,
                  std::string_view extra_label = {}) {
  out.append(name);
  if (labels.empty() && extra_label.empty()) return;
  out += '{';
  out.append(labels);
  if (!labels.empty() && !extra_label.empty()) out += ',';
  out.append(extra_label);
  out += '}';
}

void AppendHistogram(std::string& out, const MetricSet::Histogram& h) {
  const std::string bucket = h.family + "_bucket";
  for (size_t i = 0; i < LatencyHistogram::kBoundsUs.size(); ++i) {
    AppendSeries(
        out, bucket, h.labels,
        fmt::format("le=\"{}\"", static_cast<double>(LatencyHistogram::kBoundsUs[i]) / 1e6));
    out += fmt::format(" {}\n", h.h.CumulativeCount(i));
  }
  AppendSeries(out, bucket, h.labels, "le=\"+Inf\"");
  out += fmt::format(" {}\n", h.h.count());
  AppendSeries(out, h.family + "_sum", h.labels);
  out += fmt::format(" {}\n", static_cast<double>(h.h.sum_us()) / 1e6);
  AppendSeries(out, h.family + "_count", h.labels);
  out += fmt::format(" {}\n", h.h.count());
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, kMaxLabelValue)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelPair(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  out += EscapeLabelValue(value);
  out += '"';
  return out;
}

void MetricSet::Add(std::string family, std::string labels, int64_t value, std::string flat,
                    double scale) {
  samples_.push_back(Sample{std::move(family), std::move(labels), value, scale, std::move(flat)});
}

void MetricSet::AddHistogram(std::string family, std::string labels, const LatencyHistogram& h) {
  histograms_.push_back(Histogram{std::move(family), std::move(labels), h});
}

std::string MetricSet::Exposition() const {
  std::unordered_map<std::string_view, std::vector<const Sample*>> by_family;
  for (const Sample& s : samples_) {
    if (!s.family.empty()) by_family[s.family].push_back(&s);
  }
  std::unordered_map<std::string_view, std::vector<const Histogram*>> histograms;
  for (const Histogram& h : histograms_) histograms[h.family].push_back(&h);
  std::string out;
  out.reserve(64 * 1024);
  for (const MetricFamilyInfo& f : MetricCatalog()) {
    const auto s = by_family.find(f.name);
    const auto h = histograms.find(f.name);
    if (s == by_family.end() && h == histograms.end()) continue;
    out += "# HELP ";
    out.append(f.name);
    out += ' ';
    AppendHelp(out, f.help);
    out += "\n# TYPE ";
    out.append(f.name);
    out += ' ';
    out.append(TypeWord(f.type));
    out += '\n';
    if (s != by_family.end()) {
      for (const Sample* x : s->second) {
        AppendSeries(out, x->family, x->labels);
        if (x->scale == 1.0) {
          out += fmt::format(" {}\n", x->value);
        } else {
          out += fmt::format(" {}\n", static_cast<double>(x->value) * x->scale);
        }
      }
    }
    if (h != histograms.end()) {
      for (const Histogram* x : h->second) AppendHistogram(out, *x);
    }
  }
  return out;
}

std::vector<std::string> MetricSet::HashFields(int64_t now_ms) const {
  std::vector<std::string> f{"ts", std::to_string(now_ms)};
  f.reserve(2 * samples_.size() + 2);
  for (const Sample& s : samples_) {
    if (s.flat.empty()) continue;
    f.push_back(s.flat);
    f.push_back(std::to_string(s.value));
  }
  return f;
}

}  // namespace sd
