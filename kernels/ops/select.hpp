// select.hpp: the `select` kind, which chooses the members of an ensemble with `selection:
// greedy` or `rafiki` that run for each request (issue 14 item 2).
//
// The members are ordinary operators whose `when:` names the select operator; it sits before
// them (its inputs are what the request needs to reach it) and the ensemble after them.
// run(): emits, per member of its `ensemble`, a bool scalar named after the member (the
// runtime's gate reads the tensor named after the gated operator: topology::op_node::
// gate_per_member), plus {"condition": true}. An unselected member is skipped as any operator
// behind a false `when`: its output is absent and the ensemble combines the others.
// fill(): each member's output comes back to it (the runtime's fill channel, source = the
// member's index in the ensemble's `inputs:`), so it measures, per request, each member's time
// from the selection to its answer; a request whose last member answers later than the
// ensemble's slo_ms after the selection is overdue.
//
// Decisions come from the selection policy (scheduling/ensemble_policy.hpp, rafiki_policy.hpp).
// The selector holds no request back (the members batch on their own `batching:`), so the
// queue the policy sees is the requests it let through that are not fully answered yet, with
// the time since each was selected, plus the new one; one decision (members, and the batch
// it would take from that queue: k requests) covers the new request and the next k - 1. When
// they are all answered (or given up on, counted overdue, after 10 x slo_ms or at least a
// second: a member that failed never answers), the policy hears the outcome.
//
// learn_label(): a feedback label told about a request it chose for (the ingress passes it on,
// actors/ingress.cpp) is checked against each member's predicted class for that request
// (kept for the newest 65536 requests); a member's accuracy moves from its declared prior,
// worth 20 labels, towards the share it got right, and the policy decides with that.
//
// Its learned state is not replicated: a replacement replica starts from the prior.
// Not thread-safe: one operator replica calls it from one actor.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

/// Needs context.graph (the ensemble's spec); refused, naming the ensemble, when it is not an
/// ensemble with selection greedy or rafiki (read_ensemble_selection).
result<std::unique_ptr<operation>> make_select(const graph::operator_spec& spec,
                                               const operation_context& context);
/// A bool scalar per member, named after it, and condition.
result<record_signature> select_signature(const signature_call& call);

} // namespace hogar::ops
