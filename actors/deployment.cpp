#include "actors/deployment.hpp"

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/operator_actor.hpp"
#include "kernels/operation.hpp"

namespace hogar {

result<std::unique_ptr<deployment>>
deployment::start(caf::actor_system& sys, std::shared_ptr<const graph::topology> topo,
                  const ingress_options& options) {
  std::unique_ptr<deployment> dep{new deployment(topo)};
  auto& ops = topo->ops;
  std::vector<std::shared_ptr<replica_set>> sets(ops.size());
  // Build every operation first, so that a bad parameter spawns nothing.
  std::vector<std::vector<std::shared_ptr<operation>>> impls(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    for (std::int64_t r = 0; r < ops[i].spec->replicas; ++r) {
      auto impl = make_operation(*ops[i].spec);
      if (!impl)
        return fail(impl.error().code,
                    fmt::format("{}: operator '{}': {}", to_string(ops[i].spec->where),
                                ops[i].spec->name, impl.error().message));
      impls[i].push_back(std::shared_ptr<operation>{std::move(*impl)});
    }
  }
  dep->replicas_.resize(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto set = std::make_shared<replica_set>();
    set->loads = std::make_shared<replica_loads>(impls[i].size());
    for (std::uint32_t r = 0; r < impls[i].size(); ++r)
      set->actors.push_back(
        sys.spawn(operator_actor, operator_init{topo, i, r, impls[i][r], set->loads}));
    dep->replicas_[i] = set->actors;
    sets[i] = std::move(set);
  }
  // Wiring goes out before the ingress exists, so it precedes every request in each mailbox.
  for (std::size_t i = 0; i < ops.size(); ++i) {
    operator_wiring wiring;
    for (auto& c : ops[i].consumers)
      wiring.consumers.push_back(sets[c.op]);
    if (ops[i].fills_cache)
      wiring.fill_target = sets[*ops[i].fills_cache];
    for (auto& replica : sets[i]->actors)
      caf::anon_send(replica, wire_atom::value, wiring);
  }
  ingress_init init;
  init.topo = topo;
  init.options = options;
  for (auto& consumers : topo->input_consumers) {
    auto& targets = init.input_targets.emplace_back();
    for (auto& c : consumers)
      targets.push_back(sets[c.op]);
  }
  init.routed.resize(topo->routed_count);
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].route_index)
      init.routed[*ops[i].route_index] = sets[i];
  dep->ingress_ = sys.spawn(ingress_actor, std::move(init));
  return dep;
}

deployment::~deployment() {
  stop();
}

void deployment::stop() {
  if (ingress_) {
    caf::anon_send_exit(ingress_, caf::exit_reason::user_shutdown);
    ingress_ = nullptr;
  }
  for (auto& replicas : replicas_)
    for (auto& replica : replicas)
      caf::anon_send_exit(replica, caf::exit_reason::user_shutdown);
  replicas_.clear();
}

std::vector<operator_stats> deployment::collect_operator_stats(caf::actor_system& sys) const {
  std::vector<operator_stats> all;
  caf::scoped_actor self{sys};
  for (auto& replicas : replicas_)
    for (auto& replica : replicas)
      self->request(replica, std::chrono::seconds(10), stats_atom::value)
        .receive([&](operator_stats& s) { all.push_back(std::move(s)); },
                 [&](caf::error&) {});
  return all;
}

ingress_stats deployment::collect_ingress_stats(caf::actor_system& sys) const {
  ingress_stats result;
  caf::scoped_actor self{sys};
  self->request(ingress_, std::chrono::seconds(10), stats_atom::value)
    .receive([&](ingress_stats& s) { result = s; }, [&](caf::error&) {});
  return result;
}

} // namespace hogar
