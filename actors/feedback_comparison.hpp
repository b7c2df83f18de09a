// feedback_comparison.hpp: two model versions side by side, from the feedback on their
// answers (feedback_ledger.hpp): which is better, and how sure that is.
//
// Accuracy (label feedback): the difference of two proportions with its 95% Wald interval,
// d ± 1.96 sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2). Mean absolute error (expected values):
// the difference of two means with Welch's standard error. A version is called better only
// when the interval excludes 0; with fewer than 2 answers on a side nothing is called.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace hogar {

/// One version's figures: outcome_stats with the rows of every graph serving it summed.
using version_outcome = outcome_stats;

/// Share of the labelled answers that were right; nullopt without labels.
std::optional<double> accuracy(const outcome_stats& o);
/// Mean of the scored answers' mean absolute errors; nullopt without any.
std::optional<double> mean_error(const outcome_stats& o);
/// Mean latency of the answers with feedback, milliseconds (0 without any).
double mean_latency_ms(const outcome_stats& o);

/// `candidate` against `baseline`: difference and its 95% interval, in accuracy (fraction)
/// or in mean absolute error, whichever both have.
struct version_difference {
  std::int64_t baseline = 0;
  std::int64_t candidate = 0;
  /// "accuracy" or "mean absolute error".
  std::string measure;
  double difference = 0;
  double low = 0;
  double high = 0;
  /// +1: the candidate is better (higher accuracy, lower error), -1: worse, 0: not known.
  int verdict = 0;
};

/// The rows of `outcomes` whose model is `model`, one per version, by version.
std::vector<version_outcome> outcomes_of(const std::string& model,
                                         const std::vector<outcome_stats>& outcomes);

/// Each version after the first against the first (the lowest version); nullopt for a pair
/// without enough feedback of one kind on both sides.
std::vector<std::optional<version_difference>> compare_versions(
  const std::vector<version_outcome>& versions);

} // namespace hogar
