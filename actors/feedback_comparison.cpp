// feedback_comparison.cpp: see feedback_comparison.hpp.
#include "actors/feedback_comparison.hpp"

#include <algorithm>
#include <cmath>

namespace hogar {

namespace {

constexpr double z95 = 1.959963984540054;

/// A sample variance of the mean absolute errors (0 for a single value).
double error_variance(const version_outcome& v) {
  if (v.scored < 2)
    return 0;
  const double n = static_cast<double>(v.scored);
  const double mean = v.error_sum / n;
  return std::max(0.0, (v.error_square_sum - n * mean * mean) / (n - 1));
}

} // namespace

std::optional<double> accuracy(const outcome_stats& o) {
  if (o.labelled == 0)
    return std::nullopt;
  return static_cast<double>(o.correct) / static_cast<double>(o.labelled);
}

std::optional<double> mean_error(const outcome_stats& o) {
  if (o.scored == 0)
    return std::nullopt;
  return o.error_sum / static_cast<double>(o.scored);
}

double mean_latency_ms(const outcome_stats& o) {
  return o.count == 0 ? 0.0
                      : static_cast<double>(o.latency_ns) / static_cast<double>(o.count) / 1e6;
}

std::vector<version_outcome> outcomes_of(const std::string& model,
                                         const std::vector<outcome_stats>& outcomes) {
  std::vector<version_outcome> out;
  for (auto& row : outcomes) {
    if (row.op.empty() || row.model != model)
      continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](auto& v) { return v.version == row.version; });
    if (it == out.end()) {
      out.push_back({});
      it = std::prev(out.end());
      it->model = model;
      it->version = row.version;
    }
    it->count += row.count;
    it->labelled += row.labelled;
    it->correct += row.correct;
    it->scored += row.scored;
    it->error_sum += row.error_sum;
    it->error_square_sum += row.error_square_sum;
    it->latency_ns += row.latency_ns;
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version < b.version; });
  return out;
}

std::vector<std::optional<version_difference>> compare_versions(
  const std::vector<version_outcome>& versions) {
  std::vector<std::optional<version_difference>> out;
  if (versions.empty())
    return out;
  const auto& base = versions.front();
  for (std::size_t i = 1; i < versions.size(); ++i) {
    const auto& v = versions[i];
    version_difference d;
    d.baseline = base.version;
    d.candidate = v.version;
    if (base.labelled >= 2 && v.labelled >= 2) {
      const double p1 = *accuracy(base), p2 = *accuracy(v);
      const double se = std::sqrt(p1 * (1 - p1) / static_cast<double>(base.labelled) +
                                  p2 * (1 - p2) / static_cast<double>(v.labelled));
      d.measure = "accuracy";
      d.difference = p2 - p1;
      d.low = d.difference - z95 * se;
      d.high = d.difference + z95 * se;
      d.verdict = d.low > 0 ? 1 : d.high < 0 ? -1 : 0;
    } else if (base.scored >= 2 && v.scored >= 2) {
      const double se = std::sqrt(error_variance(base) / static_cast<double>(base.scored) +
                                  error_variance(v) / static_cast<double>(v.scored));
      d.measure = "mean absolute error";
      d.difference = *mean_error(v) - *mean_error(base);
      d.low = d.difference - z95 * se;
      d.high = d.difference + z95 * se;
      // A lower error is better.
      d.verdict = d.high < 0 ? 1 : d.low > 0 ? -1 : 0;
    } else {
      out.push_back(std::nullopt);
      continue;
    }
    out.push_back(d);
  }
  return out;
}

} // namespace hogar
