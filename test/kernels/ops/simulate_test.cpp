#include "kernels/ops/simulate.hpp"

#include <chrono>

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;
using namespace std::chrono_literals;

TEST_CASE("simulate in sleep mode returns its cost as hold and passes its input through") {
  auto op = make_op(make_spec("simulate", {{"cost_ms", 2.0}, {"cost_per_item_ms", 0.5}}));
  record in{{"x", make<float>({2}, {1, 2})}};
  auto out = ok(call1(*op, in));
  CHECK(out.hold == 2500us);
  // The very record it was given travels on: no copy of the record, let alone the bytes.
  CHECK(out.value.empty());
  CHECK(out.passed_through.get() == &in);
}

TEST_CASE("simulate in spin mode burns its cost inside run and holds nothing") {
  auto op = make_op(make_spec("simulate", {{"cost_ms", 5.0}, {"mode", std::string{"spin"}}}));
  record in{{"x", tensor::scalar<float>(1)}};
  auto start = std::chrono::steady_clock::now();
  auto out = ok(call1(*op, in));
  CHECK(std::chrono::steady_clock::now() - start >= 5ms);
  CHECK(out.hold == 0ns);
}

TEST_CASE("simulate passes the first present input when the first is absent") {
  auto op = make_op(make_spec("simulate", {}, {"a", "b"}));
  record b{{"b", tensor::scalar<float>(2)}};
  auto out = ok(call(*op, {nullptr, &b}));
  CHECK(out.passed_through.get() == &b);
}

TEST_CASE("a generated tensor is a deterministic function of the inputs") {
  auto spec = make_spec("simulate", {{"output_name", std::string{"scores"}},
                                     {"output_dtype", std::string{"float32"}},
                                     {"output_shape", std::vector<std::int64_t>{2, 5}}});
  auto op = make_op(spec);
  auto other = make_op(spec);
  record in{{"x", make<float>({2}, {1, 2})}};
  record changed{{"x", make<float>({2}, {1, 3})}};
  auto a = ok(call1(*op, in));
  auto b = ok(call1(*other, in, 99));
  auto c = ok(call1(*op, changed));
  REQUIRE(a.value.size() == 1);
  const auto& t = get(a, "scores");
  CHECK(t.type() == dtype::float32);
  CHECK(t.shape() == shape_t{2, 5});
  CHECK(t == get(b, "scores"));
  CHECK_FALSE(t == get(c, "scores"));
  for (float v : t.values<float>())
    CHECK((v >= 0.0f && v < 1.0f));
}

TEST_CASE("generated integers lie between 0 and 99 and bools are 0 or 1") {
  record in{{"x", tensor::scalar<float>(1)}};
  auto ints = make_op(make_spec("simulate", {{"output_name", std::string{"n"}},
                                             {"output_dtype", std::string{"int64"}},
                                             {"output_shape", std::vector<std::int64_t>{256}}}));
  auto generated = ok(call1(*ints, in));
  for (auto v : get(generated, "n").values<std::int64_t>())
    CHECK((v >= 0 && v < 100));
  auto bools = make_op(make_spec("simulate", {{"output_name", std::string{"b"}},
                                              {"output_dtype", std::string{"bool"}},
                                              {"output_shape", std::vector<std::int64_t>{64}}}));
  auto out = ok(call1(*bools, in));
  auto raw = get(out, "b").bytes();
  for (char byte : raw)
    CHECK((byte == 0 || byte == 1));
}

TEST_CASE("fail_every fails every n-th call of the instance and names the call") {
  auto op = make_op(make_spec("simulate", {{"fail_every", std::int64_t{3}}}));
  record in{{"x", tensor::scalar<float>(1)}};
  CHECK(call1(*op, in).has_value());
  CHECK(call1(*op, in).has_value());
  auto third = call1(*op, in);
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error().code == errc::operator_failed);
  CHECK(third.error().message == "simulated failure (call 3; fail_every=3)");
  CHECK(call1(*op, in).has_value());
  CHECK(call1(*op, in).has_value());
  auto sixth = call1(*op, in);
  REQUIRE_FALSE(sixth.has_value());
  CHECK(sixth.error().message == "simulated failure (call 6; fail_every=3)");
}

TEST_CASE("a negative cost is refused at construction, naming operator and parameter") {
  auto op = make_operation(make_spec("simulate", {{"cost_ms", -1.0}}, {}, "slow"));
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().code == errc::invalid_argument);
  CHECK(op.error().message == "operator 'slow' (simulate): parameter 'cost_ms': must be a finite "
                              "value >= 0, got -1");
}
