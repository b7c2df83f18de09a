#include "kernels/ops/sequence.hpp"

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

std::int64_t count_of(const op_output& out) {
  return get(out, "count").values<std::int64_t>()[0];
}

record any_input() {
  return {{"x", tensor::scalar<float>(1)}};
}

const time_point t0{};

} // namespace

TEST_CASE("a sequence answers 1, 2, 3 and a backup loaded with its state goes on from there") {
  auto primary = make_op(make_spec("sequence", {}, {"in"}));
  for (std::int64_t n = 1; n <= 3; ++n)
    CHECK(count_of(ok(call1(*primary, any_input(), n, t0))) == n);
  auto backup = make_op(make_spec("sequence", {}, {"in"}));
  REQUIRE(backup->load_state(primary->save_state(t0), t0).has_value());
  CHECK(count_of(ok(call1(*backup, any_input(), 4, t0))) == 4);
  CHECK_FALSE(backup->load_state({{"keys", tensor::scalar<float>(1)}}, t0).has_value());
}
