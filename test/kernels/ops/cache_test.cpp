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
  op->fill(10, 0, answer(42), t0);
  auto again = ok(call1(*op, input(1), 11, t0 + 1s));
  CHECK(hit(again));
  REQUIRE(again.value.size() == 2);
  CHECK(get(again, "y").value_as_double(0) == 42);
  auto other = ok(call1(*op, input(2), 12, t0 + 1s));
  CHECK_FALSE(hit(other));
}

TEST_CASE("a fill for a request that did not miss is ignored") {
  auto op = cache(4);
  op->fill(77, 0, answer(1), t0);
  CHECK_FALSE(hit(ok(call1(*op, input(1), 1, t0))));
  op->fill(1, 0, answer(1), t0);
  op->fill(1, 0, answer(2), t0);  // the miss was consumed by the first fill
  CHECK(get(ok(call1(*op, input(1), 2, t0)), "y").value_as_double(0) == 1);
}

TEST_CASE("an entry older than ttl_ms misses") {
  auto op = cache(4, 100);
  ok(call1(*op, input(1), 1, t0));
  op->fill(1, 0, answer(5), t0);
  CHECK(hit(ok(call1(*op, input(1), 2, t0 + 99ms))));
  CHECK_FALSE(hit(ok(call1(*op, input(1), 3, t0 + 100ms))));
  op->fill(3, 0, answer(6), t0 + 100ms);
  auto refreshed = ok(call1(*op, input(1), 4, t0 + 150ms));
  CHECK(hit(refreshed));
  CHECK(get(refreshed, "y").value_as_double(0) == 6);
}

TEST_CASE("a full cache evicts the least recently used entry") {
  auto op = cache(2);
  for (std::uint64_t i = 1; i <= 2; ++i) {
    ok(call1(*op, input(static_cast<float>(i)), i, t0));
    op->fill(i, 0, answer(static_cast<float>(i)), t0);
  }
  CHECK(hit(ok(call1(*op, input(1), 10, t0))));  // 1 is now more recent than 2
  ok(call1(*op, input(3), 3, t0));
  op->fill(3, 0, answer(3), t0);                    // evicts 2
  CHECK(hit(ok(call1(*op, input(1), 11, t0))));
  CHECK(hit(ok(call1(*op, input(3), 12, t0))));
  CHECK_FALSE(hit(ok(call1(*op, input(2), 13, t0))));
}

TEST_CASE("at most four times capacity misses wait for a fill, the oldest forgotten first") {
  auto op = cache(1);
  for (std::uint64_t i = 1; i <= 5; ++i)
    ok(call1(*op, input(static_cast<float>(i)), i, t0));
  op->fill(1, 0, answer(1), t0);  // forgotten: five misses, room for four
  CHECK_FALSE(hit(ok(call1(*op, input(1), 100, t0))));
  op->fill(5, 0, answer(5), t0);
  CHECK(hit(ok(call1(*op, input(5), 101, t0))));
}

TEST_CASE("the cache key covers every input, an absent one included") {
  auto op = cache(8, 0, {"a", "b"});
  record a = input(1);
  record b = input(2);
  ok(call(*op, {&a, &b}, 1, t0));
  op->fill(1, 0, answer(1), t0);
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

TEST_CASE("a cache's saved state, loaded by another replica, hits, expires and fills the same") {
  auto primary = cache(4, 100);
  ok(call1(*primary, input(1), 1, t0));
  primary->fill(1, 0, answer(5), t0);
  ok(call1(*primary, input(2), 2, t0 + 10ms)); // a miss still waiting for its fill
  auto state = primary->save_state(t0 + 50ms);
  // Another machine: another steady clock.
  const time_point t1 = t0 + 1000s;
  auto backup = cache(4, 100);
  REQUIRE(backup->load_state(state, t1).has_value());
  auto hit1 = ok(call1(*backup, input(1), 3, t1 + 10ms));
  CHECK(hit(hit1));
  CHECK(get(hit1, "y").value_as_double(0) == 5);
  // The entry was 50 ms old at the save: it expires 50 ms after the load.
  CHECK_FALSE(hit(ok(call1(*backup, input(1), 4, t1 + 50ms))));
  // The pending miss of request 2 is filled on the backup.
  backup->fill(2, 0, answer(7), t1 + 60ms);
  CHECK(get(ok(call1(*backup, input(2), 5, t1 + 70ms)), "y").value_as_double(0) == 7);
}

TEST_CASE("a state that is not a cache's is refused and changes nothing") {
  auto op = cache(4);
  ok(call1(*op, input(1), 1, t0));
  op->fill(1, 0, answer(5), t0);
  auto refused = op->load_state({{"count", tensor::scalar<std::int64_t>(3)}}, t0);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("keys") != std::string::npos);
  CHECK(hit(ok(call1(*op, input(1), 2, t0))));
}
