#include "scheduling/rafiki_policy.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace hogar::scheduling {

namespace {

constexpr double feature_cap = 8;

/// How many of `waits_ns` (longest first) exceed `limit_ns`.
std::size_t longer_than(const std::vector<double>& waits_ns, double limit_ns) {
  auto it = std::partition_point(waits_ns.begin(), waits_ns.end(),
                                 [&](double w) { return w > limit_ns; });
  return static_cast<std::size_t>(it - waits_ns.begin());
}

} // namespace

rafiki_policy::rafiki_policy(const ensemble_config& config, rafiki_options options)
  : ensemble_policy(config),
    options_(options),
    theta_{1.0, -config.beta, -config.beta, -config.beta},
    rng_(config.seed) {
  for (auto b : config.batch_sizes)
    for (member_set set = 1; set <= everyone(); ++set)
      actions_.push_back({b, set});
}

rafiki_policy::state_vector rafiki_policy::state_features_of(const ensemble_view& view) const {
  const double slo_ns = static_cast<double>(config_.slo_us) * 1e3;
  const double n = static_cast<double>(view.arrivals_ns.size());
  double total = 0;
  for (auto a : view.arrivals_ns)
    total += static_cast<double>(view.now_ns - a);
  const double oldest = static_cast<double>(view.now_ns - view.arrivals_ns.front());
  return {1.0, std::min(feature_cap, n / static_cast<double>(config_.batch_sizes.back())),
          std::min(feature_cap, oldest / slo_ns), std::min(feature_cap, total / n / slo_ns)};
}

void rafiki_policy::evaluate(const ensemble_view& view, std::vector<action_vector>& psi,
                             std::vector<double>& pi) const {
  const double slo_ns = static_cast<double>(config_.slo_us) * 1e3;
  const std::size_t n = view.arrivals_ns.size();
  const auto b_max = config_.batch_sizes.back();
  // Per the largest batch that could go now, so that the features keep their scale whether
  // one request waits or a thousand.
  const double per_batch = 1.0 / static_cast<double>(std::min<std::int64_t>(
                                   b_max, static_cast<std::int64_t>(n)));
  std::vector<double> waits_ns;
  waits_ns.reserve(n);
  for (auto a : view.arrivals_ns)
    waits_ns.push_back(static_cast<double>(view.now_ns - a));
  std::sort(waits_ns.begin(), waits_ns.end(), std::greater<>{});

  psi.resize(actions_.size());
  pi.resize(actions_.size());
  double top = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < actions_.size(); ++i) {
    auto [b, set] = actions_[i];
    auto k = std::min<std::size_t>(static_cast<std::size_t>(b), n);
    auto items = static_cast<std::int64_t>(k);
    double latency = predict_ns(set, items);
    double acc = accuracy_.of(set);
    auto late_now = std::min(k, longer_than(waits_ns, slo_ns - latency));
    double late_left = 0;
    if (k < n) {
      auto next_items = std::min<std::int64_t>(b_max, static_cast<std::int64_t>(n - k));
      double fastest = std::numeric_limits<double>::infinity();
      for (std::size_t m = 0; m < accuracy_.members(); ++m)
        fastest = std::min(fastest, predict_ns(member_set{1} << m, next_items));
      auto late = longer_than(waits_ns, slo_ns - latency - fastest);
      late_left = late > k ? static_cast<double>(late - k) : 0.0;
    }
    // The share of arrivals (at the rate they have been coming) the subset could not keep up
    // with even in the largest batches: a queue that would grow without end.
    const double full = static_cast<double>(b_max);
    double deficit =
      std::max(0.0, arrival_rate_per_ns_ * predict_ns(set, b_max) - full) / full;
    psi[i] = {acc * static_cast<double>(k) * per_batch,
              acc * static_cast<double>(late_now) * per_batch, late_left * per_batch,
              std::min(feature_cap, deficit)};
    double z = 0;
    for (std::size_t f = 0; f < action_features; ++f)
      z += theta_[f] * psi[i][f];
    pi[i] = z / options_.temperature;
    top = std::max(top, pi[i]);
  }
  double sum = 0;
  for (auto& p : pi) {
    p = std::exp(p - top);
    sum += p;
  }
  for (auto& p : pi)
    p /= sum;
}

void rafiki_policy::count_arrivals(const ensemble_view& view) {
  // An exponentially decayed count of the arrivals seen: rate = count / horizon.
  const double horizon_ns = options_.arrival_horizon_s * 1e9;
  std::size_t fresh = 0;
  for (auto a : view.arrivals_ns)
    if (a > newest_seen_ns_)
      ++fresh;
  if (!view.arrivals_ns.empty())
    newest_seen_ns_ = std::max(newest_seen_ns_, view.arrivals_ns.back());
  double elapsed = last_now_ns_ ? static_cast<double>(view.now_ns - *last_now_ns_) : 0.0;
  decayed_arrivals_ = decayed_arrivals_ * std::exp(-std::max(0.0, elapsed) / horizon_ns) +
                      static_cast<double>(fresh);
  last_now_ns_ = view.now_ns;
  arrival_rate_per_ns_ = decayed_arrivals_ / horizon_ns;
}

double rafiki_policy::value(const ensemble_view& view) const {
  auto phi = state_features_of(view);
  double v = 0;
  for (std::size_t f = 0; f < state_features; ++f)
    v += w_[f] * phi[f];
  return v;
}

void rafiki_policy::learn(const state_vector& next) {
  double v_next = 0;
  for (std::size_t f = 0; f < state_features; ++f)
    v_next += w_[f] * next[f];
  // Outcomes may come back out of order (the engine's); each rewarded one is learned from
  // once, with the state seen now as its successor.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!it->rewarded) {
      ++it;
      continue;
    }
    double v = 0, norm = 0;
    for (std::size_t f = 0; f < state_features; ++f) {
      v += w_[f] * it->phi[f];
      norm += it->phi[f] * it->phi[f];
    }
    // Every request is served once, however the batches fall: what counts is the reward per
    // request. A batch is charged its requests at the rate earned lately, so that fuller
    // batches (more reward per decision) win only by serving their requests better.
    double delta = it->reward - reward_per_request_ * it->requests + options_.discount * v_next - v;
    double decay = std::exp(-it->requests / options_.reward_horizon_requests);
    reward_sum_ = reward_sum_ * decay + it->reward;
    requests_sum_ = requests_sum_ * decay + it->requests;
    if (requests_sum_ > 0)
      reward_per_request_ = reward_sum_ / requests_sum_;
    for (std::size_t f = 0; f < state_features; ++f)
      w_[f] += options_.critic_rate * delta * it->phi[f] / norm;
    for (std::size_t f = 0; f < action_features; ++f)
      theta_[f] += options_.actor_rate * delta * it->grad[f];
    it = pending_.erase(it);
  }
}

ensemble_action rafiki_policy::decide(const ensemble_view& view) {
  count_arrivals(view);
  auto phi = state_features_of(view);
  learn(phi);
  std::vector<action_vector> psi;
  std::vector<double> pi;
  evaluate(view, psi, pi);
  double u = rng_.uniform(), cumulative = 0;
  std::size_t chosen = pi.size() - 1;
  for (std::size_t i = 0; i < pi.size(); ++i) {
    cumulative += pi[i];
    if (u < cumulative) {
      chosen = i;
      break;
    }
  }
  transition t;
  t.decision = next_decision();
  t.phi = phi;
  for (std::size_t f = 0; f < action_features; ++f) {
    double expected = 0;
    for (std::size_t i = 0; i < pi.size(); ++i)
      expected += pi[i] * psi[i][f];
    t.grad[f] = (psi[chosen][f] - expected) / options_.temperature;
  }
  pending_.push_back(t);
  while (pending_.size() > options_.pending_max)
    pending_.pop_front();

  ensemble_action a;
  a.batch_size = actions_[chosen].batch_size;
  a.members = actions_[chosen].members;
  a.take = std::min<std::size_t>(static_cast<std::size_t>(a.batch_size), view.arrivals_ns.size());
  a.decision = t.decision;
  return a;
}

void rafiki_policy::observe(const ensemble_outcome& outcome) {
  ensemble_policy::observe(outcome);
  for (auto& t : pending_) {
    if (t.decision != outcome.decision)
      continue;
    const double k = static_cast<double>(outcome.requests);
    const double late = static_cast<double>(outcome.overdue);
    t.reward = accuracy_.of(outcome.members) * (k - config_.beta * late) /
               static_cast<double>(config_.batch_sizes.back());
    t.requests = k;
    t.rewarded = true;
    return;
  }
}

std::vector<rafiki_policy::choice> rafiki_policy::probabilities(const ensemble_view& view) const {
  std::vector<action_vector> psi;
  std::vector<double> pi;
  evaluate(view, psi, pi);
  std::vector<choice> out;
  out.reserve(pi.size());
  for (std::size_t i = 0; i < pi.size(); ++i)
    out.push_back({actions_[i].batch_size, actions_[i].members, pi[i]});
  return out;
}

rafiki_policy::choice rafiki_policy::most_probable(const ensemble_view& view) const {
  auto all = probabilities(view);
  return *std::max_element(all.begin(), all.end(), [](const choice& a, const choice& b) {
    return a.probability < b.probability;
  });
}

} // namespace hogar::scheduling
