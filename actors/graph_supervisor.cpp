#include "actors/graph_supervisor.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/countdown.hpp"
#include "actors/errors.hpp"
#include "actors/node_log.hpp"
#include "actors/graph_description.hpp"
#include "scheduling/placement.hpp"

namespace hogar {

namespace {

using self_ptr = caf::stateful_actor<graph_supervisor_state>*;
using namespace std::chrono_literals;

constexpr auto peer_timeout = 10s;
/// How long to wait before trying again when no node could host a replacement.
constexpr auto respawn_retry = 500ms;
/// Recoveries kept for status (the total counts all).
constexpr std::size_t kept_recoveries = 32;
/// How often a stateful operator without a backup looks for a node to hold one.
constexpr auto protect_retry = 2s;

/// Supervisor -> itself: try again to give operator `op` a backup.
using protect_atom = caf::atom_constant<caf::atom("protect")>;

void log(self_ptr self, const std::string& level, const std::string& text) {
  auto& init = self->state.init;
  node_log(self, init.node_name, init.log_level, level,
           fmt::format("graph '{}': {}", init.name, text));
}

graph_description describe(self_ptr self) {
  auto d = describe_graph(*self->state.init.topo, self->state.init.model_repository);
  for (auto& p : d.problems)
    log(self, "warning", fmt::format("metadata: {}", p));
  return d;
}

/// Why the graph cannot answer now (graph_deployment::unavailable).
std::string unavailable_text(self_ptr self) {
  std::string out;
  for (auto& [op, why] : self->state.unplaceable)
    out += (out.empty() ? "" : "; ") + why;
  return out;
}

graph_deployment make_deployment(self_ptr self) {
  auto& st = self->state;
  return graph_deployment{st.init.name,
                          st.init.yaml,
                          st.init.file,
                          st.table,
                          st.placement,
                          st.description,
                          st.epoch,
                          caf::actor_cast<caf::actor>(self),
                          st.recovery,
                          st.backups,
                          unavailable_text(self)};
}

/// The alive members with a node actor to talk to (this node included), from the node actor.
void with_live_nodes(self_ptr self, std::function<void(std::vector<node_info>)> then) {
  self->request(self->state.init.node, peer_timeout, nodes_atom::value)
    .then(
      [then](std::vector<member>& view) {
        std::vector<node_info> live;
        for (auto& m : view)
          if (m.state == member_state::alive && m.info.node)
            live.push_back(m.info);
        then(std::move(live));
      },
      [self](caf::error& err) {
        log(self, "error", fmt::format("cannot read the members: {}", message_of(err)));
      });
}

/// Sends the current table and epoch to every live node. A node that does not answer is
/// declared dead by the membership soon, or gets the table when it rejoins.
void broadcast(self_ptr self) {
  with_live_nodes(self, [self](std::vector<node_info> nodes) {
    for (auto& n : nodes)
      self->request(n.node, peer_timeout, deploy_atom::value, make_deployment(self))
        .then([](deploy_atom) {},
              [self, name = n.name](caf::error& err) {
                log(self, "warning", fmt::format("node {} did not take epoch {}: {}", name,
                                                 self->state.epoch, message_of(err)));
              });
  });
}

replica_placement* placement_of(self_ptr self, std::size_t op, std::uint32_t replica,
                                bool backup = false) {
  auto& name = self->state.init.topo->ops[op].spec->name;
  for (auto& p : self->state.placement)
    if (p.op == name && p.replica == replica && p.backup == backup)
      return &p;
  return nullptr;
}

recovery_record* open_recovery(self_ptr self, std::size_t op, std::uint32_t replica,
                               bool backup = false) {
  auto& name = self->state.init.topo->ops[op].spec->name;
  for (auto& r : self->state.recovery.latest)
    if (r.op == name && r.replica == replica && r.backup == backup && r.replaced_unix_ms == 0)
      return &r;
  return nullptr;
}

/// Records a loss; the record stays open until the replacement is wired in (closed()).
void record_loss(self_ptr self, std::size_t op, std::uint32_t replica, bool backup,
                 const std::string& failed_node, const std::string& reason) {
  auto& st = self->state;
  recovery_record r;
  r.op = st.init.topo->ops[op].spec->name;
  r.replica = replica;
  r.backup = backup;
  r.failed_node = failed_node;
  r.reason = reason;
  r.detected_unix_ms = unix_ms_now();
  r.epoch = st.epoch;
  st.recovery.latest.push_back(std::move(r));
  if (st.recovery.latest.size() > kept_recoveries)
    st.recovery.latest.erase(st.recovery.latest.begin());
  ++st.recovery.total;
}

/// The replacement of a recorded loss is wired in under the current epoch.
void closed(self_ptr self, std::size_t op, std::uint32_t replica, bool backup,
            const std::string& node) {
  auto& st = self->state;
  auto* r = open_recovery(self, op, replica, backup);
  if (r == nullptr)
    return;
  r->replaced_unix_ms = unix_ms_now();
  r->new_node = node;
  r->epoch = st.epoch;
  st.recovery_times.record((r->replaced_unix_ms - r->detected_unix_ms) * 1'000'000);
  auto counts = st.recovery_times.counts();
  st.recovery.seconds_buckets.assign(counts.begin(), counts.end());
  st.recovery.seconds_sum_ns = st.recovery_times.sum_ns();
  log(self, "info", fmt::format("{} {} of '{}' replaced on node {} {} ms after the loss was "
                                "detected; epoch {}",
                                backup ? "the backup of replica" : "replica", replica, r->op,
                                node, r->replaced_unix_ms - r->detected_unix_ms, st.epoch));
}

/// The live node to host a replacement for replica `replica` of `op`: one that has the
/// operator's labels and GPUs, preferring a node without another replica of it, then the
/// node hosting the fewest replicas of the graph.
std::optional<node_info> choose_node(self_ptr self, std::size_t op,
                                     const std::vector<node_info>& nodes,
                                     const std::string& exclude = {}) {
  auto& st = self->state;
  auto& spec = *st.init.topo->ops[op].spec;
  std::optional<node_info> best;
  std::pair<std::size_t, std::size_t> best_score{SIZE_MAX, SIZE_MAX};
  for (auto& n : nodes) {
    bool fits = n.name != exclude && st.leaving.count(n.node.node()) == 0
                && n.gpus >= static_cast<std::uint32_t>(spec.placement.gpus);
    for (auto& label : spec.placement.labels)
      fits = fits && std::find(n.labels.begin(), n.labels.end(), label) != n.labels.end();
    if (!fits)
      continue;
    std::size_t same = 0, total = 0;
    for (std::size_t o = 0; o < st.table.size(); ++o)
      for (std::uint32_t r = 0; r < st.table[o].size(); ++r) {
        auto* p = placement_of(self, o, r);
        if (!st.table[o][r] || p == nullptr || p->node != n.name)
          continue;
        ++total;
        if (o == op)
          ++same;
      }
    std::pair<std::size_t, std::size_t> score{same, total};
    if (score < best_score) {
      best_score = score;
      best = n;
    }
  }
  return best;
}

void respawn(self_ptr self, std::size_t op, std::uint32_t replica);

void ensure_backup(self_ptr self, std::size_t op);

/// Asks `target` to spawn replica `replica` of `op` (its backup when `backup`). When the answer
/// comes, `wanted()` says whether the replica is still needed (the graph may have moved on
/// meanwhile): if so `take` gets it, else it is stopped. `failed` gets an error of the node.
void spawn_one(self_ptr self, std::size_t op, std::uint32_t replica, bool backup,
               const node_info& target, std::function<bool()> wanted,
               std::function<void(caf::actor)> take,
               std::function<void(const caf::error&)> failed) {
  auto& st = self->state;
  spawn_request req{st.init.name, st.init.yaml, st.init.file,
                    {replica_placement{st.init.topo->ops[op].spec->name, replica, target.name,
                                       backup}}};
  auto id = st.next_spawn++;
  st.spawning[id] = {target.name, op, replica, backup};
  self->request(target.node, peer_timeout, respawn_atom::value, std::move(req))
    .then(
      [self, id, wanted, take](std::vector<caf::actor>& actors) {
        self->state.spawning.erase(id);
        if (!wanted() || actors.size() != 1) {
          for (auto& a : actors)
            self->send_exit(a, caf::exit_reason::user_shutdown);
          return;
        }
        take(actors.front());
      },
      [self, id, failed](caf::error& err) {
        // Asked of another node already when this one was declared dead.
        if (self->state.spawning.erase(id) > 0)
          failed(err);
      });
}

/// Node `node` was declared dead: what was asked of it and is not answered is asked of
/// another node now.
void spawn_elsewhere(self_ptr self, const std::string& node) {
  auto& st = self->state;
  std::vector<graph_supervisor_state::pending_spawn> again;
  for (auto i = st.spawning.begin(); i != st.spawning.end();) {
    if (i->second.node == node) {
      again.push_back(i->second);
      i = st.spawning.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& p : again) {
    if (p.backup) {
      st.backup_pending[p.op] = false;
      ensure_backup(self, p.op);
    } else {
      respawn(self, p.op, p.replica);
    }
  }
}

/// The replacement of (op, replica) runs on `node`: wire it in under a new epoch.
void replaced(self_ptr self, std::size_t op, std::uint32_t replica, const std::string& node,
              caf::actor actor) {
  auto& st = self->state;
  self->monitor(actor);
  st.table[op][replica] = actor;
  st.unplaceable.erase(op);
  if (auto* p = placement_of(self, op, replica))
    p->node = node;
  ++st.epoch;
  closed(self, op, replica, false, node);
  broadcast(self);
  ensure_backup(self, op);
}

void respawn(self_ptr self, std::size_t op, std::uint32_t replica) {
  with_live_nodes(self, [self, op, replica](std::vector<node_info> nodes) {
    auto& st = self->state;
    if (st.table.empty() || st.table[op][replica])
      return; // replaced meanwhile, or the graph is gone
    auto& name = st.init.topo->ops[op].spec->name;
    auto target = choose_node(self, op, nodes);
    if (!target) {
      log(self, "warning", fmt::format("no live node can host replica {} of '{}' now; trying "
                                       "again in {} ms",
                                       replica, name, respawn_retry.count()));
      auto& replicas = st.table[op];
      bool none_left = std::none_of(replicas.begin(), replicas.end(),
                                    [](const caf::actor& a) { return static_cast<bool>(a); });
      if (none_left && st.unplaceable.count(op) == 0) {
        // Requests would only wait for their deadline: say so at once, on every node.
        auto& spec = *st.init.topo->ops[op].spec;
        st.unplaceable[op] = fmt::format(
          "operator '{}' has no live replica and no live node can host one (it needs labels "
          "[{}], {} GPUs); it is replaced when such a node joins",
          name, fmt::join(spec.placement.labels, ", "), spec.placement.gpus);
        ++st.epoch;
        broadcast(self);
      }
      self->delayed_send(self, respawn_retry, respawn_atom::value, op,
                         static_cast<std::uint32_t>(replica));
      return;
    }
    log(self, "info", fmt::format("spawning a replacement for replica {} of '{}' on node {}",
                                  replica, name, target->name));
    spawn_one(
      self, op, replica, false, *target,
      [self, op, replica] { return !self->state.table[op][replica]; },
      [self, op, replica, node = target->name](caf::actor actor) {
        replaced(self, op, replica, node, std::move(actor));
      },
      [self, op, replica, name, node = target->name](const caf::error& err) {
        log(self, "warning", fmt::format("node {} could not spawn replica {} of '{}': {}; "
                                         "trying again",
                                         node, replica, name, message_of(err)));
        self->delayed_send(self, respawn_retry, respawn_atom::value, op, replica);
      });
  });
}

/// A stateful operator's replica is lost and its backup lives: the backup takes its place
/// under a new epoch, then a new backup is made.
void promote(self_ptr self, std::size_t op, const std::string& reason) {
  auto& st = self->state;
  auto& name = st.init.topo->ops[op].spec->name;
  auto* p = placement_of(self, op, 0);
  auto* bp = placement_of(self, op, 0, true);
  auto failed_node = p ? p->node : std::string{"?"};
  auto backup_node = bp ? bp->node : std::string{"?"};
  record_loss(self, op, 0, false, failed_node, reason);
  st.table[op][0] = st.backups[op];
  st.backups[op] = caf::actor{};
  if (p)
    p->node = backup_node;
  std::erase_if(st.placement, [&](const replica_placement& x) { return x.op == name && x.backup; });
  ++st.epoch;
  log(self, "warning", fmt::format("lost the primary of '{}' on node {}: {}; its backup on node "
                                   "{} takes over in epoch {}",
                                   name, failed_node, reason, backup_node, st.epoch));
  closed(self, op, 0, false, backup_node);
  broadcast(self);
  ensure_backup(self, op);
}

/// A stateful operator's backup is lost: the primary serves on (unprotected) until a new one
/// is made.
void lost_backup(self_ptr self, std::size_t op, const std::string& reason) {
  auto& st = self->state;
  auto& name = st.init.topo->ops[op].spec->name;
  auto* bp = placement_of(self, op, 0, true);
  auto node = bp ? bp->node : std::string{"?"};
  record_loss(self, op, 0, true, node, reason);
  st.backups[op] = caf::actor{};
  std::erase_if(st.placement, [&](const replica_placement& x) { return x.op == name && x.backup; });
  ++st.epoch;
  log(self, "warning", fmt::format("lost the backup of '{}' on node {}: {}; epoch {}", name, node,
                                   reason, st.epoch));
  broadcast(self);
  ensure_backup(self, op);
}

/// Replica (op, replica) is lost: route around it at once, then replace it.
void lost(self_ptr self, std::size_t op, std::uint32_t replica, const std::string& reason) {
  auto& st = self->state;
  if (!st.table[op][replica])
    return; // already being recovered
  auto& name = st.init.topo->ops[op].spec->name;
  auto* p = placement_of(self, op, replica);
  if (!st.init.recovery) {
    log(self, "warning", fmt::format("lost replica {} of '{}' on node {}: {}; not replaced "
                                     "(recovery is off)",
                                     replica, name, p ? p->node : "?", reason));
    return;
  }
  if (st.backups[op])
    return promote(self, op, reason);
  if (st.init.topo->ops[op].stateful)
    log(self, "error", fmt::format("the state of '{}' is lost with its replica: it had no backup",
                                   name));
  record_loss(self, op, replica, false, p ? p->node : std::string{}, reason);
  st.table[op][replica] = caf::actor{};
  ++st.epoch;
  log(self, "warning", fmt::format("lost replica {} of '{}' on node {}: {}; epoch {} routes "
                                   "around it",
                                   replica, name, p ? p->node : "?", reason, st.epoch));
  broadcast(self);
  respawn(self, op, replica);
}

/// A stateful operator without a backup gets one, on a live node other than its primary's.
void ensure_backup(self_ptr self, std::size_t op) {
  auto& st = self->state;
  if (!st.init.recovery || !st.init.topo->ops[op].stateful || st.backups[op]
      || st.backup_pending[op] || !st.table[op][0])
    return;
  st.backup_pending[op] = true;
  with_live_nodes(self, [self, op](std::vector<node_info> nodes) {
    auto& st = self->state;
    auto& name = st.init.topo->ops[op].spec->name;
    auto* p = placement_of(self, op, 0);
    auto target = choose_node(self, op, nodes, p ? p->node : std::string{});
    if (!target || !st.table[op][0]) {
      st.backup_pending[op] = false;
      if (!st.unprotected_logged[op])
        log(self, "warning", fmt::format("'{}' runs without a backup: no other live node can "
                                         "hold one; its state is lost if its node fails",
                                         name));
      st.unprotected_logged[op] = true;
      self->delayed_send(self, protect_retry, protect_atom::value, op);
      return;
    }
    spawn_one(
      self, op, 0, true, *target,
      [self, op] {
        auto& st = self->state;
        st.backup_pending[op] = false;
        return !st.backups[op] && st.table[op][0];
      },
      [self, op, node = target->name](caf::actor actor) {
        auto& st = self->state;
        st.unprotected_logged[op] = false;
        self->monitor(actor);
        st.backups[op] = std::move(actor);
        st.placement.push_back(
          replica_placement{st.init.topo->ops[op].spec->name, 0, node, true});
        ++st.epoch;
        log(self, "info", fmt::format("'{}' has a backup on node {}; epoch {}",
                                      st.init.topo->ops[op].spec->name, node, st.epoch));
        closed(self, op, 0, true, node);
        broadcast(self);
      },
      [self, op](const caf::error&) {
        self->state.backup_pending[op] = false;
        self->delayed_send(self, protect_retry, protect_atom::value, op);
      });
  });
}

struct found_replica {
  std::size_t op = 0;
  std::uint32_t replica = 0;
  bool backup = false;
};

/// Which replica (or backup) the actor at `addr` is, if the table lists it.
std::optional<found_replica> find_replica(self_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  for (std::size_t op = 0; op < st.table.size(); ++op) {
    for (std::uint32_t r = 0; r < st.table[op].size(); ++r)
      if (st.table[op][r] && st.table[op][r].address() == addr)
        return found_replica{op, r, false};
    if (op < st.backups.size() && st.backups[op] && st.backups[op].address() == addr)
      return found_replica{op, 0, true};
  }
  return std::nullopt;
}

std::string describe_exit(const caf::error& reason, const std::string& node) {
  if (reason == caf::exit_reason::remote_link_unreachable)
    return fmt::format("the connection to node {} was lost", node);
  if (reason == caf::exit_reason::user_shutdown)
    return "it was stopped (its node is shutting down)";
  return fmt::format("it crashed: {}", message_of(reason));
}

// -- deploying -----------------------------------------------------------------------------

/// Places the graph, spawns its replicas on their nodes, wires every node, then opens it
/// everywhere.
caf::result<graph_summary> place(self_ptr self) {
  auto promise = self->make_response_promise<graph_summary>();
  with_live_nodes(self, [self, promise](std::vector<node_info> nodes) mutable {
    auto& st = self->state;
    auto& topo = *st.init.topo;
    auto& name = st.init.name;
    // This node first: ties in placement go to it.
    std::stable_partition(nodes.begin(), nodes.end(), [self](const node_info& n) {
      return n.name == self->state.init.node_name;
    });
    std::vector<scheduling::node_capacity> capacity;
    for (auto& n : nodes)
      capacity.push_back({n.name, n.cpu_threads, n.gpus, n.labels});
    std::vector<scheduling::replica_demand> demands;
    for (auto& op : topo.ops)
      demands.push_back({op.spec->name, static_cast<std::uint32_t>(op.spec->replicas),
                         static_cast<std::uint32_t>(op.spec->placement.gpus),
                         op.spec->placement.labels});
    auto placed = scheduling::place(capacity, demands);
    if (!placed) {
      promise.deliver(make_error(errc::unavailable,
                                 fmt::format("graph '{}' cannot be placed: {}", name,
                                             placed.error().message)));
      self->quit();
      return;
    }
    // Group replicas by node, remembering where each answer goes in the table.
    st.table.assign(topo.ops.size(), {});
    st.backups.assign(topo.ops.size(), caf::actor{});
    st.backup_pending.assign(topo.ops.size(), false);
    st.unprotected_logged.assign(topo.ops.size(), false);
    std::map<std::size_t, std::vector<replica_placement>> by_node;
    std::map<std::size_t, std::vector<std::pair<std::size_t, std::uint32_t>>> slots_by_node;
    for (std::size_t op = 0; op < placed->size(); ++op) {
      st.table[op].resize((*placed)[op].size());
      for (std::uint32_t r = 0; r < (*placed)[op].size(); ++r) {
        auto n = (*placed)[op][r];
        replica_placement p{topo.ops[op].spec->name, r, nodes[n].name};
        by_node[n].push_back(p);
        slots_by_node[n].emplace_back(op, r);
        st.placement.push_back(p);
      }
    }
    auto failed = std::make_shared<bool>(false);
    auto fail = [self, promise, failed, nodes](const caf::error& err) mutable {
      if (*failed)
        return;
      *failed = true;
      self->state.abort_deploy = nullptr;
      for (auto& replicas : self->state.table)
        for (auto& a : replicas)
          if (a)
            self->send_exit(a, caf::exit_reason::user_shutdown);
      // Every node forgets what it holds of the graph, also one that answers late (a node
      // that hung spawns its replicas when it resumes, then this): a later submit finds none.
      for (auto& n : nodes)
        self->send(n.node, undeploy_atom::value, self->state.init.name);
      promise.deliver(make_error(code_of(err),
                                 fmt::format("graph '{}' was not deployed: {}",
                                             self->state.init.name, message_of(err))));
      self->quit();
    };
    auto open_everywhere = [self, promise, failed, nodes, fail]() mutable {
      if (*failed)
        return;
      auto& st = self->state;
      for (auto& replicas : st.table)
        for (auto& a : replicas)
          self->monitor(a);
      // Once, here, for every node: the replicas spawned on this node hold their models now.
      st.description = describe(self);
      // Phase 2: every node wires the graph; phase 3 (after all wired): open it.
      auto wired = std::make_shared<countdown>();
      wired->remaining = nodes.size();
      wired->done = [self, promise, failed, nodes]() mutable {
        if (*failed)
          return;
        auto& st = self->state;
        st.open = true;
        st.abort_deploy = nullptr;
        for (std::size_t op = 0; op < st.table.size(); ++op)
          ensure_backup(self, op);
        for (auto& n : nodes)
          self->send(n.node, open_atom::value, st.init.name);
        graph_summary s;
        s.name = st.init.name;
        s.file = st.init.file;
        s.placement = st.placement;
        s.replicas = static_cast<std::uint32_t>(st.placement.size());
        s.operators = static_cast<std::uint32_t>(st.table.size());
        promise.deliver(std::move(s));
      };
      for (auto& n : nodes)
        self->request(n.node, peer_timeout, deploy_atom::value, make_deployment(self))
          .then([wired](deploy_atom) { wired->tick(); },
                [fail](caf::error& err) mutable { fail(err); });
    };
    st.abort_deploy = fail;
    // Phase 1: every hosting node spawns its replicas.
    auto spawned = std::make_shared<countdown>();
    spawned->remaining = by_node.size();
    spawned->done = open_everywhere;
    for (auto& [n, replicas] : by_node) {
      auto slots = slots_by_node[n];
      self->request(nodes[n].node, peer_timeout, spawn_atom::value,
                    spawn_request{name, st.init.yaml, st.init.file, replicas})
        .then(
          [self, spawned, slots](std::vector<caf::actor>& actors) {
            for (std::size_t k = 0; k < actors.size() && k < slots.size(); ++k)
              self->state.table[slots[k].first][slots[k].second] = actors[k];
            spawned->tick();
          },
          [fail](caf::error& err) mutable { fail(err); });
    }
    log(self, "info", fmt::format("placing {} replicas on {} nodes", st.placement.size(),
                                  by_node.size()));
  });
  return promise;
}

/// Takes over a graph from a supervisor that stopped: its table, placement and recoveries,
/// one epoch later; replicas lost with the old supervisor's node are found by the monitors
/// (a monitor on an actor that is already gone reports it at once).
void adopt(self_ptr self, graph_deployment& d) {
  auto& st = self->state;
  auto ops = st.init.topo->ops.size();
  st.table = std::move(d.actors);
  st.table.resize(ops);
  st.backups = std::move(d.backups);
  st.backups.resize(ops);
  st.backup_pending.assign(ops, false);
  st.unprotected_logged.assign(ops, false);
  st.placement = std::move(d.placement);
  st.description = std::move(d.description);
  st.recovery = std::move(d.recovery);
  st.epoch = d.epoch + 1;
  st.open = true;
  log(self, "warning", fmt::format("supervising from this node from epoch {}", st.epoch));
  broadcast(self);
  for (auto& replicas : st.table)
    for (auto& a : replicas)
      if (a)
        self->monitor(a);
  for (std::size_t op = 0; op < ops; ++op) {
    if (st.backups[op])
      self->monitor(st.backups[op]);
    for (std::uint32_t r = 0; r < st.table[op].size(); ++r)
      if (!st.table[op][r])
        respawn(self, op, r); // lost before the old supervisor replaced it
    ensure_backup(self, op);
  }
}

} // namespace

caf::behavior graph_supervisor(caf::stateful_actor<graph_supervisor_state>* self,
                               supervisor_init init) {
  self->state.init = std::move(init);
  if (self->state.init.adopt) {
    auto d = std::move(*self->state.init.adopt);
    self->state.init.adopt.reset();
    adopt(self, d);
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto found = find_replica(self, msg.source);
    if (!found)
      return; // a stale replica already replaced, or the graph is going away
    auto [op, replica, backup] = *found;
    auto* p = placement_of(self, op, replica, backup);
    auto reason = describe_exit(msg.reason, p ? p->node : std::string{"?"});
    if (msg.reason == caf::exit_reason::user_shutdown)
      st.leaving.insert(msg.source.node());
    if (backup) {
      lost_backup(self, op, reason);
      return;
    }
    if (!st.open) {
      // A kill during deployment: the deployment fails with what was lost.
      st.table[op][replica] = caf::actor{};
      if (auto abort = st.abort_deploy)
        abort(make_error(errc::unavailable,
                         fmt::format("replica {} of '{}' was lost during deployment: {}",
                                     replica, st.init.topo->ops[op].spec->name, reason)));
      return;
    }
    lost(self, op, replica, reason);
  });
  return {
    [self](place_atom) { return place(self); },
    [self](member_down_atom, const std::string& node) {
      auto& st = self->state;
      auto reason = fmt::format("node {} was declared dead (heartbeats missed or its "
                                "connection lost)",
                                node);
      if (!st.open) {
        // A node lost during deployment: the deployment fails at once, not at the timeout of
        // the request the node will never answer.
        bool hosts = std::any_of(st.placement.begin(), st.placement.end(),
                                 [&](const replica_placement& p) { return p.node == node; });
        if (auto abort = st.abort_deploy; abort && hosts)
          abort(make_error(errc::unavailable, fmt::format("{} during the deployment", reason)));
        return;
      }
      for (std::size_t op = 0; op < st.table.size(); ++op) {
        auto* bp = placement_of(self, op, 0, true);
        if (st.backups[op] && bp && bp->node == node)
          lost_backup(self, op, reason);
        for (std::uint32_t r = 0; r < st.table[op].size(); ++r) {
          auto* p = placement_of(self, op, r);
          if (st.table[op][r] && p && p->node == node)
            lost(self, op, r, reason);
        }
      }
      spawn_elsewhere(self, node);
    },
    [self](protect_atom, std::size_t op) { ensure_backup(self, op); },
    [self](first_atom, std::uint64_t op, std::uint32_t replica, std::int64_t unix_ms) {
      // The first answer of a replacement (or of a promoted backup) closes its recovery as
      // clients see it; other replicas' first answers match no record.
      auto& st = self->state;
      auto sender = self->current_sender();
      if (op >= st.table.size() || replica >= st.table[op].size() || !sender
          || !st.table[op][replica] || st.table[op][replica].address() != sender->address())
        return;
      auto& name = st.init.topo->ops[op].spec->name;
      for (auto r = st.recovery.latest.rbegin(); r != st.recovery.latest.rend(); ++r)
        if (r->op == name && r->replica == replica && !r->backup && r->replaced_unix_ms != 0) {
          if (r->first_answer_unix_ms == 0) {
            r->first_answer_unix_ms = unix_ms;
            log(self, "info", fmt::format("the replacement of replica {} of '{}' answered its "
                                          "first request {} ms after the loss was detected",
                                          replica, name, unix_ms - r->detected_unix_ms));
            broadcast(self); // same epoch: only the records change
          }
          break;
        }
    },
    [self](respawn_atom, std::size_t op, std::uint32_t replica) { respawn(self, op, replica); },
  };
}

} // namespace hogar
