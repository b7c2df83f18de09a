#include "actors/wiring.hpp"

#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/operator_actor.hpp"

namespace hogar {

result<caf::actor> spawn_replica(caf::actor_system& sys,
                                 std::shared_ptr<const graph::topology> topo, std::size_t op,
                                 std::uint32_t replica, const operation_context& context) {
  auto& spec = *topo->ops[op].spec;
  auto with_graph = context;
  with_graph.graph = topo->spec;
  auto impl = make_operation(spec, with_graph);
  if (!impl)
    return fail(impl.error().code, fmt::format("{}: operator '{}': {}", to_string(spec.where),
                                               spec.name, impl.error().message));
  std::shared_ptr<operation> shared{std::move(*impl)};
  return sys.spawn(operator_actor, operator_init{std::move(topo), op, replica, std::move(shared)});
}

std::vector<std::shared_ptr<replica_set>> make_replica_sets(const replica_table& actors,
                                                            const std::vector<caf::actor>& backups) {
  std::vector<std::shared_ptr<replica_set>> sets;
  for (std::size_t op = 0; op < actors.size(); ++op) {
    auto& replicas = actors[op];
    auto set = std::make_shared<replica_set>();
    set->actors = replicas;
    if (op < backups.size())
      set->backup = backups[op];
    set->loads = std::make_shared<replica_loads>(replicas.size());
    sets.push_back(std::move(set));
  }
  return sets;
}

void wire_local_replicas(caf::actor_system& sys, const graph::topology& topo,
                         const std::vector<std::shared_ptr<replica_set>>& sets,
                         std::uint32_t epoch, const caf::actor& supervisor,
                         std::shared_ptr<replay_budget> replay) {
  for (std::size_t i = 0; i < topo.ops.size(); ++i) {
    operator_wiring wiring;
    for (auto& c : topo.ops[i].consumers)
      wiring.consumers.push_back(sets[c.op]);
    for (auto& fill : topo.ops[i].fills)
      wiring.fill_targets.push_back(sets[fill.op]);
    wiring.own = sets[i];
    wiring.epoch = epoch;
    wiring.backup = sets[i]->backup;
    wiring.supervisor = supervisor;
    wiring.replay = replay;
    for (auto& replica : sets[i]->actors)
      if (replica && replica.node() == sys.node())
        caf::anon_send(replica, wire_atom::value, wiring);
    if (auto& backup = sets[i]->backup; backup && backup.node() == sys.node()) {
      wiring.backup_role = true;
      wiring.backup = nullptr;
      caf::anon_send(backup, wire_atom::value, wiring);
    }
  }
}

ingress_init make_ingress_init(std::shared_ptr<const graph::topology> topo,
                               const std::vector<std::shared_ptr<replica_set>>& sets,
                               const ingress_options& options, std::uint32_t epoch) {
  ingress_init init;
  init.options = options;
  init.epoch = epoch;
  for (auto& consumers : topo->input_consumers) {
    auto& targets = init.input_targets.emplace_back();
    for (auto& c : consumers)
      targets.push_back(sets[c.op]);
  }
  init.routed.resize(topo->routed_count);
  for (std::size_t i = 0; i < topo->ops.size(); ++i) {
    if (topo->ops[i].route_index)
      init.routed[*topo->ops[i].route_index] = sets[i];
    if (topo->ops[i].spec->kind == "select")
      init.learners.emplace_back(i, sets[i]);
  }
  init.topo = std::move(topo);
  return init;
}

} // namespace hogar
