// node_internal.hpp: what the parts of the node actor share. actors/node_actor.cpp hosts the
// graphs (deploy, rewire, status, drain) and holds the behavior; node_membership.cpp joins the
// cluster, sends heartbeats and keeps connections; node_repository.cpp serves the model
// repository (index, load, unload, reload). Not for use outside the node actor.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "actors/errors.hpp"
#include "actors/node_actor.hpp"

namespace hogar::node_detail {

using node_ptr = caf::stateful_actor<node_state>*;

/// How long a request to another node may take before it counts as failed.
inline constexpr std::chrono::seconds peer_timeout{10};

void log(node_ptr self, const std::string& level, const std::string& text);

/// Runs a request's handler; what it throws becomes that request's error instead of ending the
/// node actor, on which the whole daemon stands (a file system call on a name a client sent
/// used to throw "Is a directory" and leave the node answering nothing, issue 8).
template <class F>
auto guarded(node_ptr self, std::string_view what, F&& handler) -> decltype(handler()) {
  try {
    return handler();
  } catch (const std::exception& e) {
    log(self, "error", fmt::format("{} failed: {}", what, e.what()));
    return make_error(errc::internal, fmt::format("{} failed: {}", what, e.what()));
  }
}

// -- graphs (node_actor.cpp) ---------------------------------------------------------------

/// describe_graph, with what could not be inferred logged.
graph_description describe(node_ptr self, const std::string& name, const graph::topology& topo);

/// A hosted graph as the deployment every node holds: what a joining member is sent and what
/// a node taking over a supervisor starts from.
graph_deployment deployment_of(const std::string& name, const hosted_graph& g);

// -- membership (node_membership.cpp) ------------------------------------------------------

/// A member was heard from (a join or a heartbeat), and the members another one knows of.
void on_heard(node_ptr self, const node_info& info);
void on_view(node_ptr self, const std::vector<member>& view);

/// Stamps members whose state changed since the last look with the time (member_since).
void note_member_states(node_ptr self);

/// Tells the graph supervisors of this node about members newly declared dead.
void report_dead_members(node_ptr self);

/// Every heartbeat interval: ages the members, sends heartbeats, reconnects.
void on_tick(node_ptr self);

// -- the model repository (node_repository.cpp) --------------------------------------------

caf::result<std::vector<repository_entry>> on_repo_index(node_ptr self);
caf::result<std::string> on_repo_load(node_ptr self, const std::string& model);
caf::result<std::string> on_repo_unload(node_ptr self, const std::string& model);
/// Reloads `model` in every graph that serves it, on every node.
caf::result<std::string> on_model_reload(node_ptr self, const std::string& model);
/// The same on this node only.
caf::result<std::vector<std::string>> on_local_reload(node_ptr self, const std::string& model);

// -- live knobs (node_tuning.cpp) ----------------------------------------------------------

/// Sets knobs of operator `op` of `graph` on every replica: one line per replica with the
/// configuration in force, or the error naming the operator and knob.
caf::result<std::string> on_tune(node_ptr self, const std::string& graph, const std::string& op,
                                 const knob_request& request);

} // namespace hogar::node_detail
