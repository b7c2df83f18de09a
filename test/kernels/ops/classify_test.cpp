#include "kernels/ops/classify.hpp"

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

using strings = std::vector<std::string>;

bool condition_of(const op_output& out) {
  const auto& c = get(out, condition_tensor_name);
  CHECK(c.type() == dtype::boolean);
  CHECK(c.rank() == 0);
  return c.values<bool>()[0];
}

} // namespace

TEST_CASE("classify emits the best label's index, its score and whether it reaches the threshold") {
  auto op = make_op(make_spec("classify", {{"labels", strings{"cat", "dog", "bird"}},
                                           {"threshold", 0.6}}));
  auto out = ok(call1(*op, record{{"probs", make<float>({1, 3}, {0.1f, 0.7f, 0.2f})}}));
  REQUIRE(out.value.size() == 3);
  CHECK(get(out, "label").values<std::int64_t>()[0] == 1);
  CHECK(get(out, "label").rank() == 0);
  CHECK(get(out, "score").values<float>()[0] == doctest::Approx(0.7));
  CHECK(condition_of(out));
  auto low = ok(call1(*op, record{{"probs", make<float>({3}, {0.3f, 0.3f, 0.4f})}}));
  CHECK(get(low, "label").values<std::int64_t>()[0] == 2);
  CHECK_FALSE(condition_of(low));
}

TEST_CASE("classify with a label asks about that label's score, not the best") {
  auto op = make_op(make_spec("classify", {{"labels", strings{"cat", "dog"}},
                                           {"label", std::string{"cat"}},
                                           {"threshold", 0.25}}));
  auto out = ok(call1(*op, record{{"p", make<double>({2}, {0.3, 0.7})}}));
  CHECK(get(out, "label").values<std::int64_t>()[0] == 1);
  CHECK(condition_of(out));
  auto below = ok(call1(*op, record{{"p", make<double>({2}, {0.2, 0.8})}}));
  CHECK_FALSE(condition_of(below));
}

TEST_CASE("classify reads the tensor its parameter names and the first on ties") {
  auto op = make_op(make_spec("classify", {{"labels", strings{"a", "b"}},
                                           {"tensor", std::string{"scores"}}}));
  record in{{"other", make<float>({3}, {1, 2, 3})}, {"scores", make<std::int32_t>({2}, {4, 4})}};
  auto out = ok(call1(*op, in));
  CHECK(get(out, "label").values<std::int64_t>()[0] == 0);
  CHECK(get(out, "score").values<float>()[0] == 4);
  auto missing = call1(*op, record{{"other", make<float>({2}, {1, 2})}});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message == "classify input has no tensor 'scores' (it has: other)");
}

TEST_CASE("classify refuses a score count that differs from the label count") {
  auto op = make_op(make_spec("classify", {{"labels", strings{"a", "b"}}}));
  auto out = call1(*op, record{{"probs", make<float>({1, 3}, {0.1f, 0.2f, 0.7f})}});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::invalid_argument);
  CHECK(out.error().message ==
        "classify: tensor 'probs' shape [1, 3] holds 3 scores but parameter 'labels' lists 2 labels");
}

TEST_CASE("classify refuses at construction a label that is not in labels") {
  auto op = make_operation(make_spec("classify", {{"labels", strings{"cat", "bird"}},
                                                  {"label", std::string{"dog"}}},
                                     {}, "animal"));
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().message ==
        "operator 'animal' (classify): parameter 'label': 'dog' is not one of labels [cat, bird]");
}

TEST_CASE("threshold any, all and mean compare strictly above the threshold") {
  record in{{"x", make<float>({4}, {0.25f, 0.5f, 0.75f, 0.5f})}};
  auto verdict = [&](std::string reduce, double threshold, std::string comparison = "above") {
    auto op = make_op(make_spec("threshold", {{"threshold", threshold},
                                              {"reduce", reduce},
                                              {"comparison", comparison}}));
    auto out = ok(call1(*op, in));
    CHECK(out.value.size() == 1);
    return condition_of(out);
  };
  CHECK(verdict("any", 0.5));
  CHECK_FALSE(verdict("any", 0.75));  // 0.75 is not above 0.75
  CHECK(verdict("all", 0.2));
  CHECK_FALSE(verdict("all", 0.25));  // 0.25 is not above 0.25
  CHECK(verdict("mean", 0.49));       // mean 0.5
  CHECK_FALSE(verdict("mean", 0.5));
  CHECK(verdict("any", 0.3, "below"));
  CHECK_FALSE(verdict("all", 0.75, "below"));
  CHECK(verdict("all", 0.76, "below"));
  CHECK(verdict("mean", 0.51, "below"));
}

TEST_CASE("threshold refuses an empty tensor") {
  auto op = make_op(make_spec("threshold", {{"threshold", 0.5}}));
  auto out = call1(*op, record{{"x", tensor{dtype::float32, {0}}}});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message == "threshold: tensor 'x' shape [0] has no elements to test");
}
