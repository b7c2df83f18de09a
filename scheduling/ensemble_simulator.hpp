// ensemble_simulator.hpp: a discrete-event simulation of one ensemble behind one queue, so
// that the selection policies (scheduling/ensemble_policy.hpp) can be compared over
// thousands of batches in simulated time, deterministically (issue 14; bench/ensemble).
//
// What it models, as the Rafiki paper's inference service does:
//   - arrivals from an arrival_trace (arrival_trace.hpp; Rafiki's sine is diurnal_trace),
//     served once each, no wrap;
//   - one FIFO queue; whenever the ensemble is free (and when the policy's wake-up time
//     comes, or a request arrives) the policy decides how many requests to take and which
//     members run them;
//   - the members of a batch run in parallel, each on its own device: member m takes
//     cost_m.batch_ms(k) (a service_line: fixed + per item) times a seeded noise factor
//     uniform in [1 - noise, 1 + noise]; the batch is done when its slowest member is, and
//     only then does the ensemble take the next batch;
//   - the policy hears each batch's outcome (its members' latencies, how many requests were
//     late) when it is done;
//   - each request's accuracy is the probability that the ensemble's answer is right, by the
//     same subset model the policies use (ensemble_accuracy) but with the members' true
//     accuracies, which may differ from the prior a policy was given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "scheduling/arrival_trace.hpp"
#include "scheduling/ensemble_policy.hpp"
#include "scheduling/service_profile.hpp"
#include "scheduling/splitmix64.hpp"

namespace hogar::scheduling {

struct ensemble_member_profile {
  std::string name;
  /// Batch latency alone on its device: fixed_ms + per_item_ms * items.
  service_line cost;
  /// The probability that its answer is right, in [0, 1].
  double accuracy = 0.5;
};

struct ensemble_simulation_options {
  /// The objective a request is late against, from arrival to answer, milliseconds (> 0).
  double slo_ms = 100;
  /// Relative spread of each member's batch time, in [0, 1).
  double noise = 0;
  std::uint64_t seed = 1;
};

/// One request as it was served.
struct served_request {
  std::int64_t arrival_ns = 0;
  /// From arrival to the ensemble's answer.
  std::int64_t latency_ns = 0;
  member_set members = 0;
  /// Size of the batch it ran in.
  std::int64_t batch = 0;
  /// The probability its answer was right (the members' true accuracies).
  double accuracy = 0;
};

class ensemble_simulator {
public:
  /// Refused (invalid_argument, naming the field): no members or more than
  /// ensemble_members_max, a cost whose batch_ms(1) is not positive or a negative per-item
  /// cost, an accuracy outside [0, 1], an empty trace, slo_ms not positive, noise outside
  /// [0, 1).
  static result<ensemble_simulator> make(std::vector<ensemble_member_profile> members,
                                         arrival_trace trace, ensemble_simulation_options options);

  /// Serves every arrival of the trace with `policy` (made for this many members), from a
  /// fresh clock, and returns every request in arrival order. Refused: a policy for another
  /// number of members; a policy that takes more requests than wait, or none members.
  result<std::vector<served_request>> run(ensemble_policy& policy) const;

  const std::vector<ensemble_member_profile>& members() const noexcept { return members_; }

private:
  ensemble_simulator(std::vector<ensemble_member_profile> members, arrival_trace trace,
                     ensemble_simulation_options options);

  std::vector<ensemble_member_profile> members_;
  arrival_trace trace_;
  ensemble_simulation_options options_;
  ensemble_accuracy truth_;
};

} // namespace hogar::scheduling
