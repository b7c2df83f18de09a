// rrl_policy.hpp: region-based reinforcement learning, the online tuner of the SC'19 paper
// (issue 10; design.md "Batching and tuning"), as a plain class stepped one window at a time.
//
// Each window measured under configuration c at arrival rate r:
//   1. its cost (window_cost) joins the estimator's observations, at features
//      (rate, c), and the estimator is refit (bounded work, value_estimator.hpp);
//   2. the value table of r's workload level (workload_level) takes the cost at c, and every
//      configuration within rrl.radius of c moves toward the estimator's prediction for it at
//      rate r, keeping rrl.keep of its value (region_values::spread);
//   3. the next configuration is drawn with Boltzmann probabilities over that table
//      (boltzmann_sampler) at the level's temperature (rrl_options): "exploit" when the draw
//      is the table's best, "explore" otherwise.
// A level seen for the first time starts its table from the estimator's predictions at its
// rate when other windows taught it something (how learning carries over between loads),
// else from its first measurement everywhere. That first window predicts every configuration
// of the grid, about 4 us each (11^4 = 14,641 configurations: about 0.1 s); other windows
// cost a refit (value_estimator_options) and the predictions of one region (radius 3 in 4
// knobs: up to 425 configurations), a few milliseconds.
//
// Transfer helps when the best configuration moves little between loads; when it moves far,
// the new level first tries where the old one was best and unlearns it (the guard bounds
// what that costs), which takes longer than starting from scratch.
//
// Not in the paper: a guard. When a window costs more than rrl.guard_factor times the lowest
// cost last measured at any configuration of its level, the next window goes back to that
// configuration ("guard: cost 4.2x the best (12.1 ms), back to batch_size=8, ..."): an
// exploring tuner may try a configuration that overloads the operator, and users should pay
// for it one window, not several.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scheduling/region_values.hpp"
#include "scheduling/tuning_policy.hpp"
#include "scheduling/value_estimator.hpp"

namespace hogar::scheduling {

class rrl_policy final : public tuning_policy {
public:
  /// `config` as make_tuning_policy checked it. The level tables point into the grid the
  /// policy owns: it is neither copied nor moved (make_tuning_policy returns it on the heap).
  rrl_policy(tuning_grid grid, const tuning_policy_config& config);
  rrl_policy(const rrl_policy&) = delete;
  rrl_policy& operator=(const rrl_policy&) = delete;

  const std::string& name() const noexcept override;
  tuning_decision start() override;
  tuning_decision next(const window_observation& w) override;
  /// The lowest value of the current level's table (measured or estimated); the initial
  /// configuration before the first window.
  std::vector<std::int64_t> best_estimate() const override;
  std::size_t configurations_tried() const override { return tried_.size(); }

  /// Workload levels seen so far.
  std::size_t levels() const noexcept { return levels_.size(); }
  /// The level of the last window with requests; its table, nullptr before the first one.
  std::int32_t level() const noexcept { return level_; }
  const region_values* values() const;
  /// The temperature of the next draw at the current level.
  double temperature() const;
  const value_estimator& estimator() const noexcept { return estimator_; }

  /// What the estimator sees of `config` at `arrival_rate`: log10(1 + rate) / 5 (0 at rest,
  /// 1 at 100,000 requests/s), then each knob's grid coordinate scaled to [0, 1].
  std::vector<double> features(double arrival_rate, std::size_t config) const;

private:
  struct level_state {
    region_values values;
    /// Windows measured at this level (the temperature decays with them).
    std::size_t windows = 0;
    /// The cost last measured at each configuration tried here: the guard's reference.
    std::map<std::size_t, double> measured;
  };

  double temperature_after(std::size_t windows) const;

  tuning_policy_config config_;
  std::size_t initial_;
  value_estimator estimator_;
  boltzmann_sampler sampler_;
  std::map<std::int32_t, level_state> levels_;
  std::int32_t level_ = 0;
  std::set<std::size_t> tried_;
};

} // namespace hogar::scheduling
