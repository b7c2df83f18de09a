// node_tuning.cpp: `hogar tune set` and `POST /v2/models/{graph}/tuning` on the node actor:
// checks the knobs against the operator's tuning block, then sets them on every replica of
// the operator, on every node (issue 10).
#include <memory>

#include <fmt/format.h>

#include "actors/countdown.hpp"
#include "actors/model_tuning.hpp"
#include "actors/node_internal.hpp"

namespace hogar::node_detail {

namespace {
constexpr auto knob_timeout = std::chrono::seconds{10};
}

caf::result<std::string> on_tune(node_ptr self, const std::string& graph, const std::string& op,
                                 const knob_request& request) {
  auto& st = self->state;
  auto g = st.graphs.find(graph);
  if (g == st.graphs.end())
    return make_error(errc::not_found, fmt::format("graph '{}' is not deployed", graph));
  auto& topo = *g->second.topo;
  std::size_t index = topo.ops.size();
  for (std::size_t i = 0; i < topo.ops.size(); ++i)
    if (topo.ops[i].spec->name == op)
      index = i;
  if (index == topo.ops.size()) {
    std::vector<std::string> names;
    for (auto& o : topo.ops)
      names.push_back(o.spec->name);
    return make_error(errc::not_found, fmt::format("graph '{}' has no operator '{}' (it has {})",
                                                   graph, op, fmt::join(names, ", ")));
  }
  // Checked here first, so that a bad request changes no replica at all.
  auto knobs = check_knobs(*topo.ops[index].spec, request.knobs);
  if (!knobs)
    return make_error(knobs.error().code, knobs.error().message);
  std::vector<caf::actor> replicas;
  for (auto& r : g->second.actors[index])
    if (r)
      replicas.push_back(r);
  if (replicas.empty())
    return make_error(errc::unavailable,
                      fmt::format("operator '{}' of graph '{}' has no live replica now", op, graph));
  struct collected {
    std::vector<std::string> lines;
    std::vector<std::string> errors;
  };
  auto out = std::make_shared<collected>();
  auto promise = self->make_response_promise<std::string>();
  auto pending = std::make_shared<countdown>();
  pending->remaining = replicas.size();
  pending->done = [out, promise, op]() mutable {
    if (!out->errors.empty())
      promise.deliver(make_error(errc::unavailable,
                                 fmt::format("operator '{}': {}", op, fmt::join(out->errors, "; "))));
    else
      promise.deliver(fmt::format("{}", fmt::join(out->lines, "\n")));
  };
  knob_request checked{*knobs, request.reason.empty() ? "hogar tune set" : request.reason};
  for (std::size_t i = 0; i < replicas.size(); ++i)
    self->request(replicas[i], knob_timeout, set_knobs_atom::value, checked)
      .then(
        [out, pending, op, i](std::string& config) {
          out->lines.push_back(fmt::format("{} replica {}: {}", op, i, config));
          pending->tick();
        },
        [out, pending](caf::error& err) {
          out->errors.push_back(message_of(err));
          pending->tick();
        });
  return promise;
}

} // namespace hogar::node_detail
