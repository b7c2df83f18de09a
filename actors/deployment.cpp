#include "actors/deployment.hpp"

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/operator_actor.hpp"
#include "actors/wiring.hpp"

namespace hogar {

result<std::unique_ptr<deployment>>
deployment::start(caf::actor_system& sys, std::shared_ptr<const graph::topology> topo,
                  const ingress_options& options, const operation_context& context) {
  std::unique_ptr<deployment> dep{new deployment(topo)};
  auto& ops = topo->ops;
  replica_table table(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    for (std::int64_t r = 0; r < ops[i].spec->replicas; ++r) {
      auto replica = spawn_replica(sys, topo, i, static_cast<std::uint32_t>(r), context);
      if (!replica) {
        for (auto& spawned : table)
          for (auto& actor : spawned)
            caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
        return replica.error();
      }
      table[i].push_back(std::move(*replica));
    }
  }
  dep->replicas_ = table;
  auto sets = make_replica_sets(table);
  // Wiring goes out before the ingress exists, so it precedes every request in each mailbox.
  wire_local_replicas(sys, *topo, sets);
  auto init = make_ingress_init(topo, sets, options);
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
