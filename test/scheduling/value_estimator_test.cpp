#include "scheduling/value_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <doctest/doctest.h>

using namespace hogar::scheduling;

namespace {

// A smooth bowl over two coordinates in [0, 1], lowest (5) at (0.7, 0.3), 24.6 at (0, 1).
double bowl(double a, double b) {
  return 5 + 20 * ((a - 0.7) * (a - 0.7) + (b - 0.3) * (b - 0.3));
}

} // namespace

TEST_CASE("the estimator learns a smooth bowl and predicts the points between its observations") {
  value_estimator e{3, 42};
  CHECK(e.parameters() == 3 * 256 + 256 + 256 * 64 + 64 + 64 + 1);
  // Every other point of an 11 x 11 grid (36 points); the first feature is a fixed rate.
  for (int i = 0; i <= 10; i += 2)
    for (int j = 0; j <= 10; j += 2)
      e.add({0.4, i / 10.0, j / 10.0}, bowl(i / 10.0, j / 10.0));
  CHECK(e.observations() == 36);
  auto before = e.loss();
  for (int r = 0; r < 120; ++r)
    e.refit();
  CHECK(e.loss() < before / 100);
  // The points in between, never observed: within 6% everywhere, 3% on average.
  double worst = 0, sum = 0;
  int count = 0;
  for (int i = 1; i <= 9; i += 2)
    for (int j = 1; j <= 9; j += 2) {
      std::vector<double> x{0.4, i / 10.0, j / 10.0};
      auto error = std::abs(e.predict(x) / bowl(i / 10.0, j / 10.0) - 1);
      worst = std::max(worst, error);
      sum += error;
      ++count;
    }
  CHECK(worst < 0.06);
  CHECK(sum / count < 0.03);
  // The lowest prediction on the full grid is at or next to the true bottom.
  std::pair<double, double> bottom{0, 0};
  double lowest = 1e9;
  for (int i = 0; i <= 10; ++i)
    for (int j = 0; j <= 10; ++j) {
      std::vector<double> x{0.4, i / 10.0, j / 10.0};
      if (auto p = e.predict(x); p < lowest) {
        lowest = p;
        bottom = {i / 10.0, j / 10.0};
      }
    }
  CHECK(std::abs(bottom.first - 0.7) <= 0.1 + 1e-9);
  CHECK(std::abs(bottom.second - 0.3) <= 0.1 + 1e-9);
}

TEST_CASE("the same seed and observations give exactly the same predictions, another seed others") {
  auto train = [](std::uint64_t seed) {
    value_estimator e{2, seed};
    for (int i = 0; i < 20; ++i) {
      e.add({i / 20.0, (i % 3) / 2.0}, 10.0 + i);
      e.refit();
    }
    std::vector<double> out;
    for (int i = 0; i < 5; ++i) {
      std::vector<double> x{i / 4.0, 0.5};
      out.push_back(e.predict(x));
    }
    return out;
  };
  auto a = train(7);
  CHECK(a == train(7));
  CHECK(a != train(8));
}

TEST_CASE("an untrained network predicts the first cost everywhere") {
  value_estimator e{2, 1};
  e.add({0.5, 0.5}, 12.5);
  for (double a : {0.0, 0.3, 1.0}) {
    std::vector<double> x{a, 1 - a};
    CHECK(e.predict(x) == doctest::Approx(12.5));
  }
}

TEST_CASE("Huber's loss is quadratic within its threshold and linear beyond, its gradient clamped") {
  CHECK(huber_loss(0.5, 1.0) == doctest::Approx(0.125));
  CHECK(huber_loss(-0.5, 1.0) == doctest::Approx(0.125));
  CHECK(huber_loss(3.0, 1.0) == doctest::Approx(2.5));
  CHECK(huber_loss(-3.0, 1.0) == doctest::Approx(2.5));
  CHECK(huber_gradient(0.5, 1.0) == 0.5);
  CHECK(huber_gradient(3.0, 1.0) == 1.0);
  CHECK(huber_gradient(-3.0, 1.0) == -1.0);
}

TEST_CASE("each FTRL step lowers the loss on a few observations") {
  value_estimator_options one_step;
  one_step.refit_steps = 1;
  one_step.minibatch = 64; // about every observation in each step
  value_estimator e{2, 3, one_step};
  e.add({0.0, 0.0}, 5.0);
  e.add({1.0, 0.0}, 20.0);
  e.add({0.0, 1.0}, 40.0);
  e.add({1.0, 1.0}, 10.0);
  auto first = e.loss();
  auto loss = first;
  for (int step = 0; step < 5; ++step) {
    e.refit();
    CHECK(e.loss() < loss);
    loss = e.loss();
  }
  for (int step = 0; step < 200; ++step)
    e.refit();
  CHECK(e.loss() < first / 100);
}

TEST_CASE("costs are fitted as logs: one exploding window barely moves the others") {
  value_estimator e{2, 5};
  for (int i = 0; i <= 10; ++i)
    e.add({i / 10.0, 0.0}, 10.0);
  e.add({0.5, 1.0}, 10'000.0); // a window where latency exploded a thousandfold
  for (int r = 0; r < 60; ++r)
    e.refit();
  for (int i = 0; i <= 10; i += 5) {
    std::vector<double> x{i / 10.0, 0.0};
    CHECK(e.predict(x) == doctest::Approx(10.0).epsilon(0.1));
  }
  // And far outside what it saw, a prediction stays within e^5 of the costs observed.
  std::vector<double> far{50.0, -50.0};
  CHECK(e.predict(far) >= 10.0 * std::exp(-5.0) * (1 - 1e-9));
  CHECK(e.predict(far) <= 10'000.0 * std::exp(5.0) * (1 + 1e-9));
}

TEST_CASE("without observations a refit does nothing and the loss is 0") {
  value_estimator e{3, 1};
  e.refit();
  CHECK(e.observations() == 0);
  CHECK(e.loss() == 0);
}
