#include "scheduling/rrl_policy.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "scheduling/decay_schedule.hpp"

namespace hogar::scheduling {

namespace {

// The cost of a window, kept positive: the Boltzmann preferences divide by it.
constexpr double cost_floor_ms = 1e-6;

} // namespace

rrl_policy::rrl_policy(tuning_grid grid, const tuning_policy_config& config)
  : tuning_policy(std::move(grid)),
    config_(config),
    initial_(grid_.nearest(config.initial)),
    // The estimator and the sampler draw from different streams of the same seed.
    estimator_(1 + grid_.dims(), config.seed, config.rrl.estimator),
    sampler_(config.seed ^ 0x5bd1e9955bd1e995ULL) {}

const std::string& rrl_policy::name() const noexcept {
  static const std::string name = "rrl";
  return name;
}

tuning_decision rrl_policy::start() {
  return {grid_.values(initial_), "start"};
}

std::vector<double> rrl_policy::features(double arrival_rate, std::size_t config) const {
  std::vector<double> f;
  f.reserve(1 + grid_.dims());
  f.push_back(std::log10(1 + std::max(arrival_rate, 0.0)) / 5);
  auto coords = grid_.coords(config);
  for (std::size_t k = 0; k < coords.size(); ++k) {
    auto last = grid_.values_of(k).size() - 1;
    f.push_back(last == 0 ? 0.0 : static_cast<double>(coords[k]) / static_cast<double>(last));
  }
  return f;
}

double rrl_policy::temperature_after(std::size_t windows) const {
  auto& r = config_.rrl;
  return decayed(r.temperature, r.temperature_decay, r.temperature_min, windows);
}

double rrl_policy::temperature() const {
  auto it = levels_.find(level_);
  return temperature_after(it == levels_.end() ? 0 : it->second.windows);
}

const region_values* rrl_policy::values() const {
  auto it = levels_.find(level_);
  return it == levels_.end() ? nullptr : &it->second.values;
}

std::vector<std::int64_t> rrl_policy::best_estimate() const {
  auto* table = values();
  return grid_.values(table ? table->best() : initial_);
}

tuning_decision rrl_policy::next(const window_observation& w) {
  auto tried = grid_.nearest(w.config);
  // A window without requests, or without a cost to learn from, says nothing about its
  // configuration (and a NaN would poison the estimator for good).
  if (w.requests == 0)
    return {grid_.values(tried), "hold: no request in the window"};
  auto cost = window_cost(w, config_.weights);
  if (!std::isfinite(cost))
    return {grid_.values(tried), "hold: the window's cost is not finite"};
  cost = std::max(cost, cost_floor_ms);
  auto rate = std::isfinite(w.arrival_rate) ? std::max(w.arrival_rate, 0.0) : 0.0;
  auto predict = [&](std::size_t c) { return estimator_.predict(features(rate, c)); };

  // 1. What the estimator learns from the window.
  auto taught = estimator_.observations() > 0;
  estimator_.add(features(rate, tried), cost);
  estimator_.refit();
  tried_.insert(tried);

  // 2. The level's table: the measurement, then the region around it.
  level_ = workload_level(rate, config_.level_ratio);
  auto at = levels_.find(level_);
  auto fresh = at == levels_.end();
  if (fresh)
    at = levels_.emplace(level_, level_state{region_values{grid_, cost}, 0, {}}).first;
  auto& level = at->second;
  if (fresh && taught) {
    // Every configuration but the one tried takes the prediction (keep 0, the whole grid).
    double diagonal = 0;
    for (std::size_t k = 0; k < grid_.dims(); ++k)
      diagonal += std::pow(static_cast<double>(grid_.values_of(k).size()), 2);
    level.values.spread(tried, std::sqrt(diagonal), 0.0, predict);
  }
  level.values.observe(tried, cost);
  level.values.spread(tried, config_.rrl.radius, config_.rrl.keep, predict);
  level.measured[tried] = cost;
  ++level.windows;

  // The guard, against the lowest cost last measured at this level.
  auto best = std::min_element(level.measured.begin(), level.measured.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  if (cost > config_.rrl.guard_factor * best->second) {
    auto back = grid_.values(best->first);
    return {back, fmt::format("guard: cost {:.1f}x the best ({:.1f} ms), back to {}",
                              cost / best->second, best->second, describe(grid_, back))};
  }

  // 3. The next configuration.
  auto pick = sampler_.pick(level.values.values(), temperature_after(level.windows));
  return {grid_.values(pick), pick == level.values.best() ? "exploit" : "explore"};
}

} // namespace hogar::scheduling
