// deployment.hpp: one graph running inside this process: an actor per operator replica, one
// ingress, and the wiring between them.
//
// Who owns what: the deployment owns the actor handles; actors hold shared, read-only replica
// sets of their consumers. stop() (or the destructor) sends every actor an exit message, which
// also breaks the reference cycle a cache and its `fill_from` operator form.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/ingress.hpp"
#include "actors/messages.hpp"
#include "graph/topology.hpp"
#include "kernels/operation.hpp"
#include "base/result.hpp"

namespace hogar {

class deployment {
public:
  /// Spawns and wires the actors of a validated graph; an error names the operator whose
  /// operation could not be built. `context` is what operations are built with (the model
  /// repository).
  static result<std::unique_ptr<deployment>>
  start(caf::actor_system& sys, std::shared_ptr<const graph::topology> topo,
        const ingress_options& options = {}, const operation_context& context = {});

  deployment(const deployment&) = delete;
  deployment& operator=(const deployment&) = delete;
  ~deployment();

  /// Where requests go: (infer_atom, infer_request) -> infer_reply.
  const caf::actor& ingress() const noexcept { return ingress_; }

  const graph::topology& topology() const noexcept { return *topo_; }

  /// Every replica of operator `op` (index into topology().ops).
  const std::vector<caf::actor>& replicas(std::size_t op) const { return replicas_[op]; }

  /// Statistics of every replica, in operator order (blocks on each actor's answer).
  std::vector<operator_stats> collect_operator_stats(caf::actor_system& sys) const;
  ingress_stats collect_ingress_stats(caf::actor_system& sys) const;

  /// Stops every actor; requests still in flight are answered with an error.
  void stop();

private:
  explicit deployment(std::shared_ptr<const graph::topology> topo) : topo_(std::move(topo)) {}

  std::shared_ptr<const graph::topology> topo_;
  std::vector<std::vector<caf::actor>> replicas_;
  caf::actor ingress_;
};

} // namespace hogar
