// rafiki_policy.hpp: Rafiki's online ensemble selection (Wang et al., "Rafiki: machine
// learning as an analytics service system", VLDB 2018, section 5.2; issue 14 item 2) as a
// plain class stepped one decision at a time.
//
// Each time the ensemble is free it chooses an action: a batch size b from the candidates and
// a non-empty subset S of the members; the b oldest waiting requests (fewer if fewer wait)
// run on every member of S, in parallel (it never waits for a fuller batch: at low load a
// wait gains no reward). When the batch is done its reward is the paper's
//     r = a(S) * (k - beta * overdue)      (k requests in the batch, overdue: answered late)
// with a(S) the subset's modelled accuracy (ensemble_accuracy).
//
// The learner is the paper's actor-critic, with linear function approximation so that it
// learns online in hundreds of batches and is deterministic for a seed:
//   - state (the paper's): the members' measured batch latencies (member_latency) and the
//     waiting times of the queue (from which the arrival rate lambda is counted, decayed over
//     arrival_horizon_s). The critic reads phi(s) = [1, n / b_max, oldest wait / slo, mean
//     wait / slo] (n: requests waiting; each ratio capped at 8) and predicts V(s) = w . phi(s).
//   - action features psi(s, a), divided by min(n, b_max) (the largest batch that could go
//     now) so that they keep their scale however long the queue is:
//       psi0 = a(S) * k                    requests served, weighed by accuracy
//       psi1 = a(S) * predicted overdue    of the batch: waits w_i + L(S, k) > slo
//       psi2 = predicted overdue left      requests left in the queue that would be late even
//                                          if the next batch ran on the fastest member alone
//       psi3 = max(0, lambda * L(S, b_max) - b_max) / b_max (times min(n, b_max)): the share
//              of arrivals S could not keep up with even in the largest batches
//     with L(S, k) the subset's predicted batch latency (its slowest member's).
//   - actor: a softmax policy pi(a | s) proportional to exp(theta . psi(s, a) / temperature),
//     theta starting at [1, -beta, -beta, -beta], the reward's own shape, so that the first
//     batches already trade accuracy against lateness; learning corrects what the
//     predictions miss.
//   - learning, when a batch's reward r is known, at the next decision (state s'): every
//     request is served once however the batches fall, so the return counts reward per
//     request (average-reward actor-critic with requests as the clock; a plain discount per
//     decision would favour full, late batches, which earn more per decision):
//       delta = r / b_max - rho * k / b_max + discount * V(s') - V(s)
//       rho   = the reward per request earned lately (decayed over reward_horizon_requests)
//       w     += critic_rate * delta * phi(s) / |phi(s)|^2          (normalised LMS)
//       theta += actor_rate * delta * (psi(s, a) - E_pi[psi(s, .)]) / temperature
//   - exploration: actions are drawn from pi (seeded splitmix64), never a fixed epsilon; the
//     temperature sets how sharply better-predicted actions win.
// The engine's select operator cannot hold requests back: there the queue it shows is the
// requests in flight behind it, and a decision covers as many requests as it takes
// (kernels/ops/select.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include "scheduling/ensemble_policy.hpp"
#include "scheduling/splitmix64.hpp"

namespace hogar::scheduling {

struct rafiki_options {
  /// Softmax temperature over theta . psi (psi per waiting request, in accuracy units).
  double temperature = 0.01;
  double actor_rate = 0.02;
  double critic_rate = 0.05;
  /// Discount of the next decision's value.
  double discount = 0.9;
  /// Decisions kept while their outcomes are outstanding; older ones are forgotten.
  std::size_t pending_max = 4096;
  /// The arrival rate is a count of arrivals decayed over this time constant.
  double arrival_horizon_s = 1;
  /// The reward per request is a mean decayed over this many requests.
  double reward_horizon_requests = 2000;
};

class rafiki_policy final : public ensemble_policy {
public:
  static constexpr std::size_t action_features = 4;
  static constexpr std::size_t state_features = 4;

  /// `config` as make_ensemble_policy checked it.
  explicit rafiki_policy(const ensemble_config& config, rafiki_options options = {});

  std::string_view name() const noexcept override { return "rafiki"; }
  /// Learns from the outcomes reported since the last decision, then draws an action.
  ensemble_action decide(const ensemble_view& view) override;
  /// Records the batch's reward (learned from at the next decision) and its latencies.
  void observe(const ensemble_outcome& outcome) override;

  /// One action and the probability the policy gives it now.
  struct choice {
    std::int64_t batch_size = 0;
    member_set members = 0;
    double probability = 0;
  };
  /// pi(. | view): every action (batch sizes ascending, then subsets), without drawing.
  std::vector<choice> probabilities(const ensemble_view& view) const;
  /// The most probable action at `view` (the first of equals).
  choice most_probable(const ensemble_view& view) const;

  const std::array<double, action_features>& actor_weights() const noexcept { return theta_; }
  const std::array<double, state_features>& critic_weights() const noexcept { return w_; }
  /// The critic's value of a state.
  double value(const ensemble_view& view) const;

private:
  using action_vector = std::array<double, action_features>;
  using state_vector = std::array<double, state_features>;

  struct action {
    std::int64_t batch_size;
    member_set members;
  };
  /// A decision waiting for its outcome, then for the next state to learn from.
  struct transition {
    std::uint64_t decision = 0;
    state_vector phi{};
    /// (psi(s, a) - E_pi[psi]) / temperature: the gradient of log pi(a | s).
    action_vector grad{};
    bool rewarded = false;
    double reward = 0;
    /// Requests the batch served.
    double requests = 0;
  };

  state_vector state_features_of(const ensemble_view& view) const;
  /// psi(s, a) of every action, in actions_ order, and the softmax over them.
  void evaluate(const ensemble_view& view, std::vector<action_vector>& psi,
                std::vector<double>& pi) const;
  void learn(const state_vector& next);
  /// Updates the arrival rate with the requests `view` shows for the first time.
  void count_arrivals(const ensemble_view& view);

  rafiki_options options_;
  std::vector<action> actions_;
  action_vector theta_;
  state_vector w_{};
  std::deque<transition> pending_;
  splitmix64 rng_;
  /// The arrival rate (requests per nanosecond) and what it is counted from.
  double arrival_rate_per_ns_ = 0;
  double decayed_arrivals_ = 0;
  std::int64_t newest_seen_ns_ = std::numeric_limits<std::int64_t>::min();
  std::optional<std::int64_t> last_now_ns_;
  /// Reward earned per request lately (the average-reward baseline), from decayed sums.
  double reward_per_request_ = 0;
  double reward_sum_ = 0;
  double requests_sum_ = 0;
};

} // namespace hogar::scheduling
