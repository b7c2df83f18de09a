#include "kernels/random_tensor.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace hogar;

TEST_CASE("a random tensor is the same for the same seed and differs for another") {
  auto a = random_tensor(dtype::float32, {2, 3}, 42);
  auto b = random_tensor(dtype::float32, {2, 3}, 42);
  auto c = random_tensor(dtype::float32, {2, 3}, 43);
  CHECK(a == b);
  CHECK_FALSE(a == c);
}

TEST_CASE("dynamic extents of a declared shape become 8") {
  auto t = random_tensor(dtype::uint8, {-1, 4, -1}, 1);
  CHECK(t.shape() == shape_t{random_dynamic_extent, 4, random_dynamic_extent});
  CHECK(random_dynamic_extent == 8);
}

TEST_CASE("a batch shape takes the batch for its first dynamic extent and 8 for the others") {
  CHECK(batch_shape({-1, 3, -1}, 5) == shape_t{5, 3, random_dynamic_extent});
  CHECK(batch_shape({2, 3}, 5) == shape_t{2, 3});
}

TEST_CASE("random values stay in each dtype's range") {
  auto f = random_tensor(dtype::float32, {4096}, 7);
  for (float v : f.values<float>())
    CHECK((v >= 0.0f && v < 1.0f));
  auto d = random_tensor(dtype::float64, {1024}, 7);
  for (double v : d.values<double>())
    CHECK((v >= 0.0 && v < 1.0));
  auto px = random_tensor(dtype::uint8, {4096}, 7);
  int max_px = 0;
  for (auto v : px.values<std::uint8_t>())
    max_px = std::max<int>(max_px, v);
  CHECK(max_px > 200);
  auto i32 = random_tensor(dtype::int32, {4096}, 7);
  for (auto v : i32.values<std::int32_t>())
    CHECK((v >= 0 && v < 100));
  auto i8 = random_tensor(dtype::int8, {4096}, 7);
  for (auto v : i8.values<std::int8_t>())
    CHECK((v >= 0 && v < 100));
  auto bools = random_tensor(dtype::boolean, {4096}, 7);
  int ones = 0;
  for (auto v : bools.values<bool>())
    ones += v ? 1 : 0;
  CHECK(ones > 1500);
  CHECK(ones < 2600);
}

TEST_CASE("splitmix64 gives the published sequence") {
  // First outputs for seed 1234567 from the reference implementation (Vigna's splitmix64.c).
  splitmix64 rng{1234567};
  CHECK(rng.next() == 6457827717110365317ULL);
  CHECK(rng.next() == 3203168211198807973ULL);
}
