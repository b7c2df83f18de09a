#include "actors/node_backend.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/errors.hpp"
#include "actors/metrics.hpp"

namespace hogar {

namespace {

constexpr auto ask_timeout = std::chrono::seconds(5);

/// A blocking question to the node (metadata, metrics): nullopt when it does not answer.
template <class Answer, class... Ts>
std::optional<Answer> ask(caf::actor_system& sys, const caf::actor& node, Ts&&... xs) {
  caf::scoped_actor self{sys};
  std::optional<Answer> answer;
  self->request(node, ask_timeout, std::forward<Ts>(xs)...)
    .receive([&](Answer& a) { answer = std::move(a); }, [&](caf::error&) {});
  return answer;
}

} // namespace

node_backend::node_backend(caf::actor_system& sys, caf::actor node)
  : sys_(sys), node_(std::move(node)) {
}

bool node_backend::live() {
  return true;
}

bool node_backend::ready() {
  return ask<std::vector<member>>(sys_, node_, nodes_atom::value).has_value();
}

std::vector<std::string> node_backend::graphs() {
  std::vector<std::string> names;
  if (auto list = ask<std::vector<graph_summary>>(sys_, node_, list_atom::value))
    for (auto& g : *list)
      names.push_back(g.name);
  return names;
}

std::optional<http::model_metadata> node_backend::metadata(const std::string& graph) {
  auto status = ask<graph_snapshot>(sys_, node_, status_atom::value, graph);
  if (!status)
    return std::nullopt;
  http::model_metadata meta;
  meta.name = graph;
  meta.versions = {"1"};
  for (auto& in : status->inputs)
    meta.inputs.push_back({in.name, in.datatype, in.shape});
  // Output types are only known once a request ran; KServe clients read the names.
  for (auto& out : status->outputs)
    meta.outputs.push_back({out, "", {-1}});
  // A graph this node reports on is open here: its ingress answered the status query.
  meta.ready = true;
  return meta;
}

void node_backend::infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
                         std::function<void(http::infer_outcome)> done) {
  // The ingress answers every accepted request itself; this guard only covers a node that
  // is gone.
  auto guard = std::chrono::milliseconds(timeout_ms > 0 ? 2 * timeout_ms + 5000 : 600'000);
  sys_.spawn([node = node_, graph, guard, timeout_ms, inputs = std::move(inputs),
              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(node, guard, infer_atom::value, graph,
                  infer_request{std::move(inputs), timeout_ms})
      .then(
        [done](infer_reply& reply) {
          http::infer_outcome out;
          out.outputs = std::move(reply.outputs);
          out.request_id = reply.id;
          out.served = std::move(reply.served);
          done(std::move(out));
        },
        [done](caf::error& err) {
          http::infer_outcome out;
          out.error = error_info{code_of(err), message_of(err)};
          done(std::move(out));
        });
  });
}

namespace {

/// Asks the node without blocking the caller: a short-lived actor sends the request and hands
/// the answer (or the error) to `done`. Repository operations load models: minutes at most.
template <class Answer, class... Ts>
void ask_async(caf::actor_system& sys, const caf::actor& node,
               std::function<void(result<Answer>)> done, Ts... xs) {
  sys.spawn([node, done = std::move(done), xs...](caf::event_based_actor* self) mutable {
    self->request(node, std::chrono::minutes(5), xs...)
      .then([done](Answer& a) { done(std::move(a)); },
            [done](caf::error& err) { done(error_info{code_of(err), message_of(err)}); });
  });
}

} // namespace

void node_backend::repository_index(
  std::function<void(result<std::vector<http::repository_model_entry>>)> done) {
  ask_async<std::vector<repository_entry>>(
    sys_, node_,
    [done = std::move(done)](result<std::vector<repository_entry>> entries) {
      if (!entries)
        return done(entries.error());
      std::vector<http::repository_model_entry> out;
      for (auto& e : *entries)
        out.push_back({e.name, e.versions.empty() ? std::string{} : std::to_string(e.versions.back()),
                       e.state, e.reason});
      done(std::move(out));
    },
    repo_index_atom::value);
}

void node_backend::repository_load(const std::string& model,
                                   std::function<void(result<std::string>)> done) {
  ask_async<std::string>(sys_, node_, std::move(done), repo_load_atom::value, model);
}

void node_backend::repository_unload(const std::string& model,
                                     std::function<void(result<std::string>)> done) {
  ask_async<std::string>(sys_, node_, std::move(done), repo_unload_atom::value, model);
}

std::string node_backend::metrics_text() {
  auto snap = ask<cluster_snapshot>(sys_, node_, snapshot_atom::value);
  return snap ? prometheus_text(*snap) : std::string{"# the node did not answer\n"};
}

std::string node_backend::snapshot_json() {
  auto snap = ask<cluster_snapshot>(sys_, node_, snapshot_atom::value);
  return snap ? to_json(*snap).dump() : std::string{"{\"error\": \"the node did not answer\"}"};
}

} // namespace hogar
