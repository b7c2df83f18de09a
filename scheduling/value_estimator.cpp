#include "scheduling/value_estimator.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace hogar::scheduling {

namespace {

// y += a * x over N values. A length known at compile time and no aliasing let -O2
// vectorize it; the order of each sum stays fixed, so results do not depend on it.
template <std::size_t N>
void axpy(double* __restrict y, const double* __restrict x, double a) {
  for (std::size_t i = 0; i < N; ++i)
    y[i] += a * x[i];
}

// The dot product of N values (N a multiple of 4), in four fixed interleaved partial sums
// that -O2 vectorizes without reordering anything.
template <std::size_t N>
double dot(const double* __restrict a, const double* __restrict b) {
  static_assert(N % 4 == 0);
  double s[4] = {0, 0, 0, 0};
  for (std::size_t j = 0; j < N; j += 4) {
    s[0] += a[j] * b[j];
    s[1] += a[j + 1] * b[j + 1];
    s[2] += a[j + 2] * b[j + 2];
    s[3] += a[j + 3] * b[j + 3];
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

} // namespace

double huber_loss(double residual, double delta) noexcept {
  auto a = std::abs(residual);
  return a <= delta ? 0.5 * residual * residual : delta * (a - 0.5 * delta);
}

double huber_gradient(double residual, double delta) noexcept {
  return std::clamp(residual, -delta, delta);
}

value_estimator::value_estimator(std::size_t inputs, std::uint64_t seed,
                                 value_estimator_options options)
  : inputs_(inputs), options_(options), rng_(seed) {
  auto place = [this](std::size_t in, std::size_t out) {
    layer l{in, out, weights_.size(), weights_.size() + in * out};
    weights_.resize(l.b + out, 0.0);
    return l;
  };
  l1_ = place(inputs_, hidden1);
  l2_ = place(hidden1, hidden2);
  l3_ = place(hidden2, 1);
  // He initialization for the ReLU layers, biases 0. The output layer starts at 0: the
  // untrained network predicts the first cost everywhere, the only sensible prior.
  for (auto* l : {&l1_, &l2_}) {
    auto scale = std::sqrt(2.0 / static_cast<double>(std::max<std::size_t>(l->in, 1)));
    for (std::size_t i = l->w; i < l->b; ++i)
      weights_[i] = scale * normal();
  }
  gradient_.assign(weights_.size(), 0.0);
  n_.assign(weights_.size(), options_.initial_accumulator);
  // FTRL holds each weight as a closed form of its linear term z. TensorFlow starts z at 0,
  // which pulls every initial weight to about 0 on the first step and loses the He scale;
  // starting z where the closed form gives the initial weight keeps it: with l1 = l2 = 0 the
  // first step is then exactly an Adagrad step from the initialization.
  auto q0 = std::pow(options_.initial_accumulator, -options_.learning_rate_power) /
              options_.learning_rate +
            2 * options_.l2;
  z_.resize(weights_.size());
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    auto w = weights_[i];
    z_[i] = w == 0 ? 0.0 : -(w * q0 + std::copysign(options_.l1, w));
  }
  h1_.resize(hidden1);
  h2_.resize(hidden2);
  d1_.resize(hidden1);
  d2_.resize(hidden2);
}

double value_estimator::uniform() {
  return rng_.uniform();
}

double value_estimator::normal() {
  // Box-Muller; 1 - u lies in (0, 1], so the log is finite.
  auto u1 = 1.0 - uniform();
  auto u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void value_estimator::add(std::vector<double> features, double cost) {
  assert(features.size() == inputs_);
  assert(std::isfinite(cost));
  auto target = std::log(std::max(cost, 1e-9));
  if (targets_.empty()) {
    offset_ = target;
    target_min_ = target_max_ = 0;
  }
  target -= offset_;
  target_min_ = std::min(target_min_, target);
  target_max_ = std::max(target_max_, target);
  features_.insert(features_.end(), features.begin(), features.end());
  targets_.push_back(target);
}

double value_estimator::forward(const double* x, double* h1, double* h2) const {
  // Weights are stored input-major (in x out): each step adds one input's column to the
  // outputs, and inactive ReLU units (about half) are skipped.
  const double* w = weights_.data();
  std::copy_n(w + l1_.b, hidden1, h1);
  for (std::size_t i = 0; i < l1_.in; ++i)
    axpy<hidden1>(h1, w + l1_.w + i * hidden1, x[i]);
  std::copy_n(w + l2_.b, hidden2, h2);
  for (std::size_t i = 0; i < hidden1; ++i) {
    if (h1[i] <= 0) {
      h1[i] = 0;
      continue;
    }
    axpy<hidden2>(h2, w + l2_.w + i * hidden2, h1[i]);
  }
  for (std::size_t i = 0; i < hidden2; ++i)
    h2[i] = h2[i] > 0 ? h2[i] : 0;
  return w[l3_.b] + dot<hidden2>(w + l3_.w, h2);
}

void value_estimator::refit() {
  auto count = targets_.size();
  if (count == 0)
    return;
  auto batch = std::max<std::size_t>(options_.minibatch, 1);
  auto scale = 1.0 / static_cast<double>(batch);
  const double* w = weights_.data();
  double* g = gradient_.data();
  for (std::size_t step = 0; step < options_.refit_steps; ++step) {
    std::fill(gradient_.begin(), gradient_.end(), 0.0);
    for (std::size_t s = 0; s < batch; ++s) {
      auto pick = std::min(static_cast<std::size_t>(uniform() * static_cast<double>(count)),
                           count - 1);
      const double* x = features_.data() + pick * inputs_;
      auto y = forward(x, h1_.data(), h2_.data());
      auto dy = huber_gradient(y - targets_[pick], options_.huber_delta) * scale;
      // Output layer; d2 is the gradient at the second hidden layer's sums.
      g[l3_.b] += dy;
      axpy<hidden2>(g + l3_.w, h2_.data(), dy);
      for (std::size_t i = 0; i < hidden2; ++i)
        d2_[i] = h2_[i] > 0 ? dy * w[l3_.w + i] : 0;
      axpy<hidden2>(g + l2_.b, d2_.data(), 1.0);
      // Second hidden layer, from each active unit of the first; d1 is the gradient at the
      // first layer's sums (0 for inactive units).
      for (std::size_t i = 0; i < hidden1; ++i) {
        d1_[i] = 0;
        if (h1_[i] <= 0)
          continue;
        axpy<hidden2>(g + l2_.w + i * hidden2, d2_.data(), h1_[i]);
        d1_[i] = dot<hidden2>(w + l2_.w + i * hidden2, d2_.data());
      }
      // First hidden layer.
      axpy<hidden1>(g + l1_.b, d1_.data(), 1.0);
      for (std::size_t i = 0; i < l1_.in; ++i)
        axpy<hidden1>(g + l1_.w + i * hidden1, d1_.data(), x[i]);
    }
    ftrl_update();
  }
}

void value_estimator::ftrl_update() {
  // FTRL-Proximal per coordinate, as TensorFlow's ApplyFtrl:
  //   n' = n + g^2;  sigma = (n'^-p - n^-p) / lr;  z += g - sigma * w
  //   w = |z| <= l1 ? 0 : (sign(z) l1 - z) / (n'^-p / lr + 2 l2)
  // with p = learning_rate_power. A coordinate with no gradient keeps its weight exactly, so
  // it is skipped (dead ReLU units, unused inputs).
  auto lr = options_.learning_rate;
  auto power = -options_.learning_rate_power;
  auto root = power == 0.5;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    auto g = gradient_[i];
    if (g == 0)
      continue;
    auto n = n_[i];
    auto next = n + g * g;
    auto before = root ? std::sqrt(n) : std::pow(n, power);
    auto after = root ? std::sqrt(next) : std::pow(next, power);
    auto w = weights_[i];
    auto z = z_[i] + g - (after - before) / lr * w;
    n_[i] = next;
    z_[i] = z;
    auto quadratic = after / lr + 2 * options_.l2;
    weights_[i] =
      std::abs(z) <= options_.l1 ? 0.0 : (std::copysign(options_.l1, z) - z) / quadratic;
  }
}

double value_estimator::predict(std::span<const double> features) const {
  assert(features.size() == inputs_);
  std::vector<double> h1(hidden1), h2(hidden2);
  auto y = forward(features.data(), h1.data(), h2.data());
  return std::exp(offset_ + std::clamp(y, target_min_ - 5.0, target_max_ + 5.0));
}

double value_estimator::loss() const {
  if (targets_.empty())
    return 0;
  std::vector<double> h1(hidden1), h2(hidden2);
  double sum = 0;
  for (std::size_t k = 0; k < targets_.size(); ++k) {
    auto y = forward(features_.data() + k * inputs_, h1.data(), h2.data());
    sum += huber_loss(y - targets_[k], options_.huber_delta);
  }
  return sum / static_cast<double>(targets_.size());
}

} // namespace hogar::scheduling
