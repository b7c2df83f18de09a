#include "kernels/operation.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "graph/kinds.hpp"

using namespace hogar;
using namespace hogar::test;

TEST_CASE("identity passes its input record through without copying a byte") {
  auto op = make_op(make_spec("identity"));
  record in{{"a", make<float>({3}, {1, 2, 3})}, {"b", tensor::scalar<std::int64_t>(4)}};
  auto out = ok(call1(*op, in));
  // The very record it was given travels on.
  CHECK(out.value.empty());
  CHECK(out.passed_through.get() == &in);
  CHECK(out.hold.count() == 0);
}

TEST_CASE("every built-in kind with its defaults makes an operation") {
  for (auto& kind : graph::all_kinds()) {
    // A model needs an ONNX file: kernels/ops/model_test.cpp makes one. A select needs the
    // graph with its ensemble: kernels/ops/select_test.cpp makes one.
    if (kind.name == "model" || kind.name == "select")
      continue;
    std::vector<std::pair<std::string, graph::param_value>> required;
    for (auto& p : kind.params)
      if (!p.default_value) {
        if (p.name == "height" || p.name == "width")
          required.push_back({std::string{p.name}, std::int64_t{8}});
        else if (p.name == "labels")
          required.push_back({std::string{p.name}, std::vector<std::string>{"a"}});
        else if (p.name == "threshold")
          required.push_back({std::string{p.name}, 0.5});
        else if (p.name == "method")
          required.push_back({std::string{p.name}, std::string{"mean"}});
        else if (p.name == "fill_from")
          required.push_back({std::string{p.name}, std::string{"model"}});
      }
    auto op = make_operation(make_spec(std::string{kind.name}, required, {"x", "y"}));
    CHECK_MESSAGE(op.has_value(), kind.name, ": ", op.has_value() ? "" : op.error().message);
  }
}

TEST_CASE("an unknown kind is an invalid argument naming the operator") {
  auto op = make_operation(make_spec("teleport", {}, {}, "beam"));
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().code == errc::invalid_argument);
  CHECK(op.error().message == "operator 'beam': unknown kind 'teleport'");
}

TEST_CASE("a missing parameter is reported, not thrown") {
  graph::operator_spec spec;
  spec.name = "r";
  spec.kind = "resize";
  spec.inputs.push_back({"in", {}});
  auto op = make_operation(spec);
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().message.rfind("operator 'r' (resize): bad parameters: ", 0) == 0);
}

TEST_CASE("an exception inside run becomes an invalid-argument error of that request") {
  // A generated tensor too large to allocate: the vector inside tensor throws length_error.
  auto op = make_op(make_spec("simulate", {{"output_name", std::string{"big"}},
                                           {"output_shape",
                                            std::vector<std::int64_t>{4611686018427387903}}}));
  auto out = call1(*op, record{{"x", tensor::scalar<float>(1)}});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::invalid_argument);
  CHECK_FALSE(out.error().message.empty());
}
