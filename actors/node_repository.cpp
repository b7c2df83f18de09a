// node_repository.cpp: the node actor's model repository: the index of what it holds, loading
// and unloading models, and reloading the graphs that serve one (on this node, or on every
// node). kernels/onnx/model_repository.hpp reads the directory itself.
#include <algorithm>
#include <chrono>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <fmt/format.h>

#include "actors/countdown.hpp"
#include "actors/graph_description.hpp"
#include "actors/model_batching.hpp"
#include "actors/node_internal.hpp"
#include "actors/operator_actor.hpp"
#include "kernels/onnx/model_repository.hpp"
#include "kernels/onnx/model_store.hpp"

namespace hogar::node_detail {

using self_ptr = node_ptr;
using namespace std::chrono_literals;

namespace {

/// Loading a large model (parsing it, building executors) can take a while on each node.
constexpr auto reload_timeout = 120s;

/// The repository model a model operator serves, or empty for other operators.
std::string model_of(const graph::operator_spec& spec) {
  if (spec.kind != "model")
    return {};
  auto* name = spec.find_param("model");
  auto* text = name ? std::get_if<std::string>(name) : nullptr;
  return text ? *text : std::string{};
}

/// Graphs on this node whose model operators serve `model`.
std::vector<std::string> graphs_using(self_ptr self, const std::string& model) {
  std::vector<std::string> names;
  for (auto& [name, g] : self->state.graphs)
    for (auto& op : g.topo->ops)
      if (model_of(*op.spec) == model) {
        names.push_back(name);
        break;
      }
  return names;
}

/// Whether graph `name` is the model's own graph (made by repo_load).
bool is_model_graph(const hosted_graph& g, const std::string& model) {
  return g.file == onnx::model_graph_file(model);
}

/// The graphs here that serve `model` describe it again: a reload may serve other versions,
/// whose outputs may differ.
void refresh_descriptions(self_ptr self, const std::string& model) {
  for (auto& name : graphs_using(self, model)) {
    auto i = self->state.graphs.find(name);
    if (i != self->state.graphs.end())
      i->second.description = describe(self, name, *i->second.topo);
  }
}

/// Every model operator replica on this node that serves `model` reads the repository again.
} // namespace

caf::result<std::vector<repository_entry>> on_repo_index(self_ptr self) {
  auto& st = self->state;
  onnx::model_repository repo{st.cfg.options.model_repository};
  std::vector<std::string> problems;
  std::vector<repository_entry> out;
  for (auto& m : repo.index(&problems)) {
    repository_entry e;
    e.name = m.name;
    e.versions = m.versions;
    e.used_by = graphs_using(self, m.name);
    auto own = st.graphs.find(m.name);
    bool loaded = own != st.graphs.end() && is_model_graph(own->second, m.name);
    // A model that a graph here serves is ready: requests through that graph reach it.
    std::vector<std::string> inside;
    for (auto& g : e.used_by)
      if (!loaded || g != m.name)
        inside.push_back(g);
    e.state = loaded || !inside.empty() ? "READY" : "UNAVAILABLE";
    if (!inside.empty())
      e.reason = fmt::format("served in graph{} {}{}", inside.size() == 1 ? "" : "s",
                             fmt::join(inside, ", "), loaded ? " and on its own" : "");
    else if (!loaded)
      e.reason = m.versions.empty() ? "no version folder with a model.onnx" : "not loaded";
    for (auto& p : problems)
      if (p.find("/" + m.name + "/") != std::string::npos)
        e.reason = p;
    out.push_back(std::move(e));
  }
  return out;
}

caf::result<std::vector<std::string>> on_local_reload(self_ptr self, const std::string& model) {
  auto& st = self->state;
  std::vector<caf::actor> replicas;
  for (auto& [name, g] : st.graphs)
    for (std::size_t op = 0; op < g.topo->ops.size(); ++op)
      if (model_of(*g.topo->ops[op].spec) == model)
        for (auto& replica : g.actors[op])
          if (replica && replica.node() == self->node())
            replicas.push_back(replica);
  if (replicas.empty()) {
    refresh_descriptions(self, model);
    return std::vector<std::string>{};
  }
  struct collected {
    std::vector<std::string> lines;
    std::vector<std::string> errors;
  };
  auto out = std::make_shared<collected>();
  auto promise = self->make_response_promise<std::vector<std::string>>();
  auto node_name = st.cfg.options.name;
  auto pending = std::make_shared<countdown>();
  pending->remaining = replicas.size();
  pending->done = [self, model, out, promise, node_name]() mutable {
    refresh_descriptions(self, model);
    if (out->errors.empty())
      promise.deliver(std::move(out->lines));
    else
      promise.deliver(make_error(errc::unavailable,
                                 fmt::format("on node {}: {}", node_name,
                                             fmt::join(out->errors, "; "))));
  };
  for (auto& replica : replicas)
    self->request(replica, reload_timeout, reload_atom::value)
      .then(
        [out, pending, node_name](std::string& line) {
          out->lines.push_back(fmt::format("{}: {}", node_name, line));
          pending->tick();
        },
        [out, pending](caf::error& err) {
          out->errors.push_back(message_of(err));
          pending->tick();
        });
  return promise;
}

/// Hot swap of `model` on every live node: each reloads its replicas; the answer lists what
/// every replica serves now, or the replicas that could not load the new versions (they keep
/// serving the old ones).
caf::result<std::string> on_model_reload(self_ptr self, const std::string& model) {
  auto& st = self->state;
  std::vector<caf::actor> nodes{caf::actor_cast<caf::actor>(self)};
  for (auto& peer : st.members->live_peers())
    if (peer.node)
      nodes.push_back(peer.node);
  struct collected {
    std::vector<std::string> lines;
    std::vector<std::string> errors;
  };
  auto out = std::make_shared<collected>();
  auto promise = self->make_response_promise<std::string>();
  auto pending = std::make_shared<countdown>();
  pending->remaining = nodes.size();
  pending->done = [out, promise, model]() mutable {
    if (!out->errors.empty())
      promise.deliver(make_error(errc::unavailable,
                                 fmt::format("model '{}': reload failed {}; replicas that could "
                                             "not load it keep serving their versions{}",
                                             model, fmt::join(out->errors, "; "),
                                             out->lines.empty() ? std::string{}
                                                                : fmt::format(" (reloaded: {})",
                                                                              fmt::join(out->lines, "; ")))));
    else if (out->lines.empty())
      promise.deliver(make_error(errc::not_found,
                                 fmt::format("no graph serves model '{}'; load it first (hogar "
                                             "model load {})",
                                             model, model)));
    else
      promise.deliver(fmt::format("{}", fmt::join(out->lines, "\n")));
  };
  for (auto& node : nodes)
    self->request(node, reload_timeout, local_reload_atom::value, model)
      .then(
        [out, pending](std::vector<std::string>& lines) {
          out->lines.insert(out->lines.end(), lines.begin(), lines.end());
          pending->tick();
        },
        [out, pending](caf::error& err) {
          out->errors.push_back(message_of(err));
          pending->tick();
        });
  return promise;
}

/// Serves a repository model on its own: deploys a graph named after it (or, when that graph
/// exists, reloads the model everywhere: KServe's load of a loaded model).
caf::result<std::string> on_repo_load(self_ptr self, const std::string& model) {
  auto& st = self->state;
  auto own = st.graphs.find(model);
  if (own != st.graphs.end()) {
    if (!is_model_graph(own->second, model))
      return make_error(errc::invalid_argument,
                        fmt::format("graph '{}' is deployed and is not model '{}' served on its "
                                    "own; remove it first, or reload the model with hogar model "
                                    "reload {}",
                                    model, model, model));
    return on_model_reload(self, model);
  }
  onnx::model_repository repo{st.cfg.options.model_repository};
  auto found = repo.find(model);
  if (!found)
    return make_error(found.error());
  auto served = onnx::model_repository::served(*found);
  if (!served)
    return make_error(served.error());
  auto graph = onnx::load_shared(served->front().path);
  if (!graph)
    return make_error(graph.error());
  auto yaml = onnx::model_graph_yaml(*found, (*graph)->inputs, (*graph)->outputs);
  if (!yaml)
    return make_error(yaml.error());
  auto promise = self->make_response_promise<std::string>();
  std::vector<std::string> versions;
  for (auto& v : *served)
    versions.push_back(std::to_string(v.version));
  auto summary = fmt::format("model '{}' loaded: versions {} served at /v2/models/{}", model,
                             fmt::join(versions, ", "), model);
  self->request(caf::actor_cast<caf::actor>(self), reload_timeout, submit_atom::value, *yaml,
                onnx::model_graph_file(model))
    .then([promise, summary](graph_summary& s) mutable {
            promise.deliver(fmt::format("{} ({} replica{})", summary, s.replicas,
                                        s.replicas == 1 ? "" : "s"));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

caf::result<std::string> on_repo_unload(self_ptr self, const std::string& model) {
  auto& st = self->state;
  auto own = st.graphs.find(model);
  if (own == st.graphs.end())
    return make_error(errc::not_found, fmt::format("model '{}' is not loaded", model));
  if (!is_model_graph(own->second, model))
    return make_error(errc::invalid_argument,
                      fmt::format("graph '{}' is not model '{}' served on its own; stop it with "
                                  "hogar remove {}",
                                  model, model, model));
  auto promise = self->make_response_promise<std::string>();
  self->request(caf::actor_cast<caf::actor>(self), peer_timeout, remove_atom::value, model)
    .then([promise, model](graph_summary&) mutable {
            promise.deliver(fmt::format("model '{}' unloaded", model));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

} // namespace hogar::node_detail
