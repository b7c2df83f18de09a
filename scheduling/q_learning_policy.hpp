// q_learning_policy.hpp: plain tabular Q-learning over the tuning grid, the baseline RRL is
// measured against in the SC'19 paper (issue 10; design.md "Batching and tuning").
//
// The same workload levels as RRL (workload_level), each with its own table, but nothing that
// lets one measurement say something about another configuration: no region update, no
// estimator. Only measured configurations have a value, Q <- (1 - alpha) Q + alpha * cost
// (the first measurement sets it). The next window goes, with probability epsilon (decaying
// per level, q_learning_options), to a uniformly random grid point ("explore"), otherwise to
// the lowest Q measured at the level ("exploit").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scheduling/region_values.hpp"
#include "scheduling/tuning_policy.hpp"

namespace hogar::scheduling {

class q_learning_policy final : public tuning_policy {
public:
  /// `config` as make_tuning_policy checked it.
  q_learning_policy(tuning_grid grid, const tuning_policy_config& config);

  const std::string& name() const noexcept override;
  tuning_decision start() override;
  tuning_decision next(const window_observation& w) override;
  /// The lowest Q measured at the current level; the initial configuration before the first
  /// window.
  std::vector<std::int64_t> best_estimate() const override;
  std::size_t configurations_tried() const override { return tried_.size(); }

  /// Workload levels seen so far, and the level of the last window with requests.
  std::size_t levels() const noexcept { return levels_.size(); }
  std::int32_t level() const noexcept { return level_; }
  /// The share of random windows for the next draw at the current level.
  double epsilon() const;

private:
  struct level_state {
    /// Q of each configuration measured at this level (ordered: ties go to the lowest index).
    std::map<std::size_t, double> q;
    std::size_t windows = 0;
  };

  double epsilon_after(std::size_t windows) const;
  std::size_t best_of(const level_state& level) const;

  tuning_policy_config config_;
  std::size_t initial_;
  boltzmann_sampler random_;
  std::map<std::int32_t, level_state> levels_;
  std::int32_t level_ = 0;
  std::set<std::size_t> tried_;
};

} // namespace hogar::scheduling
