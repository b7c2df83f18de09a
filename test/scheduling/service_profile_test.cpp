#include "scheduling/service_profile.hpp"

#include <string>

#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

TEST_CASE("the fit recovers each thread count's line") {
  std::vector<service_point> points;
  for (std::int64_t b : {1, 2, 4, 8, 16, 32}) {
    points.push_back({1, b, 2.0 + 0.5 * static_cast<double>(b)});
    // Threads 2: noise of +-0.2 ms in pairs at each size cancels in a least-squares line.
    points.push_back({2, b, 1.0 + 0.3 * static_cast<double>(b) + 0.2});
    points.push_back({2, b, 1.0 + 0.3 * static_cast<double>(b) - 0.2});
  }
  auto p = service_profile::fit(points);
  REQUIRE(p);
  REQUIRE(p->lines().size() == 2);
  auto& one = p->lines()[0];
  CHECK(one.intra_op_threads == 1);
  CHECK(one.fixed_ms == doctest::Approx(2.0));
  CHECK(one.per_item_ms == doctest::Approx(0.5));
  CHECK(one.points == 6);
  CHECK(one.rms_residual_ms == doctest::Approx(0.0));
  auto& two = p->lines()[1];
  CHECK(two.intra_op_threads == 2);
  CHECK(two.fixed_ms == doctest::Approx(1.0));
  CHECK(two.per_item_ms == doctest::Approx(0.3));
  CHECK(two.rms_residual_ms == doctest::Approx(0.2));
  CHECK(p->batch_ms(10, 1) == doctest::Approx(7.0));
  CHECK(p->batch_ms(10, 2) == doctest::Approx(4.0));
}

TEST_CASE("the fit weighs points by their relative error, keeping small batches close") {
  // Slightly convex: 10 + b + b^2 / 100 ms. An unweighted line misses batch 1 by 28%.
  std::vector<service_point> points;
  for (std::int64_t b : {1, 2, 4, 8, 16, 32, 64}) {
    auto x = static_cast<double>(b);
    points.push_back({1, b, 10 + x + x * x / 100});
  }
  auto p = service_profile::fit(points);
  REQUIRE(p);
  CHECK(p->batch_ms(1, 1) == doctest::Approx(11.01).epsilon(0.02));
  CHECK(p->batch_ms(2, 1) == doctest::Approx(12.04).epsilon(0.02));
  CHECK(p->lines()[0].rms_residual_ms > 1.0);
}

TEST_CASE("a measurement file is read with comments and keys in any order") {
  auto points = parse_service_points("# model: resnet18\n# cpu: test\n\n"
                                     "threads=2 batch=8 ms=195.3\n"
                                     "  ms=20.5\tbatch=1 threads=1   # first\n",
                                     "p.txt");
  REQUIRE(points);
  REQUIRE(points->size() == 2);
  CHECK((*points)[0].intra_op_threads == 2);
  CHECK((*points)[0].batch_size == 8);
  CHECK((*points)[0].ms == 195.3);
  CHECK((*points)[1].intra_op_threads == 1);
  CHECK((*points)[1].batch_size == 1);
  CHECK((*points)[1].ms == 20.5);
}

TEST_CASE("a bad measurement line is refused naming the file, the line and the problem") {
  struct bad_case {
    const char* line;
    const char* says;
  };
  for (auto [line, says] : {bad_case{"threads=1 batch=8", "ms= is missing"},
                            bad_case{"threads=0 batch=8 ms=1", "threads=0 must be"},
                            bad_case{"threads=1 batch=2.5 ms=1", "batch=2.5 must be"},
                            bad_case{"threads=1 batch=8 ms=-2", "ms=-2 must be"},
                            bad_case{"threads=1 batch=8 ms=nan", "ms=nan must be"},
                            bad_case{"threads=1 batch=8 ms=abc", "ms=abc must be"},
                            bad_case{"threads=1 size=8 ms=1", "unknown key 'size'"},
                            bad_case{"threads=1 threads=2 batch=1 ms=1", "threads given twice"},
                            bad_case{"threads 1 batch 8", "'threads' is not key=value"}}) {
    CAPTURE(line);
    auto p = parse_service_points(std::string{"threads=1 batch=1 ms=3\n# x\n"} + line + "\n",
                                  "p.txt");
    REQUIRE_FALSE(p);
    CHECK(p.error().code == errc::invalid_argument);
    CHECK(p.error().message.find("p.txt:3: ") == 0);
    CHECK(p.error().message.find(says) != std::string::npos);
  }
  auto none = parse_service_points("# only comments\n", "p.txt");
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "p.txt: no measurements");
  auto missing = service_profile::read("/nonexistent/profile.txt");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::io_error);
}

TEST_CASE("measurements written in the file format read back the same") {
  std::vector<service_point> points{{1, 1, 20.25}, {1, 64, 1234.5678901}, {2, 8, 1.0 / 3.0}};
  auto text = format_service_points(points, {"model: m.onnx", "cpu: test"});
  CHECK(text.rfind("# model: m.onnx\n# cpu: test\nthreads=1 batch=1 ms=20.25\n", 0) == 0);
  auto back = parse_service_points(text, "round trip");
  REQUIRE(back);
  REQUIRE(back->size() == points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK((*back)[i].intra_op_threads == points[i].intra_op_threads);
    CHECK((*back)[i].batch_size == points[i].batch_size);
    CHECK((*back)[i].ms == points[i].ms);
  }
}

TEST_CASE("a thread count measured at one batch size cannot be fitted") {
  std::vector<service_point> points{{1, 1, 2.0}, {1, 8, 9.0}, {4, 8, 3.0}, {4, 8, 3.1}};
  auto p = service_profile::fit(points);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("threads=4") != std::string::npos);
  CHECK_FALSE(service_profile::fit(std::vector<service_point>{}));
  // Bigger batches measured faster: no service time can be drawn from that.
  std::vector<service_point> falling{{2, 1, 9.0}, {2, 8, 2.0}};
  auto f = service_profile::fit(falling);
  REQUIRE_FALSE(f);
  CHECK(f.error().message.find("threads=2") != std::string::npos);
}

TEST_CASE("between measured thread counts the time interpolates in 1/threads") {
  // Perfect scaling: 12 ms per item on one thread, 3 on four.
  auto p = service_profile::from_lines({{4, 0.0, 3.0}, {1, 0.0, 12.0}});
  REQUIRE(p);
  CHECK(p->lines().front().intra_op_threads == 1);
  CHECK(p->batch_ms(1, 1) == doctest::Approx(12.0));
  CHECK(p->batch_ms(1, 2) == doctest::Approx(6.0));
  CHECK(p->batch_ms(2, 3) == doctest::Approx(8.0));
  CHECK(p->batch_ms(1, 4) == doctest::Approx(3.0));
  // Beyond what was measured: the nearest line.
  CHECK(p->batch_ms(1, 16) == doctest::Approx(3.0));
}

TEST_CASE("a profile given as lines refuses a line that cannot be a service time") {
  CHECK_FALSE(service_profile::from_lines({}));
  CHECK_FALSE(service_profile::from_lines({{1, 1.0, 1.0}, {1, 2.0, 1.0}}));
  CHECK_FALSE(service_profile::from_lines({{0, 1.0, 1.0}}));
  CHECK_FALSE(service_profile::from_lines({{1, -5.0, 1.0}}));
  CHECK_FALSE(service_profile::from_lines({{1, 5.0, -1.0}}));
}

TEST_CASE("instances slow each other only when their threads exceed the cores") {
  CHECK(contention_stretch(1, 2) == 1.0);
  CHECK(contention_stretch(2, 2) == 1.0);
  CHECK(contention_stretch(3, 2) == doctest::Approx(1.5));
  CHECK(contention_stretch(8, 2) == doctest::Approx(4.0));
}
