#include "kernels/ops/merge.hpp"

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;

TEST_CASE("merge joins the present inputs' tensors and drops condition verdicts") {
  auto op = make_op(make_spec("merge", {}, {"detector", "gate", "captioner"}));
  record detector{{"boxes", make<float>({1, 4}, {0, 0, 1, 1})}};
  record gate{{"condition", tensor::scalar<bool>(true)}, {"score", tensor::scalar<float>(1)}};
  auto out = ok(call(*op, {&detector, &gate, nullptr}));
  REQUIRE(out.value.size() == 2);
  CHECK(out.value[0].name == "boxes");
  CHECK(out.value[0].value.shares_storage_with(detector[0].value));
  CHECK(out.value[1].name == "score");
  CHECK(find_tensor(out.value, "condition") == nullptr);
}

TEST_CASE("merge prefixes a name already taken with its input's name") {
  auto op = make_op(make_spec("merge", {}, {"left", "right"}));
  record left{{"scores", tensor::scalar<float>(1)}};
  record right{{"scores", tensor::scalar<float>(2)}, {"extra", tensor::scalar<float>(3)}};
  auto out = ok(call(*op, {&left, &right}));
  REQUIRE(out.value.size() == 3);
  CHECK(out.value[0].name == "scores");
  CHECK(out.value[1].name == "right.scores");
  CHECK(out.value[1].value.value_as_double(0) == 2);
  CHECK(out.value[2].name == "extra");
}

TEST_CASE("merge of only absent branches but one passes that one") {
  auto op = make_op(make_spec("merge", {}, {"a", "b"}));
  record b{{"y", tensor::scalar<float>(2)}};
  auto out = ok(call(*op, {nullptr, &b}));
  REQUIRE(out.value.size() == 1);
  CHECK(out.value[0].name == "y");
}
