#include "scheduling/q_learning_policy.hpp"

#include <algorithm>
#include <cmath>

#include "scheduling/decay_schedule.hpp"

namespace hogar::scheduling {

q_learning_policy::q_learning_policy(tuning_grid grid, const tuning_policy_config& config)
  : tuning_policy(std::move(grid)),
    config_(config),
    initial_(grid_.nearest(config.initial)),
    random_(config.seed) {}

const std::string& q_learning_policy::name() const noexcept {
  static const std::string name = "q_learning";
  return name;
}

tuning_decision q_learning_policy::start() {
  return {grid_.values(initial_), "start"};
}

double q_learning_policy::epsilon_after(std::size_t windows) const {
  auto& q = config_.q_learning;
  return decayed(q.epsilon, q.epsilon_decay, q.epsilon_min, windows);
}

double q_learning_policy::epsilon() const {
  auto it = levels_.find(level_);
  return epsilon_after(it == levels_.end() ? 0 : it->second.windows);
}

std::size_t q_learning_policy::best_of(const level_state& level) const {
  auto best = std::min_element(level.q.begin(), level.q.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  return best->first;
}

std::vector<std::int64_t> q_learning_policy::best_estimate() const {
  auto it = levels_.find(level_);
  return grid_.values(it == levels_.end() ? initial_ : best_of(it->second));
}

tuning_decision q_learning_policy::next(const window_observation& w) {
  auto tried = grid_.nearest(w.config);
  if (w.requests == 0)
    return {grid_.values(tried), "hold: no request in the window"};
  auto cost = window_cost(w, config_.weights);
  if (!std::isfinite(cost))
    return {grid_.values(tried), "hold: the window's cost is not finite"};
  tried_.insert(tried);
  level_ = workload_level(w.arrival_rate, config_.level_ratio);
  auto& level = levels_[level_];
  auto [q, first] = level.q.try_emplace(tried, cost);
  if (!first)
    q->second = (1 - config_.q_learning.alpha) * q->second + config_.q_learning.alpha * cost;
  ++level.windows;
  if (random_.uniform() < epsilon_after(level.windows)) {
    auto pick = std::min(static_cast<std::size_t>(random_.uniform() *
                                                  static_cast<double>(grid_.size())),
                         grid_.size() - 1);
    return {grid_.values(pick), "explore"};
  }
  return {grid_.values(best_of(level)), "exploit"};
}

} // namespace hogar::scheduling
