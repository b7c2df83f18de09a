#include "scheduling/ensemble_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "scheduling/rafiki_policy.hpp"

namespace hogar::scheduling {

// -- ensemble_accuracy ------------------------------------------------------------------------

ensemble_accuracy::ensemble_accuracy(std::vector<double> member_accuracy)
  : member_(std::move(member_accuracy)) {
  recompute();
}

void ensemble_accuracy::set(std::size_t m, double accuracy) {
  member_.at(m) = accuracy;
  recompute();
}

void ensemble_accuracy::recompute() {
  const auto n = member_.size();
  std::vector<double> p(n), w(n);
  for (std::size_t m = 0; m < n; ++m) {
    p[m] = std::clamp(member_[m], 0.501, 0.999);
    w[m] = std::log(p[m] / (1 - p[m]));
  }
  subset_.assign(std::size_t{1} << n, 0.0);
  for (member_set set = 1; set < subset_.size(); ++set) {
    // Every pattern of right (bit set) and wrong members of the set.
    double total = 0;
    for (member_set right = set;; right = (right - 1) & set) {
      double prob = 1, margin = 0;
      for (std::size_t m = 0; m < n; ++m) {
        if (!(set >> m & 1))
          continue;
        bool ok = right >> m & 1;
        prob *= ok ? p[m] : 1 - p[m];
        margin += ok ? w[m] : -w[m];
      }
      total += margin > 1e-12 ? prob : std::abs(margin) <= 1e-12 ? prob / 2 : 0;
      if (right == 0)
        break;
    }
    subset_[set] = total;
  }
}

// -- member_latency ---------------------------------------------------------------------------

void member_latency::observe(std::int64_t items, std::int64_t latency_ns) {
  auto [it, fresh] = by_size_.emplace(items, static_cast<double>(latency_ns));
  if (!fresh)
    it->second = 0.8 * it->second + 0.2 * static_cast<double>(latency_ns);
}

void member_latency::at_most(std::int64_t items, std::int64_t latency_ns) {
  auto bound = static_cast<double>(latency_ns);
  auto predicted = predict_ns(items);
  if (predicted && *predicted <= bound)
    return;
  by_size_[items] = bound;
}

std::optional<double> member_latency::predict_ns(std::int64_t items) const {
  if (by_size_.empty())
    return std::nullopt;
  if (auto it = by_size_.find(items); it != by_size_.end())
    return it->second;
  auto x = static_cast<double>(items);
  if (by_size_.size() == 1) {
    auto [size, ns] = *by_size_.begin();
    return items < size ? ns : ns * x / static_cast<double>(size);
  }
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (auto [size, ns] : by_size_) {
    auto s = static_cast<double>(size);
    n += 1;
    sx += s;
    sy += ns;
    sxx += s * s;
    sxy += s * ns;
  }
  // Batches never get cheaper with more items: a falling fit (noise) becomes flat.
  double slope = std::max(0.0, (n * sxy - sx * sy) / (n * sxx - sx * sx));
  double fixed = (sy - slope * sx) / n;
  return std::max(1e3, fixed + slope * x);
}

// -- ensemble_policy --------------------------------------------------------------------------

ensemble_policy::ensemble_policy(const ensemble_config& config)
  : config_(config), accuracy_(config.accuracy), latency_(config.accuracy.size()) {}

void ensemble_policy::observe(const ensemble_outcome& outcome) {
  auto items = static_cast<std::int64_t>(outcome.requests);
  if (items == 0)
    return;
  if (!outcome.member_latency_ns.empty()) {
    for (std::size_t m = 0; m < latency_.size() && m < outcome.member_latency_ns.size(); ++m)
      if (outcome.member_latency_ns[m] >= 0)
        latency_[m].observe(items, outcome.member_latency_ns[m]);
    return;
  }
  // Only the batch's latency: it was its slowest member's. Charge the member predicted
  // slowest (one never measured first); the others took at most that.
  std::optional<std::size_t> slowest;
  double slowest_ns = -1;
  for (std::size_t m = 0; m < latency_.size(); ++m) {
    if (!(outcome.members >> m & 1))
      continue;
    auto p = latency_[m].predict_ns(items);
    double ns = p ? *p : std::numeric_limits<double>::infinity();
    if (ns > slowest_ns) {
      slowest = m;
      slowest_ns = ns;
    }
  }
  for (std::size_t m = 0; m < latency_.size(); ++m) {
    if (!(outcome.members >> m & 1))
      continue;
    if (m == slowest)
      latency_[m].observe(items, outcome.latency_ns);
    else
      latency_[m].at_most(items, outcome.latency_ns);
  }
}

double ensemble_policy::predict_ns(member_set set, std::int64_t items) const {
  double slowest = 0;
  for (std::size_t m = 0; m < latency_.size(); ++m)
    if (set >> m & 1)
      slowest = std::max(slowest, latency_[m].predict_ns(items).value_or(0.0));
  return slowest;
}

namespace {

/// all and greedy: batches as the engine's SLO-greedy batching forms them.
class batched_selection : public ensemble_policy {
public:
  explicit batched_selection(const ensemble_config& config)
    : ensemble_policy(config),
      batching_(make_batching_policy({"slo_greedy", config.batch_sizes.back(), 0, config.slo_us})
                  .value()) {}

  ensemble_action decide(const ensemble_view& view) override {
    ensemble_action action;
    const auto b_max = config_.batch_sizes.back();
    if (view.can_wait) {
      queue_.clear();
      for (auto a : view.arrivals_ns)
        queue_.push_back({a, 1});
      auto d = batching_->decide(queue_, view.now_ns);
      if (d.take == 0) {
        action.wake_at_ns = d.wake_at_ns;
        return action;
      }
      action.take = d.take;
    } else {
      action.take = std::min<std::size_t>(view.arrivals_ns.size(), static_cast<std::size_t>(b_max));
    }
    action.batch_size = static_cast<std::int64_t>(action.take);
    action.members = members_for(view, static_cast<std::int64_t>(action.take));
    action.decision = next_decision();
    return action;
  }

  void observe(const ensemble_outcome& outcome) override {
    ensemble_policy::observe(outcome);
    batching_->observe(static_cast<std::int64_t>(outcome.requests), outcome.latency_ns);
  }

protected:
  virtual member_set members_for(const ensemble_view& view, std::int64_t items) const = 0;

private:
  std::unique_ptr<batching_policy> batching_;
  std::vector<queued_request> queue_;
};

class all_selection final : public batched_selection {
public:
  using batched_selection::batched_selection;
  std::string_view name() const noexcept override { return "all"; }

private:
  member_set members_for(const ensemble_view&, std::int64_t) const override { return everyone(); }
};

class greedy_selection final : public batched_selection {
public:
  using batched_selection::batched_selection;
  std::string_view name() const noexcept override { return "greedy"; }

private:
  member_set members_for(const ensemble_view& view, std::int64_t items) const override {
    const auto slo_ns = static_cast<double>(config_.slo_us) * 1e3;
    const auto oldest_wait = static_cast<double>(view.now_ns - view.arrivals_ns.front());
    // A tenth of the objective to spare, as SLO-greedy batching keeps.
    const double budget = slo_ns * 0.9 - oldest_wait;
    member_set best = 0, fastest = 0;
    double best_accuracy = -1, best_ns = 0, fastest_ns = 0;
    for (member_set set = 1; set <= everyone(); ++set) {
      double ns = predict_ns(set, items), acc = accuracy_.of(set);
      if (ns <= budget && (acc > best_accuracy || (acc == best_accuracy && ns < best_ns))) {
        best = set;
        best_accuracy = acc;
        best_ns = ns;
      }
      if (fastest == 0 || ns < fastest_ns ||
          (ns == fastest_ns && acc > accuracy_.of(fastest))) {
        fastest = set;
        fastest_ns = ns;
      }
    }
    return best != 0 ? best : fastest;
  }
};

} // namespace

result<std::unique_ptr<ensemble_policy>> make_ensemble_policy(std::string_view selection,
                                                              const ensemble_config& config) {
  auto refuse = [&](std::string message) {
    return fail(errc::invalid_argument, fmt::format("selection {}: {}", selection, message));
  };
  if (selection != "all" && selection != "greedy" && selection != "rafiki")
    return fail(errc::invalid_argument,
                fmt::format("unknown selection '{}' (all, greedy or rafiki)", selection));
  auto n = config.accuracy.size();
  if (n == 0 || n > ensemble_members_max)
    return refuse(fmt::format("an ensemble has 1 to {} members, not {}", ensemble_members_max, n));
  if (n < 2 && selection != "all")
    return refuse("it chooses among members, and there is only one");
  for (std::size_t m = 0; m < n; ++m)
    if (!(config.accuracy[m] >= 0 && config.accuracy[m] <= 1))
      return refuse(fmt::format("accuracy of member {} is {}, not in [0, 1]", m,
                                config.accuracy[m]));
  if (config.slo_us <= 0)
    return refuse(fmt::format("slo_us must be positive, got {}", config.slo_us));
  if (config.batch_sizes.empty())
    return refuse("no batch sizes");
  for (std::size_t i = 0; i < config.batch_sizes.size(); ++i)
    if (config.batch_sizes[i] < 1 || (i > 0 && config.batch_sizes[i] <= config.batch_sizes[i - 1]))
      return refuse("batch sizes must be at least 1 and ascending");
  if (!(config.beta >= 0) || !std::isfinite(config.beta))
    return refuse(fmt::format("beta must be 0 or more, got {}", config.beta));
  if (selection == "all")
    return std::unique_ptr<ensemble_policy>{std::make_unique<all_selection>(config)};
  if (selection == "greedy")
    return std::unique_ptr<ensemble_policy>{std::make_unique<greedy_selection>(config)};
  return std::unique_ptr<ensemble_policy>{std::make_unique<rafiki_policy>(config)};
}

} // namespace hogar::scheduling
