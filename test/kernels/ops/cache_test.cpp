#include "kernels/ops/cache.hpp"

#include <chrono>

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;
using namespace std::chrono_literals;

namespace {

auto cache(std::int64_t capacity, double ttl_ms = 0, std::vector<std::string> inputs = {"in"}) {
  return make_op(make_spec("cache", {{"fill_from", std::string{"model"}},
                                     {"capacity", capacity},
                                     {"ttl_ms", ttl_ms}},
                           inputs));
}

bool hit(const op_output& out) {
  return get(out, condition_tensor_name).values<bool>()[0];
}

record input(float x) {
  return {{"x", tensor::scalar<float>(x)}};
}

record answer(float y) {
  return {{"y", tensor::scalar<float>(y)}, {"condition", tensor::scalar<bool>(false)}};
}

const time_point t0{};

} // namespace

TEST_CASE("a cache misses, is filled for that request, then hits with the filled record") {
  auto op = cache(4);
  auto miss = ok(call1(*op, input(1), 10, t0));
  REQUIRE(miss.value.size() == 1);
  CHECK_FALSE(hit(miss));
  op->fill(10, answer(42), t0);
  auto again = ok(call1(*op, input(1), 11, t0 + 1s));
  CHECK(hit(again));
  REQUIRE(again.value.size() == 2);
  CHECK(get(again, "y").value_as_double(0) == 42);
  auto other = ok(call1(*op, input(2), 12, t0 + 1s));
  CHECK_FALSE(hit(other));
}

TEST_CASE("a fill for a request that did not miss is ignored") {
  auto op = cache(4);
  op->fill(77, answer(1), t0);
  CHECK_FALSE(hit(ok(call1(*op, input(1), 1, t0))));
  op->fill(1, answer(1), t0);
  op->fill(1, answer(2), t0);  // the miss was consumed by the first fill
  CHECK(get(ok(call1(*op, input(1), 2, t0)), "y").value_as_double(0) == 1);
}

TEST_CASE("an entry older than ttl_ms misses") {
  auto op = cache(4, 100);
  ok(call1(*op, input(1), 1, t0));
  op->fill(1, answer(5), t0);
  CHECK(hit(ok(call1(*op, input(1), 2, t0 + 99ms))));
  CHECK_FALSE(hit(ok(call1(*op, input(1), 3, t0 + 100ms))));
  op->fill(3, answer(6), t0 + 100ms);
  auto refreshed = ok(call1(*op, input(1), 4, t0 + 150ms));
  CHECK(hit(refreshed));
  CHECK(get(refreshed, "y").value_as_double(0) == 6);
}

TEST_CASE("a full cache evicts the least recently used entry") {
  auto op = cache(2);
  for (std::uint64_t i = 1; i <= 2; ++i) {
    ok(call1(*op, input(static_cast<float>(i)), i, t0));
    op->fill(i, answer(static_cast<float>(i)), t0);
  }
  CHECK(hit(ok(call1(*op, input(1), 10, t0))));  // 1 is now more recent than 2
  ok(call1(*op, input(3), 3, t0));
  op->fill(3, answer(3), t0);                    // evicts 2
  CHECK(hit(ok(call1(*op, input(1), 11, t0))));
  CHECK(hit(ok(call1(*op, input(3), 12, t0))));
  CHECK_FALSE(hit(ok(call1(*op, input(2), 13, t0))));
}

TEST_CASE("at most four times capacity misses wait for a fill, the oldest forgotten first") {
  auto op = cache(1);
  for (std::uint64_t i = 1; i <= 5; ++i)
    ok(call1(*op, input(static_cast<float>(i)), i, t0));
  op->fill(1, answer(1), t0);  // forgotten: five misses, room for four
  CHECK_FALSE(hit(ok(call1(*op, input(1), 100, t0))));
  op->fill(5, answer(5), t0);
  CHECK(hit(ok(call1(*op, input(5), 101, t0))));
}

TEST_CASE("the cache key covers every input, an absent one included") {
  auto op = cache(8, 0, {"a", "b"});
  record a = input(1);
  record b = input(2);
  ok(call(*op, {&a, &b}, 1, t0));
  op->fill(1, answer(1), t0);
  CHECK(hit(ok(call(*op, {&a, &b}, 2, t0))));
  CHECK_FALSE(hit(ok(call(*op, {&a, nullptr}, 3, t0))));
  CHECK_FALSE(hit(ok(call(*op, {nullptr, &a}, 4, t0))));
}

TEST_CASE("a cache needs a capacity of at least one") {
  auto op = make_operation(make_spec("cache", {{"fill_from", std::string{"m"}},
                                               {"capacity", std::int64_t{0}}},
                                     {}, "memo"));
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().message == "operator 'memo' (cache): parameter 'capacity': must be at least 1, got 0");
}
