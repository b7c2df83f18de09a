#include "kernels/tensor.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace hogar;
using hogar::test::make;
using hogar::test::values_of;

TEST_CASE("copying a tensor shares its storage and writing copies it first") {
  auto a = make<float>({2, 2}, {1, 2, 3, 4});
  tensor b = a;
  CHECK(b.shares_storage_with(a));
  b.mutable_values<float>()[0] = 9;
  CHECK_FALSE(b.shares_storage_with(a));
  CHECK(values_of<float>(a) == std::vector<float>{1, 2, 3, 4});
  CHECK(values_of<float>(b) == std::vector<float>{9, 2, 3, 4});
}

TEST_CASE("a tensor nobody shares is written in place") {
  auto a = make<std::int32_t>({3}, {1, 2, 3});
  const char* before = a.bytes().data();
  a.mutable_bytes()[0] = 7;
  CHECK(a.bytes().data() == before);
}

TEST_CASE("a reshaped tensor shares the storage and keeps the element count") {
  auto a = make<std::uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto b = a.reshaped({3, 2});
  CHECK(b.shares_storage_with(a));
  CHECK(b.shape() == shape_t{3, 2});
  CHECK_THROWS_AS(a.reshaped({4}), std::invalid_argument);
}

TEST_CASE("the content hash depends on dtype, shape and bytes only") {
  auto a = make<float>({2, 2}, {1, 2, 3, 4});
  auto same = make<float>({2, 2}, {1, 2, 3, 4});
  CHECK(a.content_hash() == same.content_hash());
  CHECK(a == same);
  CHECK(a.content_hash() != a.reshaped({4}).content_hash());
  CHECK(a.content_hash() != make<float>({2, 2}, {1, 2, 3, 5}).content_hash());
  CHECK(make<std::int32_t>({1}, {0}).content_hash() != make<float>({1}, {0}).content_hash());
}

TEST_CASE("a record's hash covers the tensors' names") {
  auto t = make<float>({1}, {1});
  record a{{"x", t}};
  record b{{"y", t}};
  CHECK(content_hash(a) != content_hash(b));
  CHECK(content_hash(a) == content_hash(record{{"x", make<float>({1}, {1})}}));
}

TEST_CASE("a tensor refuses bytes that do not match its shape and a negative extent") {
  CHECK_THROWS_AS(tensor(dtype::float32, {2}, std::vector<char>(7)), std::invalid_argument);
  CHECK_THROWS_AS(tensor(dtype::float32, {-1, 2}), std::invalid_argument);
}

TEST_CASE("reading a tensor with the wrong element type is a bug that throws") {
  auto a = make<float>({1}, {1});
  CHECK_THROWS_AS(a.values<std::int32_t>(), std::logic_error);
}

TEST_CASE("a summary shows dtype, shape and the first values") {
  CHECK(summarize(make<float>({1, 3}, {0.5f, 0.25f, 1})) == "float32[1, 3] {0.5, 0.25, 1}");
  CHECK(summarize(make<std::int64_t>({4}, {1, 2, 3, 4}), 2) == "int64[4] {1, 2, ...}");
  CHECK(summarize(tensor::scalar<bool>(true)) == "bool[] {1}");
}

TEST_CASE("find_tensor finds a tensor by name") {
  record r{{"a", tensor::scalar<float>(1)}, {"b", tensor::scalar<float>(2)}};
  REQUIRE(find_tensor(r, "b") != nullptr);
  CHECK(find_tensor(r, "b")->value_as_double(0) == 2);
  CHECK(find_tensor(r, "c") == nullptr);
}

TEST_CASE("first_nan finds the first NaN wherever it is, in float32 and float64") {
  // Around the scan's blocks of 1024 and its vectors of 8 (float) and 4 (double).
  const std::int64_t n = 5003;
  for (std::int64_t at : {0, 1, 7, 8, 1023, 1024, 1025, 4095, 5002}) {
    CAPTURE(at);
    tensor f{dtype::float32, {n}};
    tensor d{dtype::float64, {1, n}};
    auto fv = f.mutable_values<float>();
    auto dv = d.mutable_values<double>();
    for (std::int64_t i = 0; i < n; ++i) {
      fv[static_cast<std::size_t>(i)] = static_cast<float>(i) - 2000.5f;
      dv[static_cast<std::size_t>(i)] = 1e300 * static_cast<double>(i % 3);
    }
    CHECK(first_nan(f) == -1);
    CHECK(first_nan(d) == -1);
    fv[static_cast<std::size_t>(at)] = std::numeric_limits<float>::quiet_NaN();
    dv[static_cast<std::size_t>(at)] = -std::numeric_limits<double>::quiet_NaN();
    if (at + 2 < n) {  // a later NaN does not hide the first
      fv[static_cast<std::size_t>(at + 2)] = std::numeric_limits<float>::signaling_NaN();
      dv[static_cast<std::size_t>(at + 2)] = std::numeric_limits<double>::quiet_NaN();
    }
    CHECK(first_nan(f) == at);
    CHECK(first_nan(d) == at);
  }
  // Infinities are numbers, and other dtypes have no NaN.
  CHECK(first_nan(make<float>({3}, {INFINITY, -INFINITY, 0})) == -1);
  CHECK(first_nan(make<std::int32_t>({2}, {-1, 0x7fc00000})) == -1);
}
