#include "actors/node_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include "actors/actor_port.hpp"
#include "actors/clock.hpp"
#include "actors/countdown.hpp"
#include "actors/errors.hpp"
#include "actors/graph_description.hpp"
#include "actors/graph_supervisor.hpp"
#include "actors/model_batching.hpp"
#include "actors/node_internal.hpp"
#include "actors/node_log.hpp"
#include "actors/operator_actor.hpp"
#include "graph/dot.hpp"
#include "graph/loader.hpp"
#include "kernels/onnx/model_repository.hpp"
#include "kernels/onnx/model_store.hpp"
#include "scheduling/placement.hpp"

namespace hogar {

void node_detail::log(node_ptr self, const std::string& level, const std::string& text) {
  auto& options = self->state.cfg.options;
  node_log(self, options.name, options.log_level, level, text);
}

graph_deployment node_detail::deployment_of(const std::string& name, const hosted_graph& g) {
  return graph_deployment{name,        g.yaml,        g.file,  g.actors,
                          g.placement, g.description, g.epoch, g.supervisor,
                          g.recovery,  g.backups,     {}};
}

graph_description node_detail::describe(node_ptr self, const std::string& name,
                                        const graph::topology& topo) {
  auto d = describe_graph(topo, self->state.cfg.options.model_repository);
  for (auto& p : d.problems)
    log(self, "warning", fmt::format("graph '{}' metadata: {}", name, p));
  return d;
}

namespace {

using namespace node_detail;
using self_ptr = node_ptr;
using namespace std::chrono_literals;

// -- graphs --------------------------------------------------------------------------------

std::vector<std::string> graph_names(self_ptr self) {
  std::vector<std::string> names;
  for (auto& [name, g] : self->state.graphs)
    names.push_back(name);
  return names;
}

graph_summary summarize(const std::string& name, const hosted_graph& g) {
  graph_summary s;
  s.name = name;
  s.file = g.file;
  s.operators = static_cast<std::uint32_t>(g.topo->ops.size());
  s.replicas = static_cast<std::uint32_t>(
    std::count_if(g.placement.begin(), g.placement.end(), [](auto& p) { return !p.backup; }));
  s.placement = g.placement;
  return s;
}

/// Parses and validates graph text; an error lists every diagnostic.
result<std::shared_ptr<const graph::topology>> compile(const std::string& yaml,
                                                       const std::string& file) {
  auto loaded = graph::load_graph_text(yaml, file);
  if (!loaded.ok()) {
    auto text = graph::to_string(loaded.errors);
    if (!text.empty() && text.back() == '\n')
      text.pop_back();
    return fail(errc::invalid_argument, text);
  }
  return std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
}

/// The exit reason of a supervisor whose graph was removed: the other nodes do not take its
/// place (they do when it stops for any other reason: its node stopping or dying).
caf::error graph_removed(const std::string& name) {
  return make_error(errc::not_found, fmt::format("graph '{}' was removed", name));
}

/// Stops a graph on this node: its ingress answers what it holds with `reason`, and the
/// replicas hosted here exit. `removed`: the graph is gone from the cluster (else only this
/// node stops, and a surviving node takes over its supervisor).
void stop_graph(self_ptr self, const std::string& name, const std::string& reason,
                bool removed) {
  auto& st = self->state;
  if (auto s = st.supervisors.find(name); s != st.supervisors.end()) {
    self->send_exit(s->second, removed ? graph_removed(name)
                                       : caf::error{caf::exit_reason::user_shutdown});
    st.supervisors.erase(s);
  }
  auto i = st.graphs.find(name);
  if (i != st.graphs.end()) {
    if (i->second.ingress)
      self->send(i->second.ingress, stop_atom::value, reason);
    for (auto& replicas : i->second.actors)
      for (auto& replica : replicas)
        if (replica && replica.node() == self->node())
          self->send_exit(replica, caf::exit_reason::user_shutdown);
    for (auto& backup : i->second.backups)
      if (backup && backup.node() == self->node())
        self->send_exit(backup, caf::exit_reason::user_shutdown);
    st.graphs.erase(i);
  }
  if (auto s = st.spawned.find(name); s != st.spawned.end()) {
    for (auto& replica : s->second)
      self->send_exit(replica, caf::exit_reason::user_shutdown);
    st.spawned.erase(s);
  }
  st.spawned_topologies.erase(name);
}

/// Spawns the replicas `wanted` of a graph, in order; on an error none is left running.
result<std::vector<caf::actor>> spawn_replicas(self_ptr self,
                                               const std::shared_ptr<const graph::topology>& topo,
                                               const std::vector<replica_placement>& wanted) {
  std::vector<caf::actor> spawned;
  for (auto& r : wanted) {
    auto op = topo->op_index(r.op);
    auto replica = op == graph::topology::npos
                     ? result<caf::actor>{fail(errc::invalid_argument,
                                               fmt::format("no operator '{}'", r.op))}
                     : spawn_replica(self->system(), topo, op, r.replica,
                                     operation_context{self->state.cfg.options.model_repository});
    if (!replica) {
      for (auto& a : spawned)
        self->send_exit(a, caf::exit_reason::user_shutdown);
      return replica.error();
    }
    spawned.push_back(*replica);
  }
  return spawned;
}

caf::result<std::vector<caf::actor>> on_spawn(self_ptr self, spawn_request& req) {
  auto& st = self->state;
  if (st.graphs.count(req.graph) > 0 || st.spawned.count(req.graph) > 0)
    return make_error(errc::invalid_argument,
                      fmt::format("graph '{}' is already deployed on node {}", req.graph,
                                  st.cfg.options.name));
  auto topo = compile(req.yaml, req.file);
  if (!topo)
    return make_error(topo.error());
  auto made = spawn_replicas(self, *topo, req.replicas);
  if (!made)
    return make_error(made.error());
  auto& spawned = *made;
  st.spawned[req.graph] = spawned;
  st.spawned_topologies[req.graph] = *topo;
  log(self, "info", fmt::format("spawned {} replica{} of graph '{}'", spawned.size(),
                                spawned.size() == 1 ? "" : "s", req.graph));
  return spawned;
}

/// Monitors the graph's supervisor, wherever it runs: when it goes, a survivor takes over.
void watch_supervisor(self_ptr self, hosted_graph& g) {
  if (g.supervisor && g.supervisor != g.watched_supervisor) {
    self->monitor(g.supervisor);
    g.watched_supervisor = g.supervisor;
  }
}

/// The supervisor of graph `name` stopped, and not because the graph was removed (its node
/// died or is stopping). The live member with the smallest name, the supervisor's node aside,
/// starts a new one from the deployment it holds: the same table, placement and recoveries,
/// under a newer epoch. Every node holds that deployment, so any survivor can.
void on_supervisor_down(self_ptr self, const std::string& name, hosted_graph& g,
                        const caf::down_msg& msg) {
  auto& st = self->state;
  std::vector<std::string> candidates;
  for (auto& m : st.members->view())
    if (m.state == member_state::alive && m.info.node && m.info.node.node() != msg.source.node())
      candidates.push_back(m.info.name);
  std::sort(candidates.begin(), candidates.end());
  if (candidates.empty() || candidates.front() != st.cfg.options.name) {
    log(self, "info", fmt::format("graph '{}': its supervisor stopped ({}); {} takes over", name,
                                  message_of(msg.reason),
                                  candidates.empty() ? std::string{"no node"} : candidates.front()));
    return;
  }
  log(self, "warning", fmt::format("graph '{}': its supervisor stopped ({}); this node takes over "
                                   "from epoch {}",
                                   name, message_of(msg.reason), g.epoch));
  auto& options = st.cfg.options;
  supervisor_init init{name, g.yaml, g.file, g.topo, caf::actor_cast<caf::actor>(self),
                       options.name, options.log_level, options.model_repository,
                       options.recovery};
  init.adopt = deployment_of(name, g);
  st.supervisors[name] = self->spawn(graph_supervisor, std::move(init));
}

/// Takes the table, placement, epoch and supervisor of a deployment, and wires the replicas
/// that run here.
void take_deployment(self_ptr self, hosted_graph& g, graph_deployment& d) {
  g.actors = std::move(d.actors);
  g.placement = std::move(d.placement);
  g.epoch = d.epoch;
  g.supervisor = d.supervisor;
  g.recovery = std::move(d.recovery);
  g.backups = std::move(d.backups);
  g.unavailable = std::move(d.unavailable);
  g.sets = make_replica_sets(g.actors, g.backups);
  wire_local_replicas(self->system(), *g.topo, g.sets, g.epoch, g.supervisor,
                      self->state.cfg.ingress.replay);
  watch_supervisor(self, g);
}

/// What this node's ingress of `g` is made or rewired with.
ingress_init ingress_wiring(self_ptr self, const hosted_graph& g) {
  auto init = make_ingress_init(g.topo, g.sets, self->state.cfg.ingress, g.epoch);
  init.unavailable = g.unavailable;
  return init;
}

/// A newer epoch of a graph this node runs (a replica was lost, or replaced): wire the local
/// replicas and the ingress with the new table, and stop the local replicas it no longer
/// lists, so that a node that hung and came back serves nothing stale.
void rewire(self_ptr self, const std::string& name, hosted_graph& g, graph_deployment& d) {
  std::set<caf::actor_addr> listed;
  for (auto& replicas : d.actors)
    for (auto& a : replicas)
      if (a)
        listed.insert(a.address());
  for (auto& b : d.backups)
    if (b)
      listed.insert(b.address());
  auto stop_stale = [&](const caf::actor& a) {
    if (a && a.node() == self->node() && listed.count(a.address()) == 0) {
      log(self, "info", fmt::format("graph '{}': stopping a replica that epoch {} replaced", name,
                                    d.epoch));
      self->send_exit(a, caf::exit_reason::user_shutdown);
    }
  };
  for (auto& replicas : g.actors)
    for (auto& a : replicas)
      stop_stale(a);
  for (auto& b : g.backups)
    stop_stale(b);
  take_deployment(self, g, d);
  if (g.ingress)
    self->send(g.ingress, rewire_atom::value, ingress_wiring(self, g), g.epoch);
  log(self, "debug", fmt::format("graph '{}' rewired for epoch {}", name, g.epoch));
}

caf::result<deploy_atom> on_deploy(self_ptr self, graph_deployment& d) {
  auto& st = self->state;
  if (auto i = st.graphs.find(d.graph); i != st.graphs.end()) {
    if (d.epoch > i->second.epoch)
      rewire(self, d.graph, i->second, d);
    else if (d.epoch == i->second.epoch)
      i->second.recovery = std::move(d.recovery); // news of a recovery (a first answer)
    return deploy_atom::value;
  }
  std::shared_ptr<const graph::topology> topo;
  if (auto i = st.spawned_topologies.find(d.graph); i != st.spawned_topologies.end()) {
    topo = i->second;
  } else {
    auto compiled = compile(d.yaml, d.file);
    if (!compiled)
      return make_error(compiled.error());
    topo = *compiled;
  }
  hosted_graph g;
  g.yaml = std::move(d.yaml);
  g.file = std::move(d.file);
  g.topo = topo;
  g.description = std::move(d.description);
  take_deployment(self, g, d);
  st.spawned.erase(d.graph);
  st.spawned_topologies.erase(d.graph);
  st.graphs.emplace(d.graph, std::move(g));
  return deploy_atom::value;
}

/// A supervisor asks for replacements of lost replicas of a graph this node takes part in
/// (or, on a node that joined later, one it only knows by its text).
caf::result<std::vector<caf::actor>> on_respawn(self_ptr self, spawn_request& req) {
  auto& st = self->state;
  std::shared_ptr<const graph::topology> topo;
  if (auto i = st.graphs.find(req.graph); i != st.graphs.end()) {
    topo = i->second.topo;
  } else {
    auto compiled = compile(req.yaml, req.file);
    if (!compiled)
      return make_error(compiled.error());
    topo = *compiled;
  }
  auto made = spawn_replicas(self, topo, req.replicas);
  if (!made)
    return make_error(made.error());
  auto& spawned = *made;
  log(self, "info", fmt::format("graph '{}': spawned {} replacement replica{}", req.graph,
                                spawned.size(), spawned.size() == 1 ? "" : "s"));
  return spawned;
}

void on_open(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.graphs.find(name);
  if (i == st.graphs.end() || i->second.ingress)
    return;
  auto& g = i->second;
  g.ingress = self->spawn(ingress_actor, ingress_wiring(self, g));
  log(self, "info", fmt::format("graph '{}' is open on this node", name));
}

/// A submitted graph gets its supervisor on this node, which places, spawns, wires and opens
/// it, and recovers it afterwards.
caf::result<graph_summary> on_submit(self_ptr self, std::string& yaml, std::string& file) {
  auto& st = self->state;
  auto topo = compile(yaml, file);
  if (!topo)
    return make_error(topo.error());
  auto name = (*topo)->spec->name;
  if (st.graphs.count(name) > 0 || st.spawned.count(name) > 0 || st.supervisors.count(name) > 0)
    return make_error(errc::invalid_argument,
                      fmt::format("graph '{}' is already deployed; remove it first (hogar "
                                  "remove {})",
                                  name, name));
  auto& options = st.cfg.options;
  auto supervisor = self->spawn(graph_supervisor,
                                supervisor_init{name, std::move(yaml), std::move(file), *topo,
                                                caf::actor_cast<caf::actor>(self), options.name,
                                                options.log_level, options.model_repository,
                                                options.recovery});
  st.supervisors[name] = supervisor;
  auto promise = self->make_response_promise<graph_summary>();
  self->request(supervisor, caf::infinite, place_atom::value)
    .then([promise](graph_summary& s) mutable { promise.deliver(std::move(s)); },
          [self, promise, name, supervisor](caf::error& err) mutable {
            auto i = self->state.supervisors.find(name);
            if (i != self->state.supervisors.end() && i->second == supervisor)
              self->state.supervisors.erase(i);
            promise.deliver(err);
          });
  return promise;
}

caf::result<graph_summary> on_remove(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.graphs.find(name);
  if (i == st.graphs.end())
    return make_error(errc::not_found, fmt::format("graph '{}' is not deployed", name));
  auto summary = summarize(name, i->second);
  auto promise = self->make_response_promise<graph_summary>();
  auto peers = st.members->live_peers();
  auto done = std::make_shared<countdown>();
  done->remaining = peers.size() + 1;
  done->done = [promise, summary]() mutable { promise.deliver(summary); };
  for (auto& peer : peers)
    self->request(peer.node, peer_timeout, undeploy_atom::value, name)
      .then([done](undeploy_atom) { done->tick(); }, [done](caf::error&) { done->tick(); });
  stop_graph(self, name, fmt::format("graph '{}' was removed", name), true);
  done->tick();
  log(self, "info", fmt::format("graph '{}' removed", name));
  return promise;
}

// -- status and snapshots ------------------------------------------------------------------

/// How long `hogar status` waits for each replica's figures: a busy replica answers between
/// two batches, and a user who asked for one graph's status would rather wait than read
/// "unreachable".
constexpr auto status_stats_timeout = 2s;

/// How long the cluster snapshot (the web page, once a second; the inspector) waits for each
/// replica: a stopped node's replicas show as "unreachable" after this, and the page keeps
/// updating the rest about once a second instead of stalling behind them.
constexpr auto snapshot_stats_timeout = 1s;

/// Indexes into `g.placement`, producers before consumers (then by replica): the order in
/// which the snapshot lists replicas, so that every reader shows the graph top to bottom.
std::vector<std::size_t> placement_in_topological_order(const hosted_graph& g) {
  std::vector<std::size_t> rank(g.topo->ops.size(), 0);
  for (std::size_t i = 0; i < g.topo->order.size(); ++i)
    rank[g.topo->order[i]] = i;
  std::vector<std::size_t> out(g.placement.size());
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] = k;
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    auto& pa = g.placement[a];
    auto& pb = g.placement[b];
    auto ra = rank[g.topo->op_index(pa.op)];
    auto rb = rank[g.topo->op_index(pb.op)];
    return ra != rb ? ra < rb : pa.replica < pb.replica;
  });
  return out;
}

/// Collects a snapshot of each named graph (replica figures from every replica, wherever it
/// runs, each given `stats_timeout` to answer; ingress figures from this node) and hands them
/// to `done`.
void collect_graphs(self_ptr self, std::vector<std::string> names,
                    caf::timespan stats_timeout,
                    std::function<void(std::vector<graph_snapshot>)> done) {
  auto& st = self->state;
  auto out = std::make_shared<std::vector<graph_snapshot>>();
  std::size_t total = 0;
  for (auto& name : names) {
    auto& g = st.graphs.at(name);
    auto& snap = out->emplace_back();
    snap.summary = summarize(name, g);
    for (auto& in : g.topo->spec->inputs)
      snap.inputs.push_back(
        tensor_decl{in.name, std::string{to_kserve_string(in.type)}, in.shape});
    for (auto& o : g.topo->spec->outputs)
      snap.outputs.push_back(o.name);
    snap.description = g.description;
    snap.epoch = g.epoch;
    snap.recovery = g.recovery;
    for (auto k : placement_in_topological_order(g)) {
      auto& p = g.placement[k];
      auto op = g.topo->op_index(p.op);
      auto& spec = *g.topo->ops[op].spec;
      snap.replicas.push_back(
        replica_snapshot{p.op, spec.kind, p.replica, p.node, "unreachable", {}, spec.slo_ms});
      ++total;
    }
    if (g.ingress)
      ++total;
  }
  auto pending = std::make_shared<countdown>();
  pending->remaining = total;
  pending->done = [out, done]() { done(std::move(*out)); };
  if (total == 0) {
    done(std::move(*out));
    return;
  }
  for (std::size_t gi = 0; gi < names.size(); ++gi) {
    auto& g = st.graphs.at(names[gi]);
    auto placement = placement_in_topological_order(g);
    for (std::size_t k = 0; k < placement.size(); ++k) {
      auto& p = g.placement[placement[k]];
      auto op = g.topo->op_index(p.op);
      caf::actor actor = p.backup ? (op < g.backups.size() ? g.backups[op] : caf::actor{})
                                  : g.actors[op][p.replica];
      if (!actor) {
        (*out)[gi].replicas[k].state = "lost";
        pending->tick();
        continue;
      }
      self->request(actor, stats_timeout, stats_atom::value)
        .then(
          [out, pending, gi, k](operator_stats& s) {
            (*out)[gi].replicas[k].stats = std::move(s);
            (*out)[gi].replicas[k].state = "running";
            pending->tick();
          },
          [pending](caf::error&) { pending->tick(); });
    }
    if (g.ingress)
      self->request(g.ingress, stats_timeout, stats_atom::value)
        .then(
          [out, pending, gi](ingress_stats& s) {
            (*out)[gi].ingress = s;
            pending->tick();
          },
          [pending](caf::error&) { pending->tick(); });
  }
}

caf::result<cluster_snapshot> on_snapshot(self_ptr self) {
  auto promise = self->make_response_promise<cluster_snapshot>();
  collect_graphs(self, graph_names(self), snapshot_stats_timeout,
                 [self, promise](std::vector<graph_snapshot> graphs) mutable {
    cluster_snapshot snap;
    snap.node = self->state.cfg.options.name;
    note_member_states(self);
    snap.members = self->state.members->view();
    for (auto& m : snap.members) {
      auto i = self->state.member_since.find(m.info.name);
      snap.members_since_unix_ms.push_back(i == self->state.member_since.end() ? 0
                                                                               : i->second.second);
    }
    if (auto& replay = self->state.cfg.ingress.replay) {
      snap.replay_buffer_bytes = replay->used.load(std::memory_order_relaxed);
      snap.replay_buffer_limit = static_cast<std::int64_t>(replay->limit);
    }
    snap.graphs = std::move(graphs);
    snap.taken_at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    promise.deliver(std::move(snap));
  });
  return promise;
}

caf::result<graph_snapshot> on_status(self_ptr self, const std::string& name) {
  if (self->state.graphs.count(name) == 0)
    return make_error(errc::not_found, fmt::format("graph '{}' is not deployed (deployed: {})",
                                                   name, fmt::join(graph_names(self), ", ")));
  auto promise = self->make_response_promise<graph_snapshot>();
  collect_graphs(self, {name}, status_stats_timeout,
                 [promise](std::vector<graph_snapshot> graphs) mutable {
    promise.deliver(std::move(graphs.front()));
  });
  return promise;
}

/// A graph as KServe's metadata and configuration describe it, from what this node keeps:
/// cheap enough for the HTTP thread that waits on it.
caf::result<graph_metadata> on_metadata(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.graphs.find(name);
  if (i == st.graphs.end())
    return make_error(errc::not_found, fmt::format("graph '{}' is not deployed (deployed: {})",
                                                   name, fmt::join(graph_names(self), ", ")));
  const auto& g = i->second;
  graph_metadata m;
  m.name = name;
  m.file = g.file;
  for (auto& in : g.topo->spec->inputs)
    m.inputs.push_back(tensor_decl{in.name, std::string{to_kserve_string(in.type)}, in.shape});
  m.description = g.description;
  m.open = static_cast<bool>(g.ingress);
  for (auto& op : g.topo->ops) {
    const auto& spec = *op.spec;
    operator_config c;
    c.op = spec.name;
    c.kind = spec.kind;
    for (auto& p : g.placement)
      if (p.op == spec.name && !p.backup)
        ++c.replicas;
    if (spec.kind == "model") {
      graph::param_reader params{spec};
      c.instances = params.get_int("instances");
      c.device = params.get_string("device");
    }
    if (spec.batching) {
      c.batching_policy = spec.batching->policy;
      c.max_batch_size = spec.batching->max_batch_size;
      c.max_queue_delay_us = spec.batching->max_queue_delay_us;
    }
    for (auto& input : spec.inputs)
      c.inputs.push_back(input.name);
    m.operators.push_back(std::move(c));
  }
  return m;
}

caf::result<drain_atom> on_drain(self_ptr self) {
  auto& st = self->state;
  auto pending = std::make_shared<countdown>();
  for (auto& [name, g] : st.graphs)
    if (g.ingress)
      ++pending->remaining;
  // Answered at once with nothing to drain. A response promise takes the request over: made
  // first, a value returned here would be dropped and SIGTERM would wait the whole timeout.
  if (pending->remaining == 0)
    return drain_atom::value;
  auto promise = self->make_response_promise<drain_atom>();
  pending->done = [promise]() mutable { promise.deliver(drain_atom::value); };
  auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(st.cfg.options.drain_timeout_ms, 1));
  for (auto& [name, g] : st.graphs)
    if (g.ingress)
      self->request(g.ingress, timeout, drain_atom::value)
        .then([pending](drain_atom) { pending->tick(); },
              [pending](caf::error&) { pending->tick(); });
  return promise;
}

/// How long a node waits for another node's ingress to join a feedback.
constexpr auto feedback_timeout = std::chrono::seconds(5);

/// Asks peers[next], then the ones after it, for the answer `f` names: the first that keeps
/// it answers; when none does, `not_here` (this node's own not-found) is the answer. Each
/// step is a callback, not a nested call: as deep as the cluster has members, no deeper.
void ask_peers_for_feedback(self_ptr self, caf::typed_response_promise<feedback_receipt> promise,
                            std::shared_ptr<std::vector<caf::actor>> peers, std::size_t next,
                            std::string graph, feedback f, caf::error not_here) {
  if (next >= peers->size()) {
    promise.deliver(std::move(not_here));
    return;
  }
  auto peer = (*peers)[next];
  self->request(peer, feedback_timeout, feedback_here_atom::value, graph, f)
    .then([promise](feedback_receipt& r) mutable { promise.deliver(std::move(r)); },
          [=](caf::error& err) mutable {
            // Found there but refused (given twice, a label that does not fit): that is the
            // answer; anything else (not there, no answer in time) asks the next member.
            if (code_of(err) == errc::invalid_argument) {
              promise.deliver(std::move(err));
              return;
            }
            ask_peers_for_feedback(self, promise, peers, next + 1, graph, f, not_here);
          });
}

} // namespace

caf::behavior node_actor(caf::stateful_actor<node_state>* self, node_config cfg) {
  auto& st = self->state;
  cfg.self.node = caf::actor_cast<caf::actor>(self);
  auto interval_ns = cfg.options.heartbeat_interval_ms * 1'000'000;
  st.members = std::make_unique<membership>(cfg.self, interval_ns, cfg.options.heartbeat_miss_count);
  st.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& msg) {
    for (auto& [name, g] : self->state.graphs)
      if (g.watched_supervisor && g.watched_supervisor.address() == msg.source) {
        g.watched_supervisor = caf::actor{};
        if (code_of(msg.reason) != errc::not_found) // not removed: take over
          on_supervisor_down(self, name, g, msg);
        return;
      }
    self->state.members->lost(msg.source);
    for (auto& m : self->state.members->view())
      if (m.info.node && m.info.node.address() == msg.source)
        log(self, "warning", fmt::format("member {} is dead (connection lost)", m.info.name));
    report_dead_members(self);
  });
  // A handler not wrapped in guarded() that throws ends the actor (CAF's rule); it must at
  // least say so, and hogard exits on it rather than serve as a node that answers nothing.
  self->set_exception_handler([self](std::exception_ptr& thrown) -> caf::error {
    std::string what = "an unknown exception";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log(self, "error", fmt::format("the node actor stops: a handler threw {}", what));
    // The graphs' actors would outlive it and hold the daemon's exit forever.
    for (auto& name : graph_names(self))
      stop_graph(self, name, fmt::format("node {} failed", self->state.cfg.options.name), false);
    return make_error(errc::internal, fmt::format("node actor: a handler threw {}", what));
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& name : graph_names(self))
      stop_graph(self, name, fmt::format("node {} stopped", self->state.cfg.options.name), false);
    self->quit(msg.reason);
  });
  self->send(self, tick_atom::value);
  return {
    [self](tick_atom) { on_tick(self); },
    [self](join_atom, node_info& info) {
      on_heard(self, info);
      return self->state.members->view();
    },
    [self](heartbeat_atom, node_info& info, std::vector<member>& view) {
      on_heard(self, info);
      on_view(self, view);
    },
    [self](nodes_atom) { return self->state.members->view(); },
    [self](submit_atom, std::string& yaml, std::string& file) {
      return guarded(self, "submit", [&] { return on_submit(self, yaml, file); });
    },
    [self](spawn_atom, spawn_request& req) {
      return guarded(self, "spawn", [&] { return on_spawn(self, req); });
    },
    [self](deploy_atom, graph_deployment& d) {
      return guarded(self, "deploy", [&] { return on_deploy(self, d); });
    },
    [self](respawn_atom, spawn_request& req) {
      return guarded(self, "respawn", [&] { return on_respawn(self, req); });
    },
    [self](open_atom, const std::string& name) { on_open(self, name); },
    [self](remove_atom, const std::string& name) { return on_remove(self, name); },
    [self](undeploy_atom, const std::string& name) {
      stop_graph(self, name, fmt::format("graph '{}' was removed", name), true);
      return undeploy_atom::value;
    },
    [self](list_atom) {
      std::vector<graph_summary> out;
      for (auto& [name, g] : self->state.graphs)
        out.push_back(summarize(name, g));
      return out;
    },
    [self](status_atom, const std::string& name) { return on_status(self, name); },
    [self](graph_dot_atom, const std::string& name) -> caf::result<std::string> {
      auto i = self->state.graphs.find(name);
      if (i == self->state.graphs.end())
        return make_error(errc::not_found, fmt::format("graph '{}' is not deployed (deployed: {})",
                                                       name, fmt::join(graph_names(self), ", ")));
      return graph::to_dot(*i->second.topo);
    },
    [self](metadata_atom, const std::string& name) {
      return guarded(self, "metadata", [&] { return on_metadata(self, name); });
    },
    [self](repo_index_atom) {
      return guarded(self, "repository index", [&] { return on_repo_index(self); });
    },
    [self](repo_load_atom, const std::string& model) {
      return guarded(self, "load of a model", [&] { return on_repo_load(self, model); });
    },
    [self](repo_unload_atom, const std::string& model) {
      return guarded(self, "unload of a model", [&] { return on_repo_unload(self, model); });
    },
    [self](model_reload_atom, const std::string& model) {
      return guarded(self, "reload of a model", [&] { return on_model_reload(self, model); });
    },
    [self](local_reload_atom, const std::string& model) {
      return guarded(self, "reload of a model", [&] { return on_local_reload(self, model); });
    },
    [self](tune_atom, const std::string& graph, const std::string& op,
           const knob_request& request) {
      return guarded(self, "tune", [&] { return on_tune(self, graph, op, request); });
    },
    [self](snapshot_atom) { return on_snapshot(self); },
    [self](drain_atom) { return on_drain(self); },
    [self](infer_atom, const std::string& name, infer_request& req)
      -> caf::result<infer_reply> {
      auto i = self->state.graphs.find(name);
      if (i == self->state.graphs.end() || !i->second.ingress)
        return make_error(errc::not_found,
                          fmt::format("graph '{}' is not deployed (deployed: {})", name,
                                      fmt::join(graph_names(self), ", ")));
      auto promise = self->make_response_promise();
      promise.delegate(i->second.ingress, infer_atom::value, std::move(req));
      return promise;
    },
    // Feedback on an answer: each node's ingress keeps the answers it gave, so an answer
    // this node does not know is looked for on the other live members, one after another.
    [self](feedback_atom, const std::string& name, feedback& f)
      -> caf::result<feedback_receipt> {
      auto i = self->state.graphs.find(name);
      if (i == self->state.graphs.end() || !i->second.ingress)
        return make_error(errc::not_found,
                          fmt::format("graph '{}' is not deployed (deployed: {})", name,
                                      fmt::join(graph_names(self), ", ")));
      auto peers = std::make_shared<std::vector<caf::actor>>();
      for (auto& m : self->state.members->view())
        if (m.state == member_state::alive && m.info.node &&
            m.info.name != self->state.cfg.options.name)
          peers->push_back(m.info.node);
      auto promise = self->make_response_promise<feedback_receipt>();
      self->request(i->second.ingress, feedback_timeout, feedback_atom::value, f)
        .then([promise](feedback_receipt& r) mutable { promise.deliver(std::move(r)); },
              [self, promise, peers, name, f](caf::error& err) mutable {
                if (code_of(err) != errc::not_found) {
                  promise.deliver(std::move(err));
                  return;
                }
                ask_peers_for_feedback(self, std::move(promise), std::move(peers), 0, name,
                                       std::move(f), std::move(err));
              });
      return promise;
    },
    [self](feedback_here_atom, const std::string& name, feedback& f)
      -> caf::result<feedback_receipt> {
      auto i = self->state.graphs.find(name);
      if (i == self->state.graphs.end() || !i->second.ingress)
        return make_error(errc::not_found, fmt::format("graph '{}' is not deployed here", name));
      auto promise = self->make_response_promise();
      promise.delegate(i->second.ingress, feedback_atom::value, std::move(f));
      return promise;
    },
  };
}

} // namespace hogar
