#include "kernels/ops/select.hpp"

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "graph/kinds.hpp"
#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"
#include "kernels/ops/ensemble.hpp"

namespace hogar::ops {

namespace {

using scheduling::member_set;
using std::chrono::steady_clock;

static_assert(graph::selection_members_max == scheduling::ensemble_members_max,
              "the validator and the policies agree on the most members");

std::int64_t ns_of(steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The ensemble a select operator names, from the whole graph.
result<const graph::operator_spec*> named_ensemble(const graph::operator_spec& spec,
                                                   const graph::graph_spec* graph) {
  if (graph == nullptr)
    return fail(errc::internal, fmt::format("select '{}': built without its graph", spec.name));
  const auto& name = graph::param_reader{spec}.get_string("ensemble");
  for (auto& op : graph->operators)
    if (op.name == name && op.kind == "ensemble")
      return &op;
  return param_error(spec, "ensemble", fmt::format("no ensemble operator '{}'", name));
}

class select_operation final : public guarded_operation {
public:
  select_operation(std::vector<std::string> members,
                   std::unique_ptr<scheduling::ensemble_policy> policy)
    : members_(std::move(members)),
      policy_(std::move(policy)),
      slo_ns_(policy_->config().slo_us * 1000),
      expire_ns_(std::max<std::int64_t>(10 * slo_ns_, 1'000'000'000)),
      prior_(policy_->config().accuracy) {
    for (std::size_t m = 0; m < members_.size(); ++m)
      outcomes_.push_back({members_[m], 0, 0, m < prior_.size() ? prior_[m] : 0.0});
    prior_.resize(members_.size(), 0.0);
  }

  void fill(std::uint64_t request_id, std::size_t source, const record& value,
            steady_clock::time_point now) override {
    if (source < members_.size() && !value.empty())
      if (auto predicted = predicted_class(value.front().value))
        remember_prediction(request_id, source, *predicted);
    auto it = index_.find(request_id);
    if (it == index_.end() || source >= members_.size())
      return;
    auto request = it->second;
    auto bit = member_set{1} << source;
    if (!(request->waiting & bit))
      return; // sent again after a failure
    request->waiting &= ~bit;
    auto latency = ns_of(now) - request->selected_ns;
    auto& g = groups_.at(request->decision);
    g.outcome.member_latency_ns[source] = std::max(g.outcome.member_latency_ns[source], latency);
    if (request->waiting == 0)
      finish(request, latency, latency > slo_ns_);
  }

  /// Each member that answered the request is right or wrong about `label`; its accuracy
  /// moves from the declared prior (worth prior_weight labels) towards what it scores.
  void learn_label(std::uint64_t request_id, std::int64_t label) override {
    auto it = predictions_.find(request_id);
    if (it == predictions_.end())
      return;
    for (std::size_t m = 0; m < members_.size(); ++m) {
      if (it->second[m] < 0)
        continue;
      auto& o = outcomes_[m];
      ++o.labelled;
      o.correct += it->second[m] == label ? 1 : 0;
      o.accuracy = (static_cast<double>(o.correct) + prior_weight * prior_[m]) /
                   (static_cast<double>(o.labelled) + prior_weight);
      policy_->set_member_accuracy(m, o.accuracy);
    }
    predictions_.erase(it);
  }

  std::vector<member_outcome> member_outcomes() const override { return outcomes_; }

protected:
  result<op_output> compute(const op_call& call) override {
    const auto now = ns_of(call.now);
    expire(now);
    // A request sent again after a failure keeps its members.
    if (auto it = index_.find(call.request_id); it != index_.end())
      return verdicts(it->second->members);
    if (left_ == 0)
      decide(now);
    --left_;
    auto& g = groups_.at(current_);
    ++g.outcome.requests;
    pending_.push_back({call.request_id, now, current_, g.outcome.members, g.outcome.members});
    index_.emplace(call.request_id, std::prev(pending_.end()));
    return verdicts(g.outcome.members);
  }

private:
  /// The class member `m` predicted for a request, kept for its feedback: the newest
  /// predictions_max requests.
  void remember_prediction(std::uint64_t request_id, std::size_t m, std::int64_t predicted) {
    auto [it, added] = predictions_.try_emplace(request_id);
    if (added) {
      it->second.assign(members_.size(), -1);
      prediction_order_.push_back(request_id);
      while (prediction_order_.size() > predictions_max) {
        predictions_.erase(prediction_order_.front());
        prediction_order_.pop_front();
      }
    }
    it->second[m] = predicted;
  }

  /// A request let through whose members have not all answered.
  struct selected {
    std::uint64_t request_id;
    std::int64_t selected_ns;
    std::uint64_t decision;
    member_set members;
    /// The members still to answer.
    member_set waiting;
  };
  /// The requests one decision covers, and what they cost so far.
  struct group {
    scheduling::ensemble_outcome outcome;
    std::size_t answered = 0;
  };

  op_output verdicts(member_set members) const {
    op_output out;
    for (std::size_t m = 0; m < members_.size(); ++m)
      out.value.push_back({members_[m], tensor::scalar<bool>((members >> m & 1) != 0)});
    out.value.push_back({std::string{condition_tensor_name}, tensor::scalar<bool>(true)});
    return out;
  }

  void decide(std::int64_t now) {
    // The policy's queue: the requests still in flight behind the selector, and this one.
    arrivals_.clear();
    for (auto& r : pending_)
      arrivals_.push_back(r.selected_ns);
    arrivals_.push_back(now);
    auto action = policy_->decide({now, arrivals_, false});
    group g;
    g.outcome.decision = action.decision;
    g.outcome.members = action.members;
    g.outcome.member_latency_ns.assign(members_.size(), -1);
    auto previous = current_;
    current_ = action.decision;
    left_ = std::max<std::size_t>(1, action.take);
    groups_.emplace(current_, std::move(g));
    report_if_done(previous);
  }

  void finish(std::list<selected>::iterator request, std::int64_t latency, bool late) {
    auto decision = request->decision;
    auto& g = groups_.at(decision);
    ++g.answered;
    g.outcome.overdue += late ? 1 : 0;
    g.outcome.latency_ns = std::max(g.outcome.latency_ns, latency);
    index_.erase(request->request_id);
    pending_.erase(request);
    report_if_done(decision);
  }

  /// A decision whose requests are all in and answered goes to the policy.
  void report_if_done(std::uint64_t decision) {
    auto it = groups_.find(decision);
    if (it == groups_.end())
      return;
    bool closed = decision != current_ || left_ == 0;
    if (!closed || it->second.answered < it->second.outcome.requests)
      return;
    policy_->observe(it->second.outcome);
    groups_.erase(it);
  }

  /// Requests not fully answered in time (a member failed, or was far too slow) are given up
  /// on as overdue; so are the oldest beyond pending_max.
  void expire(std::int64_t now) {
    while (!pending_.empty() && (now - pending_.front().selected_ns > expire_ns_ ||
                                 pending_.size() > pending_max)) {
      auto oldest = pending_.begin();
      finish(oldest, now - oldest->selected_ns, true);
    }
  }

  static constexpr std::size_t pending_max = 65536;
  static constexpr std::size_t predictions_max = 65536;
  /// How many labels the declared accuracy is worth against those feedback brings.
  static constexpr double prior_weight = 20;

  /// The ensemble's inputs' names, in its `inputs:` order.
  std::vector<std::string> members_;
  std::unique_ptr<scheduling::ensemble_policy> policy_;
  std::int64_t slo_ns_;
  std::int64_t expire_ns_;
  /// Selected, oldest first, and by request id.
  std::list<selected> pending_;
  std::unordered_map<std::uint64_t, std::list<selected>::iterator> index_;
  std::map<std::uint64_t, group> groups_;
  /// The decision new requests join, and how many more it covers.
  std::uint64_t current_ = 0;
  std::size_t left_ = 0;
  std::vector<std::int64_t> arrivals_;
  /// Members' predicted classes by request (-1: no answer), oldest request first.
  std::unordered_map<std::uint64_t, std::vector<std::int64_t>> predictions_;
  std::deque<std::uint64_t> prediction_order_;
  std::vector<double> prior_;
  std::vector<member_outcome> outcomes_;
};

} // namespace

result<std::unique_ptr<operation>> make_select(const graph::operator_spec& spec,
                                               const operation_context& context) {
  auto ensemble = named_ensemble(spec, context.graph.get());
  if (!ensemble)
    return ensemble.error();
  auto selection = read_ensemble_selection(**ensemble);
  if (!selection)
    return param_error(spec, "ensemble", selection.error().message);
  auto policy = scheduling::make_ensemble_policy(selection->selection, selection->config);
  if (!policy)
    return param_error(spec, "ensemble", policy.error().message);
  std::vector<std::string> members;
  for (auto& input : (*ensemble)->inputs)
    members.push_back(input.name);
  return std::unique_ptr<operation>{
    std::make_unique<select_operation>(std::move(members), std::move(*policy))};
}

result<record_signature> select_signature(const signature_call& call) {
  auto ensemble = named_ensemble(call.spec, call.context.graph.get());
  if (!ensemble)
    return ensemble.error();
  record_signature out;
  for (auto& input : (*ensemble)->inputs)
    out.tensors.push_back(scalar_signature(input.name, dtype::boolean));
  out.tensors.push_back(scalar_signature(std::string{condition_tensor_name}, dtype::boolean));
  return out;
}

} // namespace hogar::ops
