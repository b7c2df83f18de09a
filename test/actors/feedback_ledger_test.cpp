// feedback_ledger_test.cpp: answers kept for feedback, scored against labels and expected
// values, per model version; bounded in time, count and bytes.
#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "actors/feedback_ledger.hpp"

namespace hogar::test {
namespace {

constexpr std::int64_t ms = 1'000'000;

record scores(std::vector<float> values) {
  return {{"scores", tensor::from_values<float>({static_cast<std::int64_t>(values.size())},
                                                values)}};
}

served_by version(std::int64_t v) { return served_by{"classifier", "classifier", v}; }

feedback label(std::string id, std::int64_t label) {
  feedback f;
  f.id = std::move(id);
  f.has_label = true;
  f.label = label;
  return f;
}

const outcome_stats* row_of(const feedback_ledger& ledger, std::int64_t version) {
  for (auto& r : ledger.outcomes())
    if (version == 0 ? r.op.empty() : r.version == version)
      return &r;
  return nullptr;
}

} // namespace

TEST_CASE("a label is compared with the answer's argmax and counted for the graph and the version that served it") {
  feedback_ledger ledger;
  ledger.remember("a", scores({0.1f, 0.7f, 0.2f}), {version(1)}, 4 * ms, 0);
  ledger.remember("b", scores({0.6f, 0.3f, 0.1f}), {version(2)}, 6 * ms, 0);
  ledger.remember("c", scores({0.2f, 0.2f, 0.6f}), {version(2)}, 2 * ms, 0);

  auto right = ledger.score(label("a", 1), 10 * ms);
  REQUIRE(right.has_value());
  CHECK(right->has_label);
  CHECK(right->predicted == 1);
  CHECK(right->correct);
  REQUIRE(right->served.size() == 1);
  CHECK(right->served[0].version == 1);
  auto wrong = ledger.score(label("b", 2), 10 * ms);
  REQUIRE(wrong.has_value());
  CHECK(wrong->predicted == 0);
  CHECK_FALSE(wrong->correct);
  REQUIRE(ledger.score(label("c", 2), 10 * ms).has_value());

  // The graph's row comes first and counts every answer; each version its own.
  REQUIRE(ledger.outcomes().size() == 3);
  CHECK(ledger.outcomes()[0].op.empty());
  auto* graph = row_of(ledger, 0);
  auto* v1 = row_of(ledger, 1);
  auto* v2 = row_of(ledger, 2);
  REQUIRE((graph && v1 && v2));
  CHECK(graph->count == 3);
  CHECK(graph->labelled == 3);
  CHECK(graph->correct == 2);
  CHECK(graph->latency_ns == 12 * ms);
  CHECK(v1->labelled == 1);
  CHECK(v1->correct == 1);
  CHECK(v2->labelled == 2);
  CHECK(v2->correct == 1);
  CHECK(v2->latency_ns == 8 * ms);
  CHECK(v2->scored == 0);
}

TEST_CASE("an integer scalar answer is the class itself, and another tensor can be named") {
  feedback_ledger ledger;
  record answer{{"probabilities", tensor::from_values<float>({3}, std::vector<float>{0.1f, 0.1f, 0.8f})},
                {"label", tensor::from_values<std::int64_t>({1}, std::vector<std::int64_t>{7})}};
  ledger.remember("x", answer, {}, 0, 0);
  ledger.remember("y", answer, {}, 0, 0);
  auto f = label("x", 7);
  f.output = "label";
  auto by_label = ledger.score(f, 0);
  REQUIRE(by_label.has_value());
  CHECK(by_label->predicted == 7);
  CHECK(by_label->correct);
  // The first tensor by default: an argmax over three classes.
  auto first = ledger.score(label("y", 2), 0);
  REQUIRE(first.has_value());
  CHECK(first->predicted == 2);
  // Without a model in the trace, only the graph's row counts.
  REQUIRE(ledger.outcomes().size() == 1);
  CHECK(ledger.outcomes()[0].correct == 2);
}

TEST_CASE("expected values are scored by their mean absolute error, and a tensor that does not fit names the field") {
  feedback_ledger ledger;
  record answer{{"price", tensor::from_values<float>({2}, std::vector<float>{100.0f, 50.0f})}};
  for (const char* id : {"p", "q", "r", "s", "t"})
    ledger.remember(id, answer, {version(3)}, ms, 0);
  feedback f;
  f.id = "p";
  f.expected = {{"price", tensor::from_values<float>({2}, std::vector<float>{101.0f, 47.0f})}};
  auto scored = ledger.score(f, 0);
  REQUIRE(scored.has_value());
  CHECK_FALSE(scored->has_label);
  CHECK(scored->error == doctest::Approx(2.0));
  auto* v3 = row_of(ledger, 3);
  REQUIRE(v3);
  CHECK(v3->scored == 1);
  CHECK(v3->error_sum == doctest::Approx(2.0));
  CHECK(v3->error_square_sum == doctest::Approx(4.0));

  auto refused = [&](feedback bad, const std::string& needle) {
    auto r = ledger.score(bad, 0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_argument);
    CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos, r.error().message);
    CHECK(r.error().message.find("'" + bad.id + "'") != std::string::npos);
  };
  feedback wrong_type;
  wrong_type.id = "q";
  wrong_type.expected = {{"price", tensor::from_values<double>({2}, std::vector<double>{1, 2})}};
  refused(wrong_type, "field expected 'price': float64[2], the answer's is float32[2]");
  feedback wrong_shape;
  wrong_shape.id = "q";
  wrong_shape.expected = {{"price", tensor::from_values<float>({1}, std::vector<float>{1})}};
  refused(wrong_shape, "float32[1], the answer's is float32[2]");
  feedback unknown_tensor;
  unknown_tensor.id = "q";
  unknown_tensor.expected = {{"cost", tensor::from_values<float>({2}, std::vector<float>{1, 2})}};
  refused(unknown_tensor, "no tensor 'cost' (it has: price)");
  refused(label("q", 5), "field label: 5 is not a class of the answer's 'price' (0 to 1)");
  refused(label("q", -1), "non-negative");
  auto named = label("q", 0);
  named.output = "volume";
  refused(named, "field output: the answer has no tensor 'volume'");
  feedback neither;
  neither.id = "q";
  refused(neither, "either \"label\" or \"expected\"");
  // A refused feedback counts nothing, and leaves the answer to be scored.
  CHECK(row_of(ledger, 3)->count == 1);
  CHECK(ledger.score(label("q", 0), 0).has_value());
}

TEST_CASE("an unknown or expired id is not found, an answer is scored once, and an id answered again keeps the newer answer") {
  feedback_limits limits;
  limits.retention_ms = 1000;
  feedback_ledger ledger{limits};
  ledger.remember("old", scores({1, 0}), {version(1)}, 0, 0);
  ledger.remember("twice", scores({1, 0}), {version(1)}, 0, 500 * ms);
  ledger.remember("twice", scores({0, 1}), {version(2)}, 0, 600 * ms);

  auto unknown = ledger.score(label("never", 0), 700 * ms);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == errc::not_found);
  CHECK(unknown.error().message.find("'never'") != std::string::npos);
  CHECK(unknown.error().message.find("1 s") != std::string::npos);

  auto newer = ledger.score(label("twice", 1), 700 * ms);
  REQUIRE(newer.has_value());
  CHECK(newer->correct);
  CHECK(newer->served[0].version == 2);
  auto again = ledger.score(label("twice", 1), 700 * ms);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == errc::invalid_argument);
  CHECK(again.error().message.find("given already") != std::string::npos);

  // 1001 ms after it was answered, "old" is gone.
  auto expired = ledger.score(label("old", 0), 1001 * ms);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code == errc::not_found);
}

TEST_CASE("with a retention of 0 no answer is kept, and feedback says the node keeps none") {
  feedback_limits off;
  off.retention_ms = 0;
  feedback_ledger ledger{off};
  ledger.remember("a", scores({1, 0}), {}, 0, 0);
  CHECK(ledger.size() == 0);
  auto r = ledger.score(label("a", 0), 0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::not_found);
  CHECK(r.error().message.find("keeps no answers") != std::string::npos);
}

TEST_CASE("the ledger keeps at most max_answers answers and max_bytes of their tensors, the oldest going first") {
  feedback_limits by_count;
  by_count.max_answers = 3;
  feedback_ledger counted{by_count};
  for (int i = 0; i < 10; ++i)
    counted.remember(std::to_string(i), scores({1, 0}), {}, 0, 0);
  CHECK(counted.size() == 3);
  CHECK_FALSE(counted.score(label("6", 0), 0).has_value());
  CHECK(counted.score(label("7", 0), 0).has_value());

  feedback_limits by_bytes;
  by_bytes.max_bytes = 1000;  // 250 floats
  feedback_ledger sized{by_bytes};
  for (int i = 0; i < 5; ++i)
    sized.remember(std::to_string(i), scores(std::vector<float>(100, 0.5f)), {}, 0, 0);
  CHECK(sized.size() == 2);
  CHECK(sized.score(label("4", 0), 0).has_value());
  CHECK_FALSE(sized.score(label("2", 0), 0).has_value());
}

} // namespace hogar::test
