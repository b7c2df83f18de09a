// feedback_comparison_test.cpp: versions compared from their feedback, and the A/B target of
// issue 14: a 50/50 split between versions 5 points apart is called right after 2000 labels.
#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

#include "actors/feedback_comparison.hpp"
#include "actors/feedback_ledger.hpp"
#include "scheduling/splitmix64.hpp"

namespace hogar::test {
namespace {

outcome_stats labelled(std::string graph_op, std::int64_t version, std::uint64_t n,
                       std::uint64_t correct) {
  outcome_stats r;
  r.op = std::move(graph_op);
  r.model = "classifier";
  r.version = version;
  r.count = r.labelled = n;
  r.correct = correct;
  r.latency_ns = static_cast<std::int64_t>(n) * 2'000'000;
  return r;
}

/// Versions 1 and 2 split 50/50, right with probability 0.85 and 0.90: `labels` answers go
/// through a feedback ledger, each labelled with the truth the seed draws.
std::vector<version_outcome> ab_experiment(std::uint64_t seed, int labels) {
  feedback_ledger ledger;
  scheduling::splitmix64 rng{seed};
  for (int i = 0; i < labels; ++i) {
    const std::int64_t v = rng.uniform() < 0.5 ? 1 : 2;
    const bool right = rng.uniform() < (v == 1 ? 0.85 : 0.90);
    // The answer predicts class 0 (of two); the truth is 0 when the version was right.
    record answer{{"probabilities", tensor::from_values<float>({2}, std::vector<float>{0.7f, 0.3f})}};
    auto id = std::to_string(i);
    ledger.remember(id, answer, {served_by{"classifier", "classifier", v}}, 1'000'000, 0);
    feedback f;
    f.id = id;
    f.has_label = true;
    f.label = right ? 0 : 1;
    REQUIRE(ledger.score(f, 0).has_value());
  }
  return outcomes_of("classifier", ledger.outcomes());
}

} // namespace

TEST_CASE("a model's versions are summed over the graphs that serve it and compared with the lowest") {
  std::vector<outcome_stats> rows{
    labelled({}, 0, 900, 700),  // the graph's row: not a version
    labelled("a", 2, 300, 270), labelled("a", 1, 300, 240), labelled("b", 2, 100, 90),
    labelled("b", 1, 100, 80),  labelled("c", 3, 1, 1)};
  rows.push_back(rows[1]);
  rows.back().model = "other";
  auto versions = outcomes_of("classifier", rows);
  REQUIRE(versions.size() == 3);
  CHECK(versions[0].version == 1);
  CHECK(versions[0].labelled == 400);
  CHECK(versions[0].correct == 320);
  CHECK(*accuracy(versions[0]) == doctest::Approx(0.8));
  CHECK(mean_latency_ms(versions[0]) == doctest::Approx(2.0));
  CHECK(*accuracy(versions[1]) == doctest::Approx(0.9));
  auto diffs = compare_versions(versions);
  REQUIRE(diffs.size() == 2);
  REQUIRE(diffs[0].has_value());
  CHECK(diffs[0]->measure == "accuracy");
  CHECK(diffs[0]->difference == doctest::Approx(0.1));
  // se = sqrt(.8 * .2 / 400 + .9 * .1 / 400) = 0.025
  CHECK(diffs[0]->low == doctest::Approx(0.1 - 1.96 * 0.025).epsilon(1e-3));
  CHECK(diffs[0]->verdict == 1);
  // Version 3 has one label: nothing is called.
  CHECK_FALSE(diffs[1].has_value());
}

TEST_CASE("mean absolute errors are compared with Welch's interval, a lower error being better") {
  version_outcome a, b;
  a.version = 1;
  b.version = 2;
  for (double e : {1.0, 1.2, 0.8, 1.1, 0.9}) {
    ++a.scored;
    a.error_sum += e;
    a.error_square_sum += e * e;
  }
  for (double e : {0.5, 0.6, 0.4, 0.55, 0.45}) {
    ++b.scored;
    b.error_sum += e;
    b.error_square_sum += e * e;
  }
  auto diffs = compare_versions({a, b});
  REQUIRE(diffs[0].has_value());
  CHECK(diffs[0]->measure == "mean absolute error");
  CHECK(diffs[0]->difference == doctest::Approx(-0.5));
  CHECK(diffs[0]->high < 0);
  CHECK(diffs[0]->verdict == 1);
  // Equal versions: the interval holds 0 and nothing is called.
  auto same = compare_versions({a, a});
  REQUIRE(same[0].has_value());
  CHECK(same[0]->verdict == 0);
}

TEST_CASE("a 50/50 split between versions 5 points apart is called right after 2000 labels, and never the wrong way") {
  int right = 0, wrong = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    auto versions = ab_experiment(seed, 2000);
    REQUIRE(versions.size() == 2);
    auto diffs = compare_versions(versions);
    REQUIRE(diffs[0].has_value());
    right += diffs[0]->verdict == 1 ? 1 : 0;
    wrong += diffs[0]->verdict == -1 ? 1 : 0;
  }
  // The interval's power for 5 points at n = 1000 a side is about 0.9.
  INFO("called right in ", right, " of 20 experiments");
  CHECK(right >= 16);
  CHECK(wrong == 0);
  // With ten times fewer labels the interval is too wide to call it.
  int early = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    auto diffs = compare_versions(ab_experiment(seed, 200));
    early += diffs[0] && diffs[0]->verdict == 1 ? 1 : 0;
  }
  CHECK(early < right);
}

} // namespace hogar::test
