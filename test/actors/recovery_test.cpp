// ARG's protocol inside one process, on CAF's deterministic test coordinator: the steps a
// graph supervisor takes (actors/graph_supervisor.hpp) are taken here by hand, so that each
// message can be observed: per-edge acknowledgement and replay at a rewire (from the sender
// next to the loss, not from the ingress), duplicates dropped, the hold of messages that reach
// a replica before its wiring, the primary-backup order of a stateful operator, promotion, and
// a request that crashes replicas.
#include "test/actors/runtime_fixture.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/operator_actor.hpp"
#include "actors/wiring.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

/// A graph wired by hand: its table of replicas, and an ingress that keeps inputs for replay.
struct hand_wired : coordinated_system {
  std::shared_ptr<const graph::topology> topo;
  replica_table table;
  std::vector<caf::actor> backups;
  caf::actor ingress;
  std::uint32_t epoch = 0;
  ingress_options options = [] {
    ingress_options o;
    o.replay = std::make_shared<replay_budget>(1 << 20);
    return o;
  }();

  explicit hand_wired(const std::string& yaml) : topo(compile(yaml)) {
    table.resize(topo->ops.size());
    backups.resize(topo->ops.size());
    for (std::size_t op = 0; op < topo->ops.size(); ++op)
      for (int r = 0; r < topo->ops[op].spec->replicas; ++r)
        table[op].push_back(spawn(op, static_cast<std::uint32_t>(r)));
    auto sets = make_replica_sets(table, backups);
    wire_local_replicas(sys, *topo, sets, epoch, {}, options.replay);
    ingress = sys.spawn(ingress_actor, make_ingress_init(topo, sets, options, epoch));
    sched.run();
  }

  ~hand_wired() {
    for (auto& replicas : table)
      for (auto& a : replicas)
        if (a)
          caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& b : backups)
      if (b)
        caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ingress, caf::exit_reason::user_shutdown);
    sched.run();
  }

  caf::actor spawn(std::size_t op, std::uint32_t replica) {
    auto a = spawn_replica(sys, topo, op, replica, {});
    REQUIRE(a.has_value());
    return *a;
  }

  /// Kills replica `r` of `op` (if it still lives), as a node that dies would.
  void kill(std::size_t op, std::uint32_t r) {
    caf::anon_send_exit(table[op][r], caf::exit_reason::kill);
    sched.run();
  }

  /// What a supervisor does for a lost replica: a fresh one in its place, wired in under a new
  /// epoch.
  void replace(std::size_t op, std::uint32_t r) {
    table[op][r] = spawn(op, r);
    rewire();
    sched.run();
  }

  /// What a supervisor does when a stateful primary (replica 0 of `op`) dies: its backup
  /// takes its place under a new epoch.
  void promote(std::size_t op) {
    kill(op, 0);
    table[op][0] = backups[op];
    backups[op] = caf::actor{};
    rewire();
    sched.run();
  }

  /// What a supervisor's new epoch does on a node: wire the replicas, then the ingress.
  void rewire() {
    ++epoch;
    auto sets = make_replica_sets(table, backups);
    wire_local_replicas(sys, *topo, sets, epoch, {}, options.replay);
    caf::anon_send(ingress, rewire_atom::value, make_ingress_init(topo, sets, options, epoch),
                   epoch);
  }

  struct answer {
    bool arrived = false;
    bool ok = false;
    std::int64_t count = -1;
    std::string error;
  };

  std::shared_ptr<answer> send(std::int64_t timeout_ms = 10'000) {
    auto result = std::make_shared<answer>();
    sys.spawn([=, in = ingress](caf::event_based_actor* self) {
      self->request(in, caf::infinite, infer_atom::value,
                    infer_request{{{"x", scalar_input(1)}}, timeout_ms, {}})
        .then(
          [=](infer_reply& reply) {
            result->arrived = true;
            result->ok = true;
            if (auto* t = find_tensor(reply.outputs, "y"); t && t->type() == dtype::int64)
              result->count = t->values<std::int64_t>()[0];
          },
          [=](caf::error& err) {
            result->arrived = true;
            result->error = message_of(err);
          });
    });
    return result;
  }

  ingress_stats ingress_figures() { return stats_of<ingress_stats>(ingress); }

  void advance_ms(int ms) {
    sched.advance_time(std::chrono::milliseconds(ms));
    sched.run();
  }
};

/// The input of request `id` of `ingress`, as a sender upstream delivers it.
edge_value input_of(request_id id, const caf::actor& ingress) {
  auto ctx = std::make_shared<request_context>();
  ctx->id = id;
  ctx->ingress = ingress;
  return edge_value{ctx, 0, edge_state::present,
                    std::make_shared<const record>(record{{"x", scalar_input(1)}}), {}, nullptr,
                    errc::none};
}

/// A graph with one input `x` and the given operators (UDGL lines), answering `y` from `last`.
std::string graph_of(const std::string& operators, const std::string& last) {
  return "graph: g\ninputs: [{name: x, dtype: float32, shape: [1]}]\noperators:\n" + operators
         + "outputs: [{name: y, from: " + last + "}]\n";
}

const std::string slow_step = graph_of(
    "  - {name: step, kind: simulate, inputs: [x], params: {cost_ms: 10}}\n",
    "step");

/// 'second' is slow, so that a request can be caught on it.
const std::string chain = graph_of(
    "  - {name: first, kind: identity, inputs: [x]}\n"
    "  - {name: second, kind: simulate, inputs: [first], params: {cost_ms: 10}}\n",
    "second");

const std::string counter = graph_of(
    "  - {name: seq, kind: sequence, inputs: [x], params: {output_name: y}}\n",
    "seq");

} // namespace

TEST_CASE("a request in flight in a replica that dies is sent again to its replacement and "
          "answered once") {
  hand_wired g{slow_step};
  auto a = g.send();
  g.sched.run(); // delivered: the replica holds it for its 10 ms
  CHECK_FALSE(a->arrived);
  g.kill(0, 0);
  g.replace(0, 0);
  g.advance_ms(10);
  REQUIRE(a->arrived);
  CHECK(a->ok);
  auto figures = g.ingress_figures();
  CHECK(figures.replayed == 1);
  CHECK(figures.completed == 1);
  CHECK(figures.epoch == 1);
}

TEST_CASE("a rewire that loses no replica sends nothing again and runs nothing twice") {
  hand_wired g{chain};
  auto a = g.send();
  g.sched.run();
  g.rewire(); // a false alarm, or a replica of another graph was lost
  g.sched.run();
  g.advance_ms(10);
  REQUIRE(a->arrived);
  CHECK(a->ok);
  CHECK(g.ingress_figures().replayed == 0);
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).replayed == 0);
  CHECK(g.stats_of<operator_stats>(g.table[1][0]).calls == 1);
}

TEST_CASE("a replica lost in the middle of a chain gets its messages again from the replica "
          "upstream, not from the ingress") {
  hand_wired g{chain};
  auto a = g.send();
  g.sched.run(); // 'first' ran; 'second' holds the request for its 10 ms
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).unacknowledged == 1);
  g.kill(1, 0);
  g.replace(1, 0);
  g.advance_ms(10);
  REQUIRE(a->arrived);
  CHECK(a->ok);
  auto first = g.stats_of<operator_stats>(g.table[0][0]);
  CHECK(first.calls == 1); // it did not run again: it kept its output
  CHECK(first.replayed == 1);
  CHECK(g.ingress_figures().replayed == 0);
  // The ingress acknowledges the output, then 'second' the input, each in its next batch;
  // then 'first' keeps nothing.
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).unacknowledged == 1);
  g.advance_ms(5);
  g.advance_ms(5);
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).unacknowledged == 0);
}

TEST_CASE("a message sent to a replica that is already gone waits with its sender for the "
          "rewire that replaces it") {
  hand_wired g{chain};
  // 'second' dies; nobody has noticed yet, so 'first' still sends to it.
  g.kill(1, 0);
  auto a = g.send();
  g.sched.run();
  g.advance_ms(20);
  CHECK_FALSE(a->arrived);
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).unacknowledged == 1);
  g.replace(1, 0);
  g.advance_ms(10);
  REQUIRE(a->arrived);
  CHECK(a->ok);
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).replayed == 1);
}

namespace {

/// Stands in for an ingress: keeps the outputs it is sent.
struct output_sink {
  std::vector<edge_value> outputs;
};

caf::behavior output_sink_actor(caf::stateful_actor<output_sink>* self) {
  return {
    [self](output_atom, edge_value& v) {
      // Acknowledged, as an ingress does, so that the sender releases what it keeps.
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), ack_atom::value,
                 graph_output_op, std::vector<edge_ack>{{self->address(), v.ctx->id, v.slot}});
      self->state.outputs.push_back(std::move(v));
    },
  };
}

std::vector<edge_value>& outputs_of(const caf::actor& sink) {
  return dynamic_cast<caf::stateful_actor<output_sink>&>(*caf::actor_cast<caf::abstract_actor*>(sink))
    .state.outputs;
}

/// Stands in for a replica upstream: sends what it is told to and counts the acks it gets.
struct upstream {
  std::size_t acks = 0;
};

caf::behavior upstream_actor(caf::stateful_actor<upstream>* self) {
  return {
    [self](deliver_atom, const caf::actor& to, edge_value& v) {
      self->send(to, deliver_atom::value, std::move(v));
    },
    [self](ack_atom, std::uint32_t, const std::vector<edge_ack>& acks) {
      self->state.acks += acks.size();
    },
  };
}

} // namespace

TEST_CASE("a message that arrives again after its request went on is dropped and acknowledged") {
  hand_wired g{graph_of(
      "  - {name: step, kind: identity, inputs: [x]}\n",
      "step")};
  auto sink = g.sys.spawn(output_sink_actor);
  auto up = g.sys.spawn(upstream_actor);
  auto message = input_of(7, sink);
  caf::anon_send(up, deliver_atom::value, g.table[0][0], message);
  caf::anon_send(up, deliver_atom::value, g.table[0][0], message); // sent again after a failure
  g.sched.run();
  g.advance_ms(5);
  CHECK(outputs_of(sink).size() == 1);
  auto& acks = dynamic_cast<caf::stateful_actor<upstream>&>(*caf::actor_cast<caf::abstract_actor*>(up))
                 .state.acks;
  CHECK(acks == 2);
  CHECK(g.stats_of<operator_stats>(g.table[0][0]).calls == 1);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(up, caf::exit_reason::user_shutdown);
  g.sched.run();
}

TEST_CASE("a replacement replica holds what reaches it before its wiring, then runs it") {
  hand_wired g{slow_step};
  auto fresh = g.spawn(0, 0);
  caf::anon_send(fresh, deliver_atom::value, input_of(5, g.ingress));
  g.sched.run(); // no wiring yet: nothing runs, nothing breaks
  caf::anon_send_exit(g.table[0][0], caf::exit_reason::kill);
  g.table[0][0] = fresh;
  g.rewire();
  g.sched.run();
  g.advance_ms(10);
  CHECK(g.stats_of<operator_stats>(fresh).calls == 1);
}

TEST_CASE("a routed join that the rewires move twice ends on one replica and answers once") {
  hand_wired g{graph_of(
      "  - {name: left, kind: identity, inputs: [x]}\n"
      "  - {name: right, kind: simulate, inputs: [x], params: {cost_ms: 10}}\n"
      "  - {name: both, kind: merge, inputs: [left, right], replicas: 2}\n",
      "both")};
  auto a = g.send();
  g.sched.run(); // 'left' went on to the routed replica of 'both'; 'right' is still running
  // Both replicas of the join die: the first rewire routes around the first one lost, the
  // second replaces both. 'left' sends its message again each time the route changes.
  auto both = g.topo->ops.size() - 1;
  caf::anon_send_exit(g.table[both][0], caf::exit_reason::kill);
  caf::anon_send_exit(g.table[both][1], caf::exit_reason::kill);
  g.sched.run();
  g.table[both][0] = g.spawn(both, 0);
  g.table[both][1] = caf::actor{};
  g.rewire();
  g.sched.run();
  g.table[both][1] = g.spawn(both, 1);
  g.rewire();
  g.sched.run();
  g.advance_ms(10);
  REQUIRE(a->arrived);
  CHECK(a->ok);
  g.advance_ms(1000);
  auto calls = g.stats_of<operator_stats>(g.table[both][0]).calls
               + g.stats_of<operator_stats>(g.table[both][1]).calls;
  CHECK(calls == 1);
}

namespace {

/// Stands in for a backup replica: takes the wiring and the state, and acknowledges a
/// replication only when told to (release_atom), so that a test can hold the primary there.
struct fake_backup {
  std::vector<state_replication> seen;
  std::vector<caf::response_promise> waiting;
};

caf::behavior fake_backup_actor(caf::stateful_actor<fake_backup>* self) {
  return {
    [](wire_atom, operator_wiring&) {},
    [](sync_atom, backup_sync&) { return sync_atom::value; },
    [self](backup_atom, state_replication& r) -> caf::result<backup_atom> {
      self->state.seen.push_back(std::move(r));
      auto promise = self->make_response_promise<backup_atom>();
      self->state.waiting.push_back(promise);
      return promise;
    },
    [self](release_atom) {
      for (auto& p : self->state.waiting)
        p.deliver(backup_atom::value);
      self->state.waiting.clear();
    },
    [self](stats_atom) { return static_cast<std::uint64_t>(self->state.seen.size()); },
  };
}

std::int64_t count_in(const record& state) {
  auto* t = find_tensor(state, "count");
  return t == nullptr ? -1 : t->values<std::int64_t>()[0];
}

} // namespace

TEST_CASE("a stateful primary releases an output only after its backup holds the state") {
  hand_wired g{counter};
  auto backup = g.sys.spawn(fake_backup_actor);
  g.backups[0] = backup;
  g.rewire();
  g.sched.run();
  auto a = g.send();
  g.sched.run();
  // The primary computed 1 and sent the state to the backup, which has not answered yet.
  CHECK_FALSE(a->arrived);
  auto* state = &dynamic_cast<caf::stateful_actor<fake_backup>&>(
                   *caf::actor_cast<caf::abstract_actor*>(backup))
                   .state;
  REQUIRE(state->seen.size() == 1);
  CHECK(count_in(state->seen[0].state) == 1);
  CHECK(count_in(*state->seen[0].output.value.ptr) == -1); // the output names its tensor 'y'
  caf::anon_send(backup, release_atom::value);
  g.sched.run();
  REQUIRE(a->arrived);
  CHECK(a->count == 1);
  caf::anon_send_exit(backup, caf::exit_reason::user_shutdown);
  g.sched.run();
}

TEST_CASE("a promoted backup counts on from the state its primary released") {
  hand_wired g{counter};
  g.backups[0] = g.spawn(0, 0);
  g.rewire();
  g.sched.run(); // the primary sends its new backup the whole state
  auto a = g.send();
  auto b = g.send();
  g.sched.run();
  CHECK(a->count + b->count == 3); // 1 and 2
  // The primary dies; its backup takes its place and counts on.
  g.promote(0);
  auto c = g.send();
  g.sched.run();
  REQUIRE(c->arrived);
  CHECK(c->count == 3);
}

TEST_CASE("a stateful replica drops a request it answered before, and its promoted backup answers "
          "it with the same output and counts it once") {
  hand_wired g{counter};
  g.backups[0] = g.spawn(0, 0);
  g.rewire();
  g.sched.run();
  auto sink = g.sys.spawn(output_sink_actor);
  auto deliver = [&](request_id id) {
    caf::anon_send(g.table[0][0], deliver_atom::value, input_of(id, sink));
    g.sched.run();
  };
  deliver(9);
  deliver(9); // a duplicate: the primary sent its output on already
  // The primary dies; 9 reaches the promoted backup again (its ack had not gone out).
  g.promote(0);
  deliver(9);
  deliver(10); // a new request
  auto& outputs = outputs_of(sink);
  REQUIRE(outputs.size() == 3);
  std::vector<std::int64_t> counts;
  for (auto& o : outputs)
    counts.push_back(find_tensor(*o.value, "y")->values<std::int64_t>()[0]);
  INFO(counts[0], " ", counts[1], " ", counts[2]);
  CHECK(counts == std::vector<std::int64_t>{1, 1, 2});
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  g.sched.run();
}

TEST_CASE("a request that crashes two replicas is answered 'not retried'") {
  hand_wired g{graph_of(
      "  - {name: step, kind: simulate, inputs: [x], params: {crash_every: 1}}\n",
      "step")};
  auto a = g.send();
  g.sched.run();
  CHECK_FALSE(a->arrived);
  // The supervisor replaces the crashed replica; the request is sent again and crashes it again.
  g.replace(0, 0);
  REQUIRE(a->arrived);
  CHECK_FALSE(a->ok);
  CHECK(a->error.find("crashed 2 replicas of operator 'step'; not retried") != std::string::npos);
}

TEST_CASE("a replica upstream of a crashing one sends the request again once, then drops it") {
  hand_wired g{graph_of(
      "  - {name: first, kind: identity, inputs: [x]}\n"
      "  - {name: step, kind: simulate, inputs: [first], params: {crash_every: 1}}\n",
      "step")};
  auto a = g.send();
  g.sched.run();
  for (int replacement = 0; replacement < 3; ++replacement) {
    g.kill(1, 0); // crashed, or left unused
    g.replace(1, 0);
  }
  REQUIRE(a->arrived);
  CHECK(a->error.find("crashed 2 replicas of operator 'step'; not retried") != std::string::npos);
  auto first = g.stats_of<operator_stats>(g.table[0][0]);
  CHECK(first.replayed == 1);
  CHECK(first.unacknowledged == 0);
  CHECK(g.stats_of<operator_stats>(g.table[1][0]).calls == 0); // the third replica ran nothing
}

TEST_CASE("a replica that is not a backup refuses state: a primary that hung and was replaced "
          "cannot overwrite the promoted one") {
  hand_wired g{counter};
  auto refused = std::make_shared<bool>(false);
  g.sys.spawn([=, primary = g.table[0][0]](caf::event_based_actor* self) {
    state_replication stale;
    stale.state = {{"count", tensor::from_values<std::int64_t>({1}, {100})}};
    self->request(primary, caf::infinite, backup_atom::value, std::move(stale))
      .then([](backup_atom) {}, [=](caf::error&) { *refused = true; });
  });
  g.sched.run();
  CHECK(*refused);
  auto a = g.send();
  g.sched.run();
  CHECK(a->count == 1);
}

TEST_CASE("a new backup takes its primary's state even before its own wiring arrives") {
  hand_wired g{counter};
  auto a = g.send();
  g.sched.run();
  CHECK(a->count == 1);
  // The primary learns of the backup (and syncs it) before the backup is wired.
  auto backup = g.spawn(0, 0);
  g.backups[0] = backup;
  ++g.epoch;
  auto sets = make_replica_sets(g.table, g.backups);
  operator_wiring primary_wiring;
  primary_wiring.consumers = {};
  primary_wiring.own = sets[0];
  primary_wiring.epoch = g.epoch;
  primary_wiring.backup = backup;
  caf::anon_send(g.table[0][0], wire_atom::value, primary_wiring);
  g.sched.run();
  wire_local_replicas(g.sys, *g.topo, sets, g.epoch, {}, g.options.replay);
  caf::anon_send(g.ingress, rewire_atom::value, make_ingress_init(g.topo, sets, g.options, g.epoch),
                 g.epoch);
  g.sched.run();
  auto stats = g.stats_of<operator_stats>(g.table[0][0]);
  CHECK(stats.role == "primary");
  CHECK(stats.backup_in_sync);
  // Promoted, the backup counts on from the synced state.
  g.promote(0);
  auto b = g.send();
  g.sched.run();
  CHECK(b->count == 2);
}
