// ensemble_policy.hpp: which members of an ensemble run for each batch, and how large the
// batch is (issue 14; design.md "Batching and tuning"; the Rafiki paper's online ensemble).
// Plain classes fed with clock readings: the engine's `select` operator
// (kernels/ops/select.hpp), the ensemble simulator (scheduling/ensemble_simulator.hpp) and
// tests step them alike, with a fixed seed and no threads.
//
// One queue of requests waits in front of the ensemble. Whenever the ensemble is free the
// caller shows the policy the queue (ensemble_view) and gets an ensemble_action: how many
// requests to take now (or when to look again) and which members run them. When the batch
// is done the caller reports what it cost (ensemble_outcome) under the decision's id.
//
// Three selections, as the `ensemble` kind's `selection` parameter names them:
//   all     every member, batches formed by the engine's SLO-greedy batching
//           (batching_policy.hpp, "slo_greedy").
//   greedy  the same batches; the members are the most accurate subset whose predicted
//           latency still lets the batch's oldest request meet the SLO (with a tenth of it to
//           spare), else the fastest member alone. Myopic: it looks at the oldest request only.
//   rafiki  the reinforcement-learning policy of Rafiki (scheduling/rafiki_policy.hpp).
//
// What the policies know of the members:
//   - latency: each member's batch latency per batch size, measured (member_latency below);
//     members run in parallel, so a subset's batch takes as long as its slowest member;
//   - accuracy: a prior per member, replaced by set_member_accuracy when feedback tells
//     better (issue 14 item 3). A subset's accuracy is modelled as that of a weighted
//     majority vote of independent members over two outcomes, weighted by log-odds
//     (ensemble_accuracy below): never below its best member's, and higher with every member
//     added, as ensembles of competing models are in the Rafiki paper.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "scheduling/batching_policy.hpp"

namespace hogar::scheduling {

/// A subset of the members: bit m set means member m runs.
using member_set = std::uint32_t;

/// Subsets are enumerated (2^members - 1 of them), so the members are few.
inline constexpr std::size_t ensemble_members_max = 8;

/// The accuracy of every subset, from the members' accuracies.
class ensemble_accuracy {
public:
  /// Accuracies in [0, 1]; the model clamps them to [0.501, 0.999] (a member no better than
  /// a coin adds nothing to a vote; a perfect one would outvote every other).
  explicit ensemble_accuracy(std::vector<double> member_accuracy);

  std::size_t members() const noexcept { return member_.size(); }
  double member(std::size_t m) const { return member_.at(m); }
  /// The probability that a log-odds weighted vote of the set's members is right (ties count
  /// half); 0 for the empty set.
  double of(member_set set) const { return subset_.at(set); }
  /// Replaces member m's accuracy and recomputes every subset (3^members steps).
  void set(std::size_t m, double accuracy);

private:
  void recompute();
  std::vector<double> member_;
  std::vector<double> subset_;
};

/// One member's measured batch latencies, and a prediction for any batch size.
class member_latency {
public:
  /// A batch of `items` took `latency_ns` on this member (smoothed per size: 0.8 old, 0.2 new).
  void observe(std::int64_t items, std::int64_t latency_ns);
  /// A lower bound was learned: the member took at most `latency_ns` for `items` (its
  /// estimate there is lowered to it, never raised).
  void at_most(std::int64_t items, std::int64_t latency_ns);
  bool known() const noexcept { return !by_size_.empty(); }
  /// Predicted latency of a batch of `items`, nanoseconds: the measured value at that size;
  /// else a least-squares line (fixed + per item) through the sizes measured, or, with one
  /// size measured, that value for smaller batches and proportionally more for larger ones.
  /// nullopt when nothing was measured.
  std::optional<double> predict_ns(std::int64_t items) const;

private:
  std::map<std::int64_t, double> by_size_;
};

/// What a selection policy is made with.
struct ensemble_config {
  /// The members' accuracies (the prior), in [0, 1]; also gives the member count (1 to
  /// ensemble_members_max; rafiki and greedy need 2 or more).
  std::vector<double> accuracy;
  /// The latency objective from arrival in the queue to the ensemble's answer, microseconds
  /// (> 0).
  std::int64_t slo_us = 0;
  /// Candidate batch sizes, ascending (every one >= 1). all and greedy batch up to the
  /// largest; rafiki chooses among them.
  std::vector<std::int64_t> batch_sizes = {1, 2, 4, 8, 16};
  /// Rafiki's reward: accuracy * (requests - beta * overdue requests).
  double beta = 0.5;
  /// Seeds the sampling of rafiki's actions.
  std::uint64_t seed = 1;
};

/// The queue as a policy sees it when the ensemble is free.
struct ensemble_view {
  std::int64_t now_ns = 0;
  /// When each waiting request arrived, oldest first; never empty.
  std::span<const std::int64_t> arrivals_ns;
  /// False where the caller cannot hold requests back (the engine's select operator, whose
  /// members batch on their own): the policy then dispatches now.
  bool can_wait = true;
};

struct ensemble_action {
  /// Requests to take from the head of the queue now; 0: wait.
  std::size_t take = 0;
  /// The batch size chosen (take is at most this; less when fewer wait).
  std::int64_t batch_size = 0;
  /// The members that run the batch (never empty when take > 0).
  member_set members = 0;
  /// While waiting: when to decide again unless a request arrives first.
  std::optional<std::int64_t> wake_at_ns;
  /// Report the batch's outcome under this id (counts from 1).
  std::uint64_t decision = 0;
};

/// What a dispatched batch cost.
struct ensemble_outcome {
  std::uint64_t decision = 0;
  /// The members that ran it.
  member_set members = 0;
  /// Requests in the batch, and those answered after the objective.
  std::size_t requests = 0;
  std::size_t overdue = 0;
  /// From dispatch to the last member's answer, nanoseconds.
  std::int64_t latency_ns = 0;
  /// Per member, from dispatch to its answer; -1 for members that did not run or were not
  /// measured. Empty: only latency_ns is known (each member then learns it took at most that,
  /// and the member predicted slowest learns it took that).
  std::vector<std::int64_t> member_latency_ns;
};

class ensemble_policy {
public:
  virtual ~ensemble_policy() = default;

  /// "all", "greedy" or "rafiki".
  virtual std::string_view name() const noexcept = 0;
  /// What to do with the queue `view` shows, the ensemble being free.
  virtual ensemble_action decide(const ensemble_view& view) = 0;
  /// A batch this policy dispatched is done; its measured latencies join the members'.
  virtual void observe(const ensemble_outcome& outcome);

  /// Feedback: member m's accuracy, measured (issue 14 item 3), replaces its prior.
  void set_member_accuracy(std::size_t m, double accuracy) { accuracy_.set(m, accuracy); }
  const ensemble_accuracy& accuracy() const noexcept { return accuracy_; }
  const std::vector<member_latency>& latencies() const noexcept { return latency_; }
  const ensemble_config& config() const noexcept { return config_; }

  /// Predicted latency of the set's batch of `items`: its slowest member's. A member never
  /// measured is predicted to take no time, so that it is tried (and measured) as soon as it
  /// could help.
  double predict_ns(member_set set, std::int64_t items) const;
  /// Every member.
  member_set everyone() const noexcept { return (member_set{1} << accuracy_.members()) - 1; }

protected:
  explicit ensemble_policy(const ensemble_config& config);
  std::uint64_t next_decision() noexcept { return ++decisions_; }

  ensemble_config config_;
  ensemble_accuracy accuracy_;
  std::vector<member_latency> latency_;

private:
  std::uint64_t decisions_ = 0;
};

/// The policy `selection` names ("all", "greedy", "rafiki"). Refused (invalid_argument,
/// naming the field): an unknown selection, no members or more than ensemble_members_max, one
/// member for greedy or rafiki, an accuracy outside [0, 1], slo_us not positive, no batch
/// sizes or one below 1 or out of order, a negative beta.
result<std::unique_ptr<ensemble_policy>> make_ensemble_policy(std::string_view selection,
                                                              const ensemble_config& config);

/// The number of members in a set.
inline std::size_t member_count(member_set set) noexcept {
  return static_cast<std::size_t>(std::popcount(set));
}

} // namespace hogar::scheduling
