#include "scheduling/ensemble_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace hogar::scheduling {

namespace {

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

std::vector<double> accuracies(const std::vector<ensemble_member_profile>& members) {
  std::vector<double> out;
  for (auto& m : members)
    out.push_back(m.accuracy);
  return out;
}

} // namespace

result<ensemble_simulator> ensemble_simulator::make(std::vector<ensemble_member_profile> members,
                                                    arrival_trace trace,
                                                    ensemble_simulation_options options) {
  if (members.empty() || members.size() > ensemble_members_max)
    return fail(errc::invalid_argument,
                fmt::format("ensemble simulator: 1 to {} members, not {}", ensemble_members_max,
                            members.size()));
  for (auto& m : members) {
    if (!(m.cost.batch_ms(1) > 0) || !(m.cost.per_item_ms >= 0))
      return fail(errc::invalid_argument,
                  fmt::format("ensemble simulator: member '{}': a batch of 1 must take some "
                              "time and an item no negative time (fixed_ms {}, per_item_ms {})",
                              m.name, m.cost.fixed_ms, m.cost.per_item_ms));
    if (!(m.accuracy >= 0 && m.accuracy <= 1))
      return fail(errc::invalid_argument,
                  fmt::format("ensemble simulator: member '{}': accuracy {} is not in [0, 1]",
                              m.name, m.accuracy));
  }
  if (trace.interarrival_s.empty())
    return fail(errc::invalid_argument, "ensemble simulator: the arrival trace is empty");
  if (!(options.slo_ms > 0) || !std::isfinite(options.slo_ms))
    return fail(errc::invalid_argument,
                fmt::format("ensemble simulator: slo_ms = {} must be positive", options.slo_ms));
  if (!(options.noise >= 0 && options.noise < 1))
    return fail(errc::invalid_argument,
                fmt::format("ensemble simulator: noise = {} must be in [0, 1)", options.noise));
  return ensemble_simulator{std::move(members), std::move(trace), options};
}

ensemble_simulator::ensemble_simulator(std::vector<ensemble_member_profile> members,
                                       arrival_trace trace, ensemble_simulation_options options)
  : members_(std::move(members)),
    trace_(std::move(trace)),
    options_(options),
    truth_(accuracies(members_)) {}

result<std::vector<served_request>> ensemble_simulator::run(ensemble_policy& policy) const {
  if (policy.accuracy().members() != members_.size())
    return fail(errc::invalid_argument,
                fmt::format("ensemble simulator: the policy has {} members, the ensemble {}",
                            policy.accuracy().members(), members_.size()));
  const auto slo_ns = static_cast<std::int64_t>(std::llround(options_.slo_ms * 1e6));
  splitmix64 noise{options_.seed ^ 0x510e527fade682d1ULL};

  std::vector<std::int64_t> arrivals;
  arrivals.reserve(trace_.size());
  double t = 0;
  for (auto gap : trace_.interarrival_s) {
    t += gap;
    arrivals.push_back(std::llround(t * 1e9));
  }
  std::vector<served_request> served(arrivals.size());

  struct running_batch {
    std::size_t first = 0;  // index into arrivals of its oldest request
    std::size_t count = 0;
    member_set members = 0;
    std::int64_t done_ns = 0;
    ensemble_outcome outcome;
  };
  std::optional<running_batch> running;
  std::size_t next_arrival = 0;  // arrivals[next_arrival] has not arrived yet
  std::size_t head = 0;          // arrivals[head, next_arrival) wait in the queue
  std::int64_t now = 0;
  std::int64_t wake = never;

  while (true) {
    // Done batch first, then arrivals at the same instant, then a decision.
    if (running && running->done_ns <= now) {
      auto& b = *running;
      for (std::size_t i = b.first; i < b.first + b.count; ++i) {
        auto& r = served[i];
        r.arrival_ns = arrivals[i];
        r.latency_ns = b.done_ns - arrivals[i];
        r.members = b.members;
        r.batch = static_cast<std::int64_t>(b.count);
        r.accuracy = truth_.of(b.members);
        if (r.latency_ns > slo_ns)
          ++b.outcome.overdue;
      }
      policy.observe(b.outcome);
      running.reset();
    }
    while (next_arrival < arrivals.size() && arrivals[next_arrival] <= now)
      ++next_arrival;
    if (!running && head < next_arrival) {
      std::span<const std::int64_t> queue{arrivals.data() + head, next_arrival - head};
      auto d = policy.decide({now, queue, true});
      wake = never;
      if (d.take > 0) {
        if (d.take > queue.size() || d.members == 0 || d.members > policy.everyone())
          return fail(errc::invalid_argument,
                      fmt::format("ensemble simulator: policy {} took {} of {} requests with "
                                  "members {:#x}",
                                  policy.name(), d.take, queue.size(), d.members));
        running_batch b;
        b.first = head;
        b.count = d.take;
        b.members = d.members;
        b.outcome.decision = d.decision;
        b.outcome.members = d.members;
        b.outcome.requests = d.take;
        b.outcome.member_latency_ns.assign(members_.size(), -1);
        std::int64_t slowest = 0;
        for (std::size_t m = 0; m < members_.size(); ++m) {
          if (!(d.members >> m & 1))
            continue;
          double factor = 1 + options_.noise * (2 * noise.uniform() - 1);
          auto ns = std::llround(members_[m].cost.batch_ms(static_cast<std::int64_t>(d.take)) *
                                 1e6 * factor);
          b.outcome.member_latency_ns[m] = ns;
          slowest = std::max<std::int64_t>(slowest, ns);
        }
        b.outcome.latency_ns = slowest;
        b.done_ns = now + slowest;
        head += d.take;
        running = std::move(b);
      } else if (d.wake_at_ns) {
        wake = std::max(*d.wake_at_ns, now + 1);
      }
    }
    // The next event.
    std::int64_t next = never;
    if (next_arrival < arrivals.size())
      next = arrivals[next_arrival];
    if (running)
      next = std::min(next, running->done_ns);
    else if (wake != never)
      next = std::min(next, wake);
    if (next == never)
      break;
    now = std::max(now, next);
  }
  if (head != arrivals.size())
    return fail(errc::internal,
                fmt::format("ensemble simulator: policy {} left {} requests unserved",
                            policy.name(), arrivals.size() - head));
  return served;
}

} // namespace hogar::scheduling
