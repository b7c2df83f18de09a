#include "actors/operator_actor.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>

#include <caf/actor_clock.hpp>
#include <caf/behavior.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/errors.hpp"
#include "actors/operator_internal.hpp"
#include "actors/stateful_replica.hpp"

namespace hogar {

namespace detail {

served_trace merged_trace(std::span<const edge_value> inputs) {
  served_trace only;
  bool several = false;
  for (auto& in : inputs) {
    if (!in.trace || in.trace == only)
      continue;
    several = several || only != nullptr;
    if (!only)
      only = in.trace;
  }
  if (!several)
    return only;
  auto merged = std::make_shared<std::vector<served_by>>();
  for (auto& in : inputs)
    if (in.trace)
      merge_served_by(*merged, *in.trace);
  return merged;
}

served_trace with_entry(const served_trace& trace, served_by entry) {
  auto out = trace ? std::make_shared<std::vector<served_by>>(*trace)
                   : std::make_shared<std::vector<served_by>>();
  merge_served_by(*out, {std::move(entry)});
  return out;
}

} // namespace detail

namespace {

using self_ptr = caf::stateful_actor<operator_state>*;
using detail::finish;
using detail::merged_trace;
using detail::record_call;

/// Whether a gate value lets the operator run: present and its verdict matches. A select
/// operator's record holds one verdict per member, named after it.
bool gate_open(const edge_value& gate, const graph::op_node& node) {
  if (gate.state != edge_state::present)
    return false;
  bool verdict = true;
  auto name = node.gate_per_member ? std::string_view{node.spec->name} : condition_tensor_name;
  if (auto t = find_tensor(*gate.value, name); t && t->element_count() > 0)
    verdict = t->value_as_double(0) != 0;
  return verdict != node.gate_negated;
}

/// Sends `state`/`value`/`error` along every outgoing edge, to the ingress for every graph
/// output this operator feeds, and to the cache this operator fills.
void emit(self_ptr self, const context_ptr& ctx, edge_state state, const record_ptr& value,
          const std::string& error, const served_trace& trace, errc code) {
  auto& st = self->state;
  auto& node = *st.node;
  // Fills go first: in one process a cache's then reaches the cache's mailbox before the
  // answer can reach the client, so the client's next request for the same key hits.
  for (std::size_t f = 0; state == edge_state::present && f < st.wiring.fill_targets.size(); ++f) {
    auto& fill = node.fills[f];
    auto& target_node = st.init.topo->ops[fill.op];
    std::size_t replica = target_node.route_index ? ctx->route[*target_node.route_index] : 0;
    if (auto* actor = st.wiring.fill_targets[f]->live(replica))
      self->send(*actor, fill_atom::value,
                 edge_value{ctx, static_cast<std::uint32_t>(fill.slot), state, value,
                            std::string{}, nullptr, errc::none});
  }
  for (std::size_t i = 0; i < node.consumers.size(); ++i) {
    auto& edge = node.consumers[i];
    auto& target = *st.wiring.consumers[i];
    auto& target_node = st.init.topo->ops[edge.op];
    std::size_t replica = 0;
    bool balanced = !target_node.route_index && target.actors.size() > 1;
    if (target_node.route_index)
      replica = ctx->route[*target_node.route_index];
    else if (balanced)
      replica = st.pickers[i].pick(target.loads->counts());
    // A dead replica not yet replaced: another one takes it (and is counted). With none alive
    // the message waits in the outbox for the rewire that replaces one (recovery off: it is
    // lost, and the request fails at its deadline).
    auto* actor = target.live(replica);
    if (actor && balanced)
      target.loads->assigned(static_cast<std::size_t>(actor - target.actors.data()));
    edge_value out{ctx, static_cast<std::uint32_t>(edge.slot), state, value, error, trace, code};
    if (actor)
      self->send(*actor, deliver_atom::value, out);
    if (st.wiring.replay) {
      auto bytes = payload_bytes(out);
      st.sent.keep(static_cast<std::uint32_t>(i), actor ? *actor : caf::actor{}, std::move(out),
                   replay_hold{st.wiring.replay, bytes});
    }
  }
  for (std::size_t k = 0; k < node.output_slots.size(); ++k) {
    edge_value out{ctx, static_cast<std::uint32_t>(node.output_slots[k]), state, value, error,
                   trace, code};
    self->send(ctx->ingress, output_atom::value, out);
    // Kept until the ingress acknowledges it, so that the inputs of this request are kept
    // upstream until then too; never sent again (the ingress lives as long as its request).
    if (st.wiring.replay) {
      auto bytes = payload_bytes(out);
      st.sent.keep(static_cast<std::uint32_t>(node.consumers.size() + k), ctx->ingress,
                   std::move(out), replay_hold{st.wiring.replay, bytes});
    }
  }
}

/// Gives back this replica's share of the load to whoever counted it: the ingress for routed
/// operators, else the sender. A counter in this process is decremented directly; one on
/// another node hears an answered_atom.
void release_load(self_ptr self, const context_ptr& ctx, const caf::strong_actor_ptr& sender) {
  auto& st = self->state;
  if (!st.wiring.own || st.wiring.own->actors.size() <= 1)
    return;
  auto assigner = st.node->route_index ? caf::actor_cast<caf::strong_actor_ptr>(ctx->ingress)
                                       : sender;
  if (!assigner || assigner->node() == self->node()) {
    st.wiring.own->loads->answered(st.init.replica);
    return;
  }
  self->send(caf::actor_cast<caf::actor>(assigner), answered_atom::value,
             static_cast<std::uint32_t>(st.init.op), st.init.replica);
}

/// Queues an acknowledgement for `to`; the first one since the last flush arms the flush.
void queue_ack(self_ptr self, const caf::actor& to, edge_ack ack) {
  // A few milliseconds' worth of acks travel in one message: the normal case stays cheap, and
  // a sender keeps a message only that much longer.
  constexpr auto ack_interval = std::chrono::milliseconds(5);
  if (self->state.acks.add(to, std::move(ack)))
    self->delayed_send(self, ack_interval, flush_atom::value);
}

/// Every output of the request from here was acknowledged: its senders may forget the
/// messages they sent this replica for it.
void release_inputs(self_ptr self, const run_ref& run) {
  for (auto& from : self->state.received.release(run, now_ns(self)))
    if (from.actor)
      queue_ack(self, from.actor, edge_ack{run.ingress, run.id, from.slot});
}

/// The request's outputs have gone on from here; with none kept (no consumer) its inputs are
/// released at once, else when the last output is acknowledged.
void acknowledge_inputs(self_ptr self, const request_context& ctx) {
  auto& st = self->state;
  if (!st.wiring.replay)
    return;
  auto run = run_of(ctx);
  st.received.finished(run);
  if (!st.sent.holds(run))
    release_inputs(self, run);
}

} // namespace

void detail::finish(detail::operator_ptr self, const context_ptr& ctx,
                    const caf::strong_actor_ptr& assigner, edge_state state,
                    const record_ptr& value, const std::string& error, const served_trace& trace,
                    errc code) {
  emit(self, ctx, state, value, error, trace, code);
  release_load(self, ctx, assigner);
  acknowledge_inputs(self, *ctx);
  auto& st = self->state;
  if (!st.first_answer_told && st.wiring.supervisor && state == edge_state::present) {
    st.first_answer_told = true;
    self->send(st.wiring.supervisor, first_atom::value, static_cast<std::uint64_t>(st.init.op),
               st.init.replica, unix_ms_now());
  }
}

void detail::record_call(detail::operator_ptr self, std::int64_t ready_ns, std::int64_t now) {
  auto& st = self->state;
  st.latency.record(now - ready_ns);
  st.rate.record(now);
}

namespace {

/// Sends a call's output on: a stateful operator's through its backup first.
void publish(self_ptr self, const context_ptr& ctx, const caf::strong_actor_ptr& assigner,
             const record_ptr& value, const served_trace& trace) {
  if (self->state.node->stateful)
    detail::release_stateful(self, ctx, assigner, value, trace);
  else
    finish(self, ctx, assigner, edge_state::present, value, std::string{}, trace);
}

/// Runs the operation for a request whose inputs are complete and whose gate is open.
void execute(self_ptr self, const context_ptr& ctx, std::span<edge_value> given,
             std::int64_t ready_ns, const caf::strong_actor_ptr& assigner) {
  auto& st = self->state;
  auto& node = *st.node;
  auto started = now_ns(self);
  st.stats.queue_ns += std::max<std::int64_t>(0, started - ready_ns);
  auto trace = merged_trace(given);
  if (ctx->deadline_ns != 0 && started > ctx->deadline_ns) {
    ++st.stats.failed;
    finish(self, ctx, assigner, edge_state::failed, nullptr,
           fmt::format("operator '{}' did not start before the request's deadline",
                       node.spec->name),
           trace, errc::deadline_exceeded);
    return;
  }
  // Most operators have few inputs: keep the pointer array on the stack.
  constexpr std::size_t inline_inputs = 8;
  std::array<record_ptr, inline_inputs> small{};
  std::vector<record_ptr> large;
  auto count = node.data_inputs.size();
  std::span<record_ptr> inputs{small.data(), count};
  if (count > inline_inputs) {
    large.resize(count);
    inputs = {large.data(), count};
  }
  for (std::size_t i = 0; i < count; ++i)
    if (given[i].state == edge_state::present)
      inputs[i] = given[i].value;
  op_call args{ctx->id, inputs, self->clock().now()};
  st.running = ctx;
  auto out = st.init.impl->run(args);
  st.running = nullptr;
  ++st.stats.calls;
  if (!out) {
    ++st.stats.failed;
    auto now = now_ns(self);
    st.stats.busy_ns += now - started;
    record_call(self, ready_ns, now);
    finish(self, ctx, assigner, edge_state::failed, nullptr,
           fmt::format("operator '{}' ({}) failed: {}", node.spec->name, node.spec->kind,
                       out.error().message),
           trace);
    return;
  }
  auto value = out->passed_through ? std::move(out->passed_through)
                                   : std::make_shared<const record>(std::move(out->value));
  if (out->hold.count() > 0) {
    // Simulated device time: keep the replica busy without holding a scheduler thread.
    st.busy = true;
    st.held = {ctx, std::move(value), ready_ns, assigner, std::move(trace)};
    st.held_since_ns = started;
    self->delayed_send(self, out->hold, release_atom::value);
    return;
  }
  auto now = now_ns(self);
  st.stats.busy_ns += now - started;
  record_call(self, ready_ns, now);
  publish(self, ctx, assigner, value, trace);
}

/// Decides what a request with complete inputs becomes: failed, skipped or a call.
void on_complete(self_ptr self, const context_ptr& ctx, std::span<edge_value> inputs,
                 const caf::strong_actor_ptr& assigner) {
  auto& st = self->state;
  auto& node = *st.node;
  for (auto& in : inputs) {
    if (in.state == edge_state::failed) {
      ++st.stats.failed;
      finish(self, ctx, assigner, edge_state::failed, nullptr, in.error, merged_trace(inputs),
             in.code);
      return;
    }
  }
  bool skip = node.gate && !gate_open(inputs[node.data_inputs.size()], node);
  if (!skip) {
    skip = true;
    for (std::size_t i = 0; i < node.data_inputs.size(); ++i)
      if (inputs[i].state == edge_state::present)
        skip = false;
  }
  if (skip) {
    ++st.stats.skipped;
    finish(self, ctx, assigner, edge_state::absent, nullptr, std::string{}, merged_trace(inputs));
    return;
  }
  // A gated operator that runs is a branch the request took: its answer says so. The entry
  // rides on the gate's trace, which every path below merges into the outputs'.
  if (node.gate) {
    auto& gate = inputs[node.data_inputs.size()];
    gate.trace = detail::with_entry(gate.trace, branch_taken(node.spec->name));
  }
  // A stateful replica answers a request it has answered before (run again after a failure)
  // with the same output, and its state changes once.
  if (node.stateful && !st.model && detail::answer_again(self, ctx, assigner, merged_trace(inputs)))
    return;
  auto ready_ns = now_ns(self);
  if (st.model) {
    detail::model_enqueue(self, ctx, inputs, assigner, ready_ns);
    return;
  }
  if (st.busy) {
    st.waiting.push_back({ctx,
                          {std::make_move_iterator(inputs.begin()),
                           std::make_move_iterator(inputs.end())},
                          ready_ns,
                          assigner});
    return;
  }
  execute(self, ctx, inputs, ready_ns, assigner);
}

void start_next(self_ptr self) {
  auto& st = self->state;
  while (!st.busy && !st.waiting.empty()) {
    auto call = std::move(st.waiting.front());
    st.waiting.pop_front();
    execute(self, call.ctx, call.inputs, call.ready_ns, call.assigner);
  }
}

void on_deliver(self_ptr self, edge_value& value, caf::actor from) {
  auto& st = self->state;
  if (!st.wired) {
    st.early.push_back({std::move(value), std::move(from)});
    return;
  }
  // Who assigned the request here and counted it in its load figures (for a message that
  // waited for the wiring, not whoever is the current sender now).
  auto assigner = caf::actor_cast<caf::strong_actor_ptr>(from);
  auto run = run_of(*value.ctx);
  if (st.wiring.replay) {
    // The ingress keeps a request's inputs until it answers it: it is not acknowledged.
    if (from && from.address() == run.ingress)
      from = nullptr;
    auto arrived = st.received.received(run, value.ctx->deadline_ns, from, value.slot);
    if (arrived == inbox::arrival::after_done && from)
      queue_ack(self, from, edge_ack{run.ingress, run.id, value.slot});
    if (arrived != inbox::arrival::fresh) {
      // Sent again after a failure; this replica has it (or had it) already. Its sender
      // counted it as outstanding here: the count goes down as for an answer.
      if (st.node->slot_count() == 1)
        release_load(self, value.ctx, assigner);
      return;
    }
  }
  auto slots = st.node->slot_count();
  if (slots == 1) {
    auto ctx = value.ctx;
    on_complete(self, ctx, std::span<edge_value>{&value, 1}, assigner);
    return;
  }
  auto& join = st.joins[run];
  if (join.slots.empty()) {
    join.slots.resize(slots);
    join.arrived.resize(slots, false);
  }
  auto slot = value.slot;
  if (slot >= slots || join.arrived[slot])
    return; // a duplicate (sent again after a failure; acknowledged with the join) or stray
  join.arrived[slot] = true;
  join.slots[slot] = std::move(value);
  if (++join.received < slots)
    return;
  auto inputs = std::move(join.slots);
  st.joins.erase(run);
  auto ctx = inputs[slot].ctx;
  // A join with several replicas is routed: the ingress counted it (see release_load).
  on_complete(self, ctx, inputs, nullptr);
}

/// After a rewire: every message still kept whose receiver is gone, or whose request's route
/// now names another replica, goes again to the replica the new wiring names.
void replay_unacknowledged(self_ptr self) {
  auto& st = self->state;
  st.sent.for_each([self, &st](std::uint32_t edge, outbox::entry& kept) {
    if (edge >= st.node->consumers.size())
      return; // a graph output: its ingress lives as long as the request
    auto& target = *st.wiring.consumers[edge];
    auto& target_node = st.init.topo->ops[st.node->consumers[edge].op];
    const caf::actor* wanted = nullptr;
    if (target_node.route_index) {
      wanted = target.live(kept.value.ctx->route[*target_node.route_index]);
    } else {
      if (kept.receiver
          && std::find(target.actors.begin(), target.actors.end(), kept.receiver)
               != target.actors.end())
        return; // its receiver lives: its ack will come
      std::size_t replica = 0;
      if (target.actors.size() > 1)
        replica = st.pickers[edge].pick(target.loads->counts());
      wanted = target.live(replica);
      if (wanted && target.actors.size() > 1)
        target.loads->assigned(static_cast<std::size_t>(wanted - target.actors.data()));
    }
    if (!wanted || *wanted == kept.receiver)
      return; // none alive yet (a later rewire sends it), or the same replica
    kept.receiver = *wanted;
    self->send(kept.receiver, deliver_atom::value, kept.value);
    ++st.stats.replayed;
  });
}

/// Forgets, every second, what was kept for requests past their deadline: messages sent,
/// senders, completed requests and partial joins.
void sweep(self_ptr self) {
  auto& st = self->state;
  auto now = now_ns(self);
  st.sent.expire(now);
  st.received.expire(now);
  std::erase_if(st.joins, [now](const auto& kv) {
    for (auto& slot : kv.second.slots)
      if (slot.ctx)
        return slot.ctx->deadline_ns != 0 && slot.ctx->deadline_ns < now;
    return false;
  });
  self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
}

/// New wiring (the first, or a rewire after a failure): what was kept for a replica now gone
/// goes to its replacement, and messages that waited for a wiring go on.
void on_wire(self_ptr self, operator_wiring& wiring) {
  auto& st = self->state;
  st.wiring = std::move(wiring);
  detail::sync_new_backup(self);
  if (st.wiring.replay) {
    replay_unacknowledged(self);
    if (!st.sweeping) {
      st.sweeping = true;
      self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
    }
  }
  st.wired = true;
  auto early = std::move(st.early);
  st.early.clear();
  for (auto& a : early)
    on_deliver(self, a.value, std::move(a.from));
}

/// An operation threw something that is not an error of one request (a simulated crash, a
/// kernel bug): the replica dies, as a process would, and its supervisor replaces it. The
/// ingress of the request that was running learns which request it was, so that a request
/// that keeps crashing replicas is not run again forever.
caf::error on_crash(self_ptr self, std::exception_ptr& thrown) {
  auto& st = self->state;
  std::string what = "an unknown exception";
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (const replica_crash& c) {
    what = c.what;
  } catch (...) {
  }
  auto message = fmt::format("replica {} of operator '{}' crashed: {}", st.init.replica,
                             st.node->spec->name, what);
  if (st.running) {
    auto& ctx = *st.running;
    self->send(ctx.ingress, crashed_atom::value, ctx.id, st.node->spec->name);
    // The senders upstream send the request again to the replacement, but only once.
    auto run = run_of(ctx);
    for (auto& from : st.received.senders(run))
      if (from.actor)
        self->send(from.actor, crashed_atom::value, static_cast<std::uint32_t>(st.init.op),
                   edge_ack{run.ingress, run.id, from.slot});
  }
  if (st.model)
    detail::model_fail_all(self, message);
  return make_error(errc::internal, message);
}

/// The outgoing edge that reaches input `slot` of operator `op` (graph_output_op: graph
/// output `slot`), if any. Graph outputs follow the consumers in the outbox's numbering.
std::optional<std::uint32_t> edge_to(self_ptr self, std::uint32_t op, std::uint32_t slot) {
  auto& node = *self->state.node;
  if (op == graph_output_op) {
    for (std::size_t k = 0; k < node.output_slots.size(); ++k)
      if (node.output_slots[k] == slot)
        return static_cast<std::uint32_t>(node.consumers.size() + k);
    return std::nullopt;
  }
  for (std::size_t i = 0; i < node.consumers.size(); ++i)
    if (node.consumers[i].op == op && node.consumers[i].slot == slot)
      return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

/// A replica of operator `op` (or the ingress) consumed these messages of this replica; a
/// request none of whose messages is kept any more is acknowledged upstream in turn.
void on_acks(self_ptr self, std::uint32_t op, const std::vector<edge_ack>& acks) {
  auto from = caf::actor_cast<caf::actor_addr>(self->current_sender());
  for (auto& ack : acks) {
    run_ref run{ack.ingress, ack.id};
    if (auto edge = edge_to(self, op, ack.slot))
      if (self->state.sent.acknowledged(*edge, run, from))
        release_inputs(self, run);
  }
}

/// A replica on another node answered a request this operator assigned to it.
void on_answered(self_ptr self, std::uint32_t op, std::uint32_t replica) {
  auto& st = self->state;
  auto& consumers = st.node->consumers;
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    if (consumers[i].op == op) {
      auto& loads = *st.wiring.consumers[i]->loads;
      if (replica < loads.size())
        loads.answered(replica);
      return;
    }
  }
}

} // namespace

caf::behavior operator_actor(caf::stateful_actor<operator_state>* self, operator_init init) {
  auto& st = self->state;
  st.init = std::move(init);
  st.node = &st.init.topo->ops[st.init.op];
  st.pickers.resize(st.node->consumers.size());
  st.stats.op = st.node->spec->name;
  st.stats.replica = st.init.replica;
  self->set_exception_handler([self](std::exception_ptr& thrown) { return on_crash(self, thrown); });
  if (auto* model = st.init.impl->as_model()) {
    detail::start_model_runtime(self, *model);
    self->set_exit_handler([self](caf::exit_msg& msg) {
      // Without recovery, queued requests are answered before the replica goes (graph
      // removed, node draining). With it, their senders keep them and send them to the
      // replacement; a removed graph's ingresses answer them with the removal.
      if (!self->state.wiring.replay)
        detail::model_fail_all(self, fmt::format("operator '{}' was stopped before it ran the "
                                                 "request",
                                                 self->state.node->spec->name));
      self->quit(msg.reason);
    });
  }
  return {
    [self](wire_atom, operator_wiring& wiring) { on_wire(self, wiring); },
    [self](deliver_atom, edge_value& value) {
      on_deliver(self, value, caf::actor_cast<caf::actor>(self->current_sender()));
    },
    [self](ack_atom, std::uint32_t op, const std::vector<edge_ack>& acks) {
      on_acks(self, op, acks);
    },
    [self](crashed_atom, std::uint32_t op, const edge_ack& crashed) {
      run_ref run{crashed.ingress, crashed.id};
      if (auto edge = edge_to(self, op, crashed.slot))
        if (self->state.sent.crashed(*edge, run))
          release_inputs(self, run); // a poison request: nothing upstream keeps it either
    },
    [self](flush_atom) {
      auto& st = self->state;
      auto op = static_cast<std::uint32_t>(st.init.op);
      st.acks.flush([self, op](const caf::actor& to, std::vector<edge_ack>&& acks) {
        self->send(to, ack_atom::value, op, std::move(acks));
      });
    },
    [self](sweep_atom) { sweep(self); },
    [self](release_atom) {
      auto& st = self->state;
      auto held = std::move(st.held);
      st.held = {};
      st.busy = false;
      auto now = now_ns(self);
      st.stats.busy_ns += now - st.held_since_ns;
      record_call(self, held.ready_ns, now);
      publish(self, held.ctx, held.assigner, held.value, held.trace);
      start_next(self);
    },
    [self](backup_atom, state_replication& r) { return detail::take_replication(self, r); },
    [self](sync_atom, backup_sync& sync) { return detail::take_sync(self, sync); },
    [self](fill_atom, edge_value& value) {
      auto& st = self->state;
      if (value.state != edge_state::present || !value.value)
        return;
      st.init.impl->fill(value.ctx->id, value.slot, *value.value, self->clock().now());
      // A cache's fill changes its state too: the backup gets it (no output to release).
      if (st.node->stateful && st.wiring.backup && !st.wiring.backup_role)
        self->send(st.wiring.backup, backup_atom::value,
                   state_replication{st.init.impl->save_state(self->clock().now()), {}});
    },
    [self](answered_atom, std::uint32_t op, std::uint32_t replica) {
      on_answered(self, op, replica);
    },
    [self](batch_wake_atom) {
      if (self->state.model) {
        self->state.model->wake_at_ns = 0;
        detail::model_dispatch(self);
      }
    },
    [self](model_batch_result& result) {
      if (self->state.model)
        detail::model_batch_done(self, result);
    },
    [self](reload_atom) -> caf::result<std::string> {
      if (!self->state.model)
        return make_error(errc::invalid_argument,
                          fmt::format("operator '{}' is not a model operator",
                                      self->state.node->spec->name));
      return detail::model_reload(self);
    },
    [self](set_knobs_atom, const knob_request& request) -> caf::result<std::string> {
      if (!self->state.model)
        return make_error(errc::invalid_argument,
                          fmt::format("operator '{}' is not a model operator: it has no knobs",
                                      self->state.node->spec->name));
      return detail::model_set_knobs(self, request);
    },
    [self](tuner_decision& decision) {
      if (self->state.model)
        detail::tuner_decided(self, decision);
    },
    [self](tuner_atom) -> caf::actor {
      auto& m = self->state.model;
      return m && m->tuning ? m->tuning->tuner : caf::actor{};
    },
    [self](versions_atom, loaded_versions& loaded) {
      if (self->state.model)
        detail::model_versions_loaded(self, loaded);
    },
    [self](stats_atom) {
      auto& st = self->state;
      auto stats = st.stats;
      stats.queued = st.waiting.size();
      stats.joining = st.joins.size();
      stats.in_flight = stats.queued + stats.joining + (st.busy ? 1 : 0);
      auto counts = st.latency.counts();
      stats.latency_buckets.assign(counts.begin(), counts.end());
      stats.latency_sum_ns = st.latency.sum_ns();
      stats.calls_per_second = st.rate.per_second(now_ns(self));
      stats.unacknowledged = st.sent.size();
      if (st.model)
        detail::model_stats(self, stats);
      if (st.node->stateful) {
        stats.role = st.wiring.backup_role ? "backup" : "primary";
        stats.backup_in_sync = st.wiring.backup && st.backup_in_sync;
      }
      stats.members = st.init.impl->member_outcomes();
      return stats;
    },
    // Ingress -> a select: the true class of a request it chose members for.
    [self](feedback_atom, std::uint64_t request, std::int64_t label) {
      self->state.init.impl->learn_label(request, label);
    },
  };
}

} // namespace hogar
