#include "scheduling/tuning_policy.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "scheduling/q_learning_policy.hpp"
#include "scheduling/rrl_policy.hpp"

namespace hogar::scheduling {

double window_cost(const window_observation& w, const cost_weights& weights) {
  return w.mean_latency_ms + weights.slo_weight * weights.slo_ms * w.slo_violation_fraction +
         weights.cpu_weight_ms * w.cpu_cores;
}

std::string describe(const tuning_grid& grid, const std::vector<std::int64_t>& config) {
  std::string out;
  for (std::size_t k = 0; k < config.size() && k < grid.dims(); ++k)
    out += fmt::format("{}{}={}", k == 0 ? "" : ", ", grid.knobs()[k].name, config[k]);
  return out;
}

std::int32_t workload_level(double arrival_rate, double ratio) {
  // NaN and rates below the floor alike land on the floor's level.
  auto rate = arrival_rate >= 1e-3 ? arrival_rate : 1e-3;
  return static_cast<std::int32_t>(std::floor(std::log(rate) / std::log(ratio)));
}

namespace {

/// Keeps the configuration it starts with: what a user deploys after tuning offline.
class static_policy final : public tuning_policy {
public:
  static_policy(tuning_grid grid, const std::vector<std::int64_t>& initial)
    : tuning_policy(std::move(grid)), config_(grid_.values(grid_.nearest(initial))) {}

  const std::string& name() const noexcept override {
    static const std::string name = "static";
    return name;
  }
  tuning_decision start() override { return {config_, "start"}; }
  tuning_decision next(const window_observation& w) override {
    tried_ = tried_ || w.requests > 0;
    return {config_, "hold"};
  }
  std::vector<std::int64_t> best_estimate() const override { return config_; }
  std::size_t configurations_tried() const override { return tried_ ? 1 : 0; }

private:
  std::vector<std::int64_t> config_;
  bool tried_ = false;
};

// The first setting of `config` out of its range, as the message that names it.
std::optional<std::string> check_settings(const tuning_policy_config& config) {
  auto above = [](double x, double lo) { return std::isfinite(x) && x > lo; };
  auto at_least = [](double x, double lo) { return std::isfinite(x) && x >= lo; };
  auto between = [](double x, double lo, double hi) { return x >= lo && x <= hi; };
  auto problem = [](std::string_view field, std::string_view wanted, double got) {
    return fmt::format("tuning: {} must be {}, got {}", field, wanted, got);
  };
  auto& w = config.weights;
  if (!at_least(w.slo_ms, 0))
    return problem("weights.slo_ms", "at least 0", w.slo_ms);
  if (!at_least(w.slo_weight, 0))
    return problem("weights.slo_weight", "at least 0", w.slo_weight);
  if (!at_least(w.cpu_weight_ms, 0))
    return problem("weights.cpu_weight_ms", "at least 0", w.cpu_weight_ms);
  if (!above(config.level_ratio, 1))
    return problem("level_ratio", "above 1 (e.g. 1.25)", config.level_ratio);
  if (config.policy == "rrl") {
    auto& r = config.rrl;
    if (!at_least(r.radius, 0))
      return problem("rrl.radius", "at least 0 (grid steps)", r.radius);
    if (!between(r.keep, 0, 1))
      return problem("rrl.keep", "between 0 and 1", r.keep);
    if (!above(r.temperature, 0))
      return problem("rrl.temperature", "above 0", r.temperature);
    if (!above(r.temperature_min, 0) || r.temperature_min > r.temperature)
      return problem("rrl.temperature_min",
                     fmt::format("above 0 and at most rrl.temperature ({})", r.temperature),
                     r.temperature_min);
    if (!(r.temperature_decay > 0 && r.temperature_decay <= 1))
      return problem("rrl.temperature_decay", "above 0 and at most 1", r.temperature_decay);
    if (!above(r.guard_factor, 1))
      return problem("rrl.guard_factor", "above 1", r.guard_factor);
    auto& e = r.estimator;
    if (!above(e.learning_rate, 0))
      return problem("rrl.estimator.learning_rate", "above 0", e.learning_rate);
    if (!(e.learning_rate_power <= 0 && std::isfinite(e.learning_rate_power)))
      return problem("rrl.estimator.learning_rate_power", "at most 0", e.learning_rate_power);
    if (!above(e.initial_accumulator, 0))
      return problem("rrl.estimator.initial_accumulator", "above 0", e.initial_accumulator);
    if (!at_least(e.l1, 0))
      return problem("rrl.estimator.l1", "at least 0", e.l1);
    if (!at_least(e.l2, 0))
      return problem("rrl.estimator.l2", "at least 0", e.l2);
    if (!above(e.huber_delta, 0))
      return problem("rrl.estimator.huber_delta", "above 0", e.huber_delta);
    if (e.minibatch < 1)
      return problem("rrl.estimator.minibatch", "at least 1", static_cast<double>(e.minibatch));
  } else if (config.policy == "q_learning") {
    auto& q = config.q_learning;
    if (!(q.alpha > 0 && q.alpha <= 1))
      return problem("q_learning.alpha", "above 0 and at most 1", q.alpha);
    if (!between(q.epsilon, 0, 1))
      return problem("q_learning.epsilon", "between 0 and 1", q.epsilon);
    if (!between(q.epsilon_min, 0, q.epsilon))
      return problem("q_learning.epsilon_min",
                     fmt::format("between 0 and q_learning.epsilon ({})", q.epsilon),
                     q.epsilon_min);
    if (!(q.epsilon_decay > 0 && q.epsilon_decay <= 1))
      return problem("q_learning.epsilon_decay", "above 0 and at most 1", q.epsilon_decay);
  }
  return std::nullopt;
}

} // namespace

result<std::unique_ptr<tuning_policy>> make_tuning_policy(const tuning_policy_config& config) {
  if (config.policy != "rrl" && config.policy != "q_learning" && config.policy != "static")
    return fail(errc::invalid_argument,
                fmt::format("tuning: unknown policy '{}' (rrl, q_learning or static)",
                            config.policy));
  auto grid = tuning_grid::make(config.knobs, config.points);
  if (!grid)
    return fail(grid.error().code, "tuning: " + grid.error().message);
  if (config.initial.size() != grid->dims()) {
    std::string names;
    for (auto& k : grid->knobs())
      names += (names.empty() ? "" : ", ") + k.name;
    return fail(errc::invalid_argument,
                fmt::format("tuning: initial has {} value{}, expected one per knob ({}: {})",
                            config.initial.size(), config.initial.size() == 1 ? "" : "s",
                            grid->dims(), names));
  }
  if (auto problem = check_settings(config))
    return fail(errc::invalid_argument, *problem);
  std::unique_ptr<tuning_policy> policy;
  if (config.policy == "rrl")
    policy = std::make_unique<rrl_policy>(std::move(*grid), config);
  else if (config.policy == "q_learning")
    policy = std::make_unique<q_learning_policy>(std::move(*grid), config);
  else
    policy = std::make_unique<static_policy>(std::move(*grid), config.initial);
  return policy;
}

} // namespace hogar::scheduling
