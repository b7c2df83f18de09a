#include "actors/ingress.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include <caf/actor_clock.hpp>
#include <caf/behavior.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/errors.hpp"

namespace hogar {

namespace {

using self_ptr = caf::stateful_actor<ingress_state>*;

std::string declared(const graph::input_spec& in) {
  return fmt::format("{} {}", to_string(in.type), to_string(in.shape));
}

/// Checks the request's tensors against the declared inputs; returns the inputs in declared
/// order or an error naming the input at fault.
result<std::vector<const named_tensor*>> match_inputs(const graph::graph_spec& g,
                                                      const record& given) {
  std::vector<const named_tensor*> matched(g.inputs.size(), nullptr);
  for (auto& t : given) {
    std::size_t i = 0;
    while (i < g.inputs.size() && g.inputs[i].name != t.name)
      ++i;
    if (i == g.inputs.size()) {
      std::vector<std::string> names;
      for (auto& in : g.inputs)
        names.push_back(in.name);
      return fail(errc::invalid_argument,
                  fmt::format("unknown input '{}'; graph '{}' takes: {}", t.name, g.name,
                              fmt::join(names, ", ")));
    }
    if (matched[i] != nullptr)
      return fail(errc::invalid_argument, fmt::format("input '{}' given twice", t.name));
    auto& in = g.inputs[i];
    if (t.value.type() != in.type)
      return fail(errc::invalid_argument,
                  fmt::format("input '{}': dtype {} does not match the declared {}", t.name,
                              to_string(t.value.type()), declared(in)));
    bool shape_ok = t.value.shape().size() == in.shape.size();
    for (std::size_t d = 0; shape_ok && d < in.shape.size(); ++d)
      shape_ok = in.shape[d] < 0 || in.shape[d] == t.value.shape()[d];
    if (!shape_ok)
      return fail(errc::invalid_argument,
                  fmt::format("input '{}': shape {} does not match the declared {}", t.name,
                              to_string(t.value.shape()), declared(in)));
    matched[i] = &t;
  }
  for (std::size_t i = 0; i < matched.size(); ++i)
    if (matched[i] == nullptr)
      return fail(errc::invalid_argument,
                  fmt::format("missing input '{}' ({})", g.inputs[i].name,
                              declared(g.inputs[i])));
  return matched;
}

/// Builds the reply from the collected outputs, or an error when an output names a tensor
/// its producer did not emit.
result<infer_reply> assemble(const graph::graph_spec& g, request_id id,
                             const std::vector<record_ptr>& outputs) {
  infer_reply reply;
  reply.id = id;
  for (std::size_t i = 0; i < g.outputs.size(); ++i) {
    auto& spec = g.outputs[i];
    auto& value = outputs[i];
    if (!value)
      continue; // produced by a skipped branch: left out
    if (!spec.tensor.empty()) {
      auto t = find_tensor(*value, spec.tensor);
      if (t == nullptr) {
        std::vector<std::string_view> names;
        for (auto& nt : *value)
          names.push_back(nt.name);
        return fail(errc::operator_failed,
                    fmt::format("output '{}': '{}' produced no tensor '{}' (it produced: {})",
                                spec.name, spec.from.name, spec.tensor, fmt::join(names, ", ")));
      }
      reply.outputs.push_back({spec.name, *t});
    } else if (value->size() == 1) {
      reply.outputs.push_back({spec.name, value->front().value});
    } else {
      for (auto& nt : *value)
        reply.outputs.push_back({spec.name + "." + nt.name, nt.value});
    }
  }
  return reply;
}

/// Adds a failed request's time since acceptance to the statistics.
void count_failed_time(self_ptr self, const ingress_state::in_flight& entry) {
  self->state.stats.failed_ns += std::max<std::int64_t>(0, now_ns(self) - entry.accepted_ns);
}

void finish(self_ptr self, request_id id, ingress_state::in_flight& entry) {
  auto& st = self->state;
  auto reply = assemble(*st.init.topo->spec, id, entry.outputs);
  if (reply) {
    reply->served = std::move(entry.served);
    ++st.stats.completed;
    const auto latency = std::max<std::int64_t>(0, now_ns(self) - entry.accepted_ns);
    st.stats.completed_ns += latency;
    st.feedback.remember(entry.answer_id, reply->outputs, reply->served, latency, now_ns(self),
                         answer_origin{id, entry.ctx ? entry.ctx->route
                                                     : std::vector<std::uint16_t>{}});
    st.stats.last_completed_unix_ms = unix_ms_now();
    entry.promise.deliver(std::move(*reply));
  } else {
    ++st.stats.failed;
    count_failed_time(self, entry);
    entry.promise.deliver(make_error(reply.error()));
  }
  st.requests.erase(id);
}

/// Keeps a pending drain promise once nothing is in flight.
void check_drained(self_ptr self) {
  auto& st = self->state;
  if (st.draining && st.requests.empty() && st.drained.pending())
    st.drained.deliver(drain_atom::value);
}

/// Answers every request in flight with `reason` (errc::unavailable).
void fail_all(self_ptr self, const std::string& reason) {
  auto& st = self->state;
  for (auto& [id, entry] : st.requests) {
    count_failed_time(self, entry);
    entry.promise.deliver(make_error(errc::unavailable, fmt::format("request {}: {}", id, reason)));
  }
  st.stats.failed += st.requests.size();
  st.requests.clear();
  check_drained(self);
}

void arm_timer(self_ptr self) {
  auto& st = self->state;
  auto next = st.deadlines.next_deadline();
  if (!next || (st.timer_ns != 0 && st.timer_ns <= *next))
    return;
  // At most an hour ahead (the timer then fires, finds nothing due and arms again): the
  // clock's now + delay must not overflow for the far deadlines of huge timeouts.
  constexpr std::int64_t longest_ns = 3'600'000'000'000;
  auto now = now_ns(self);
  auto delay = std::chrono::nanoseconds{std::clamp<std::int64_t>(*next - now, 0, longest_ns)};
  st.timer_ns = now + delay.count();
  self->delayed_send(self, delay, expire_atom::value);
}

void on_expire(self_ptr self) {
  auto& st = self->state;
  st.timer_ns = 0;
  auto& g = *st.init.topo->spec;
  for (auto id : st.deadlines.pop_expired(now_ns(self))) {
    auto i = st.requests.find(id);
    if (i == st.requests.end())
      continue; // answered before its deadline
    std::vector<std::string> missing;
    for (std::size_t out = 0; out < g.outputs.size(); ++out)
      if (!i->second.reported[out])
        missing.push_back(fmt::format("'{}' from '{}'", g.outputs[out].name,
                                      g.outputs[out].from.name));
    ++st.stats.timed_out;
    count_failed_time(self, i->second);
    i->second.promise.deliver(
      make_error(errc::deadline_exceeded,
                 fmt::format("request {} exceeded its deadline; still waiting for {}", id,
                             fmt::join(missing, ", "))));
    st.requests.erase(i);
  }
  arm_timer(self);
  check_drained(self);
}

/// The replica entry edge `c` of graph input `i` goes to for this request: the request's
/// route for a routed operator, else the replica it went to while that one lives, else the
/// least loaded live one. Null when none is alive.
const caf::actor* entry_target(self_ptr self, const request_context& ctx, std::size_t i,
                               std::size_t c, const caf::actor& sent_to) {
  auto& st = self->state;
  auto& set = *st.init.input_targets[i][c];
  auto& target = st.init.topo->ops[st.init.topo->input_consumers[i][c].op];
  if (target.route_index)
    return set.live(ctx.route[*target.route_index]);
  if (sent_to)
    if (auto k = std::find(set.actors.begin(), set.actors.end(), sent_to); k != set.actors.end())
      return &*k;
  std::size_t replica = 0;
  if (set.actors.size() > 1)
    replica = st.input_pickers[i][c].pick(set.loads->counts());
  auto* actor = set.live(replica);
  if (actor && set.actors.size() > 1)
    set.loads->assigned(static_cast<std::size_t>(actor - set.actors.data()));
  return actor;
}

/// Sends the request's inputs along every entry edge whose message is not where the current
/// wiring wants it (all of them at admission; after a rewire, those whose replica was lost).
/// Returns whether anything was sent.
bool send_inputs(self_ptr self, ingress_state::in_flight& entry) {
  auto& st = self->state;
  auto& topo = *st.init.topo;
  bool sent = false;
  std::size_t k = 0;
  for (std::size_t i = 0; i < topo.input_consumers.size(); ++i) {
    auto& consumers = topo.input_consumers[i];
    for (std::size_t c = 0; c < consumers.size(); ++c, ++k) {
      auto* actor = entry_target(self, *entry.ctx, i, c, entry.sent_to[k]);
      // With no replica alive the input waits for the rewire that replaces one.
      if (!actor || *actor == entry.sent_to[k])
        continue;
      entry.sent_to[k] = *actor;
      self->send(*actor, deliver_atom::value,
                 edge_value{entry.ctx, static_cast<std::uint32_t>(consumers[c].slot),
                            edge_state::present, entry.inputs[i], std::string{}, nullptr,
                            errc::none});
      sent = true;
    }
  }
  return sent;
}

/// Starts a request: chooses the replicas of its routed operators, sends its inputs, and
/// reports the graph outputs that are graph inputs.
void start(self_ptr self, request_id id, ingress_state::in_flight& entry) {
  auto& st = self->state;
  auto& topo = *st.init.topo;
  auto& g = *topo.spec;
  auto ctx = std::make_shared<request_context>();
  ctx->id = id;
  ctx->deadline_ns = entry.deadline_ns;
  ctx->ingress = caf::actor_cast<caf::actor>(self);
  ctx->route.resize(st.init.routed.size());
  for (std::size_t r = 0; r < st.init.routed.size(); ++r) {
    auto& set = *st.init.routed[r];
    auto replica = st.route_pickers[r].pick(set.loads->counts());
    // A dead replica not yet replaced is not chosen while another one lives.
    if (!set.actors[replica])
      if (auto* alive = set.live(replica))
        replica = static_cast<std::size_t>(alive - set.actors.data());
    set.loads->assigned(replica);
    ctx->route[r] = static_cast<std::uint16_t>(replica);
  }
  entry.ctx = std::move(ctx);
  entry.remaining = static_cast<std::uint32_t>(g.outputs.size());
  entry.outputs.assign(g.outputs.size(), nullptr);
  entry.reported.assign(g.outputs.size(), false);
  std::size_t edges = 0;
  for (auto& consumers : topo.input_consumers)
    edges += consumers.size();
  entry.sent_to.assign(edges, caf::actor{});
  send_inputs(self, entry);
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    for (auto out : topo.input_output_slots[i]) {
      entry.outputs[out] = entry.inputs[i];
      entry.reported[out] = true;
      --entry.remaining;
    }
  }
}

/// The graph was rewired after a failure: from now on requests go through the new replica
/// sets, and an input whose replica was lost goes again to its replacement. The rest of what
/// was lost is sent again by the operators upstream of it (actors/edge_ledger.hpp).
void on_rewire(self_ptr self, ingress_init& wiring, std::uint32_t epoch) {
  auto& st = self->state;
  if (epoch <= st.epoch)
    return; // an older or repeated rewire
  st.epoch = epoch;
  st.stats.epoch = epoch;
  st.init.input_targets = std::move(wiring.input_targets);
  st.init.routed = std::move(wiring.routed);
  st.init.learners = std::move(wiring.learners);
  st.init.unavailable = std::move(wiring.unavailable);
  if (!st.init.unavailable.empty()) {
    fail_all(self, fmt::format("graph '{}' cannot answer now: {}", st.init.topo->spec->name,
                               st.init.unavailable));
    return;
  }
  for (auto& [id, entry] : st.requests) {
    if (entry.inputs.empty())
      continue; // recovery is off
    if (send_inputs(self, entry))
      ++st.stats.replayed;
  }
}

/// A replica crashed while it ran request `id`. The supervisor replaces it and the rewire
/// runs the request again, once: a request that crashed two replicas is a poison request,
/// answered with an error naming it and the operator.
void on_crashed(self_ptr self, request_id id, const std::string& op) {
  auto& st = self->state;
  auto i = st.requests.find(id);
  if (i == st.requests.end())
    return;
  auto& entry = i->second;
  if (++entry.crashes < 2)
    return;
  ++st.stats.failed;
  count_failed_time(self, entry);
  entry.promise.deliver(make_error(errc::operator_failed,
                                   fmt::format("request {} crashed {} replicas of operator '{}'; "
                                               "not retried",
                                               id, entry.crashes, op)));
  st.requests.erase(i);
  check_drained(self);
}

caf::result<infer_reply> on_infer(self_ptr self, infer_request& req) {
  auto& st = self->state;
  auto& topo = *st.init.topo;
  auto& g = *topo.spec;
  if (st.draining) {
    ++st.stats.rejected;
    return make_error(errc::unavailable,
                      fmt::format("graph '{}' is draining on this node (shutting down or being "
                                  "removed); retry on another node",
                                  g.name));
  }
  if (!st.init.unavailable.empty()) {
    ++st.stats.rejected;
    return make_error(errc::unavailable,
                      fmt::format("graph '{}' cannot answer now: {}", g.name,
                                  st.init.unavailable));
  }
  auto matched = match_inputs(g, req.inputs);
  if (!matched) {
    ++st.stats.rejected;
    return make_error(matched.error());
  }
  // The id is kept with the answer for feedback: bounded like everything a client sends.
  if (req.client_id.size() > max_answer_id_bytes) {
    ++st.stats.rejected;
    return make_error(errc::invalid_argument,
                      fmt::format("request id: at most {} bytes, got {}", max_answer_id_bytes,
                                  req.client_id.size()));
  }
  if (st.requests.size() >= st.init.options.max_in_flight) {
    ++st.stats.rejected;
    return make_error(errc::overloaded,
                      fmt::format("graph '{}' is overloaded: {} requests in flight (the limit); "
                                  "retry later",
                                  g.name, st.requests.size()));
  }
  std::int64_t bytes = 0;
  for (auto* t : *matched)
    bytes += static_cast<std::int64_t>(t->value.byte_size() + t->name.size());
  auto& replay = st.init.options.replay;
  if (replay
      && replay->used.load(std::memory_order_relaxed) + bytes
           > static_cast<std::int64_t>(replay->limit)) {
    ++st.stats.rejected;
    return make_error(errc::overloaded,
                      fmt::format("graph '{}' is overloaded: the inputs kept for replay on this "
                                  "node would pass replay-buffer-bytes ({} bytes); retry later",
                                  g.name, replay->limit));
  }
  auto id = st.next_id++;
  auto timeout_ms = req.timeout_ms > 0 ? req.timeout_ms : st.init.options.default_timeout_ms;
  // Saturates: a deadline too far to represent is no deadline (the CLI sends any value).
  auto now = now_ns(self);
  auto deadline = timeout_ms > (std::numeric_limits<std::int64_t>::max() - now) / 1'000'000
                    ? std::numeric_limits<std::int64_t>::max()
                    : now + timeout_ms * 1'000'000;
  auto& entry = st.requests[id];
  entry.promise = self->make_response_promise();
  entry.answer_id = req.client_id.empty() ? std::to_string(id) : std::move(req.client_id);
  entry.accepted_ns = now;
  entry.deadline_ns = deadline;
  entry.inputs.reserve(g.inputs.size());
  for (std::size_t i = 0; i < g.inputs.size(); ++i)
    entry.inputs.push_back(std::make_shared<const record>(record{*(*matched)[i]}));
  ++st.stats.accepted;
  auto promise = entry.promise;
  start(self, id, entry);
  if (replay)
    entry.held = replay_hold{replay, bytes};
  else
    entry.inputs.clear(); // recovery is off: nothing is sent again
  if (entry.remaining == 0) {
    finish(self, id, entry);
    return promise;
  }
  st.deadlines.push(deadline, id);
  arm_timer(self);
  return promise;
}

/// Acknowledges a graph output to the replica that sent it (in a batch every few
/// milliseconds), also a late or duplicate one: the sender may forget it.
void acknowledge_output(self_ptr self, const edge_value& value) {
  auto& st = self->state;
  auto from = caf::actor_cast<caf::actor>(self->current_sender());
  if (!st.init.options.replay || !from)
    return;
  if (st.acks.add(from, edge_ack{self->address(), value.ctx->id, value.slot}))
    self->delayed_send(self, std::chrono::milliseconds(5), flush_atom::value);
}

void on_output(self_ptr self, edge_value& value) {
  acknowledge_output(self, value);
  auto& st = self->state;
  auto id = value.ctx->id;
  auto i = st.requests.find(id);
  if (i == st.requests.end())
    return; // already answered (failed or timed out): a late output
  auto& entry = i->second;
  if (value.state == edge_state::failed) {
    ++st.stats.failed;
    count_failed_time(self, entry);
    entry.promise.deliver(make_error(value.code, fmt::format("request {}: {}", id, value.error)));
    st.requests.erase(i);
    check_drained(self);
    return;
  }
  if (value.slot >= entry.outputs.size() || entry.reported[value.slot])
    return; // a duplicate
  entry.reported[value.slot] = true;
  if (value.trace)
    merge_served_by(entry.served, *value.trace);
  if (value.state == edge_state::present)
    entry.outputs[value.slot] = std::move(value.value);
  if (--entry.remaining == 0) {
    finish(self, id, entry);
    check_drained(self);
  }
}

/// A replica on another node answered a request this ingress assigned to it.
void on_answered(self_ptr self, std::uint32_t op, std::uint32_t replica) {
  auto& st = self->state;
  auto& topo = *st.init.topo;
  if (op >= topo.ops.size())
    return;
  const replica_set* set = nullptr;
  if (auto route = topo.ops[op].route_index) {
    set = st.init.routed[*route].get();
  } else {
    for (std::size_t i = 0; i < topo.input_consumers.size() && !set; ++i)
      for (std::size_t c = 0; c < topo.input_consumers[i].size(); ++c)
        if (topo.input_consumers[i][c].op == op)
          set = st.init.input_targets[i][c].get();
  }
  if (set != nullptr && replica < set->loads->size())
    set->loads->answered(replica);
}

/// A label told about an answer goes on to the graph's select operators, to the replica that
/// chose that request's members (with several replicas a select is routed: every message of
/// a request reaches the one its route names), so that they learn their members' accuracies.
void teach_selects(self_ptr self, const answer_origin& origin, std::int64_t label) {
  auto& st = self->state;
  for (auto& [op, set] : st.init.learners) {
    std::size_t replica = 0;
    if (auto r = st.init.topo->ops[op].route_index) {
      if (*r >= origin.route.size())
        continue;
      replica = origin.route[*r];
    }
    if (auto* actor = set->live(replica))
      self->send(*actor, feedback_atom::value, origin.request, label);
  }
}

} // namespace

caf::behavior ingress_actor(caf::stateful_actor<ingress_state>* self, ingress_init init) {
  auto& st = self->state;
  st.init = std::move(init);
  st.input_pickers.resize(st.init.input_targets.size());
  for (std::size_t i = 0; i < st.init.input_targets.size(); ++i)
    st.input_pickers[i].resize(st.init.input_targets[i].size());
  st.route_pickers.resize(st.init.routed.size());
  st.epoch = st.init.epoch;
  st.stats.epoch = st.epoch;
  st.feedback = feedback_ledger{st.init.options.feedback};
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Every accepted request gets an answer, also when the graph goes away under it.
    fail_all(self, fmt::format("graph '{}' was stopped before it finished",
                               self->state.init.topo->spec->name));
    self->quit(msg.reason);
  });
  return {
    [self](infer_atom, infer_request& req) { return on_infer(self, req); },
    [self](output_atom, edge_value& value) { on_output(self, value); },
    [self](expire_atom) { on_expire(self); },
    [self](answered_atom, std::uint32_t op, std::uint32_t replica) {
      on_answered(self, op, replica);
    },
    [self](rewire_atom, ingress_init& wiring, std::uint32_t epoch) {
      on_rewire(self, wiring, epoch);
    },
    [self](flush_atom) {
      self->state.acks.flush([self](const caf::actor& to, std::vector<edge_ack>&& acks) {
        self->send(to, ack_atom::value, graph_output_op, std::move(acks));
      });
    },
    [self](crashed_atom, request_id id, const std::string& op) {
      on_crashed(self, id, op);
    },
    [self](drain_atom) -> caf::result<drain_atom> {
      auto& st = self->state;
      st.draining = true;
      if (st.requests.empty())
        return drain_atom::value;
      st.drained = self->make_response_promise();
      return st.drained;
    },
    [self](stop_atom, const std::string& reason) {
      fail_all(self, reason);
      self->quit();
    },
    [self](stats_atom) {
      auto stats = self->state.stats;
      stats.in_flight = self->state.requests.size();
      stats.outcomes = self->state.feedback.outcomes();
      return stats;
    },
    [self](feedback_atom, const feedback& f) -> caf::result<feedback_receipt> {
      answer_origin origin;
      auto receipt = self->state.feedback.score(f, now_ns(self), &origin);
      if (!receipt)
        return make_error(receipt.error());
      if (receipt->has_label)
        teach_selects(self, origin, f.label);
      return std::move(*receipt);
    },
  };
}

} // namespace hogar
