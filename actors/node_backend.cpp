#include "actors/node_backend.hpp"

#include <algorithm>
#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <nlohmann/json.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/errors.hpp"
#include "actors/metrics.hpp"
#include "kernels/onnx/model_repository.hpp"

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
  caf::actor_cast<caf::abstract_actor*>(node_)->attach_functor(
    [alive = node_alive_] { alive->store(false); });
}

bool node_backend::live() {
  return node_alive_->load();
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

namespace {

http::tensor_metadata to_http(const tensor_decl& t) {
  return {t.name, t.datatype, t.shape};
}

/// The model operator of a model served on its own (its graph's file marks it), or null.
const model_operator_info* own_model(const graph_metadata& g) {
  if (g.file != onnx::model_graph_file(g.name))
    return nullptr;
  for (auto& m : g.description.models)
    if (m.op == g.name && m.problem.empty())
      return &m;
  return nullptr;
}

/// The JSON text of a model operator's details, for the configuration's "parameters".
std::string operator_details(const operator_config& op, const model_operator_info* model) {
  nlohmann::json j{{"kind", op.kind},
                   {"replicas", op.replicas},
                   {"instances", op.instances},
                   {"device", op.device}};
  if (!op.batching_policy.empty())
    j["batching"] = {{"policy", op.batching_policy},
                     {"max_batch_size", op.max_batch_size},
                     {"max_queue_delay_microseconds", op.max_queue_delay_us}};
  if (model) {
    j["model"] = model->model;
    j["versions"] = model->versions;
    j["version_policy"] = model->version_policy;
    if (!model->policy_versions.empty())
      j["policy_versions"] = model->policy_versions;
    if (!model->problem.empty())
      j["problem"] = model->problem;
  }
  return j.dump();
}

} // namespace

std::optional<http::model_metadata> node_backend::metadata(const std::string& graph) {
  auto g = ask<graph_metadata>(sys_, node_, metadata_atom::value, graph);
  if (!g)
    return std::nullopt;
  http::model_metadata meta;
  meta.name = graph;
  // A model served on its own lists the versions it serves; any other graph has one.
  if (auto* own = own_model(*g))
    for (auto v : own->versions)
      meta.versions.push_back(std::to_string(v));
  if (meta.versions.empty())
    meta.versions = {"1"};
  for (auto& in : g->inputs)
    meta.inputs.push_back(to_http(in));
  for (auto& out : g->description.outputs)
    meta.outputs.push_back(to_http(out));
  meta.uninferred_outputs = g->description.uninferred_outputs;
  meta.ready = g->open;
  return meta;
}

void node_backend::infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
                         std::string client_id, std::function<void(http::infer_outcome)> done) {
  // The ingress answers every accepted request itself; this guard only covers a node that
  // is gone. Capped at two days, so that now + guard cannot overflow the clock.
  constexpr std::int64_t guard_max_ms = 2 * 86'400'000;
  auto guard = std::chrono::milliseconds(
    timeout_ms > 0 ? std::min(timeout_ms, guard_max_ms / 2) * 2 + 5000 : 600'000);
  sys_.spawn([node = node_, graph, guard, timeout_ms, inputs = std::move(inputs),
              client_id = std::move(client_id),
              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(node, guard, infer_atom::value, graph,
                  infer_request{std::move(inputs), timeout_ms, std::move(client_id)})
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

void node_backend::feedback(const std::string& graph, http::feedback_request request,
                            std::function<void(result<http::feedback_result>)> done) {
  hogar::feedback f;
  f.id = std::move(request.id);
  f.has_label = request.label.has_value();
  f.label = request.label.value_or(0);
  f.output = std::move(request.output);
  f.expected = std::move(request.expected);
  sys_.spawn([node = node_, graph, f = std::move(f),
              done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(node, std::chrono::seconds(30), feedback_atom::value, graph, std::move(f))
      .then(
        [done](feedback_receipt& r) {
          http::feedback_result out;
          out.id = std::move(r.id);
          if (r.has_label) {
            out.predicted = r.predicted;
            out.correct = r.correct;
          } else {
            out.mean_absolute_error = r.error;
          }
          out.served = std::move(r.served);
          done(std::move(out));
        },
        [done](caf::error& err) { done(error_info{code_of(err), message_of(err)}); });
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

namespace {

http::duration_stat stat(std::uint64_t count, std::int64_t ns) {
  return {count, ns};
}

/// Adds one model version's figures from one replica to its entry.
void add_version(http::model_statistics& e, const model_version_stats& s) {
  e.last_inference_ms = std::max(e.last_inference_ms, s.last_inference_unix_ms);
  e.inference_count += s.inference_count;
  e.execution_count += s.execution_count;
  auto add = [](http::duration_stat& d, std::uint64_t count, std::int64_t ns) {
    d.count += count;
    d.ns += ns;
  };
  add(e.success, s.success, s.success_ns);
  add(e.fail, s.fail, s.fail_ns);
  add(e.queue, s.queued, s.queue_ns);
  // Per successful request, as Triton counts them.
  add(e.compute_input, s.success, s.compute_input_ns);
  add(e.compute_infer, s.success, s.compute_infer_ns);
  add(e.compute_output, s.success, s.compute_output_ns);
  for (auto& b : s.batches) {
    auto at = std::find_if(e.batches.begin(), e.batches.end(),
                           [&](auto& x) { return x.batch_size >= b.batch_size; });
    if (at == e.batches.end() || at->batch_size != b.batch_size)
      at = e.batches.insert(at, http::model_statistics::batch{b.batch_size, {}, {}, {}});
    add(at->compute_input, b.count, b.compute_input_ns);
    add(at->compute_infer, b.count, b.compute_infer_ns);
    add(at->compute_output, b.count, b.compute_output_ns);
  }
}

/// Triton's statistics entries of one graph:
///  - the graph itself, version "1" (left out for a model served on its own, whose entries are
///    its model's): success and fail are the requests this node's ingress accepted and
///    answered with outputs, or failed (an operator failed, the deadline passed, the graph
///    stopped), with their time from acceptance to answer; requests refused at admission
///    (bad inputs, overloaded) never ran and are not counted. inference_count and
///    execution_count are the completed requests (a graph runs each once). queue is the time
///    calls of its operators waited with complete inputs; compute_infer is the operators'
///    compute time (model operators: their model runs), compute_input and compute_output the
///    model operators' stacking and splitting of batches; each counted once, and their count
///    is the completed requests.
///  - each model version served inside it (name: the model, version: its version), summed
///    over every operator and replica that serves it, wherever they run. Every version the
///    graph serves is listed, with zeros before its first request.
/// hogar has no separate input copy to a device: compute_input is the stacking on the host
/// (the GPU executor's copy counts in compute_infer). Triton's cache_hit/cache_miss (its
/// response cache) have no counterpart and are left out.
void append_statistics(const graph_snapshot& g, std::vector<http::model_statistics>& out) {
  bool own = g.summary.file == onnx::model_graph_file(g.summary.name);
  std::vector<http::model_statistics> models;
  auto entry = [&](const std::string& model, std::int64_t version) -> http::model_statistics& {
    auto v = std::to_string(version);
    for (auto& e : models)
      if (e.name == model && e.version == v)
        return e;
    auto& e = models.emplace_back();
    e.name = model;
    e.version = v;
    return e;
  };
  for (auto& m : g.description.models)
    for (auto v : m.versions)
      entry(m.model, v);
  http::model_statistics graph;
  graph.name = g.summary.name;
  graph.version = "1";
  const auto& in = g.ingress;
  graph.last_inference_ms = in.last_completed_unix_ms;
  graph.inference_count = in.completed;
  graph.execution_count = in.completed;
  graph.success = stat(in.completed, in.completed_ns);
  graph.fail = stat(in.failed + in.timed_out, in.failed_ns);
  std::int64_t queue_ns = 0, input_ns = 0, infer_ns = 0, output_ns = 0;
  for (auto& r : g.replicas) {
    queue_ns += r.stats.queue_ns;
    if (r.kind != "model") {
      infer_ns += r.stats.busy_ns;
      continue;
    }
    for (auto& s : r.stats.model_versions) {
      add_version(entry(s.model, s.version), s);
      for (auto& b : s.batches) {
        input_ns += b.compute_input_ns;
        infer_ns += b.compute_infer_ns;
        output_ns += b.compute_output_ns;
      }
    }
  }
  graph.queue = stat(in.completed, queue_ns);
  graph.compute_input = stat(in.completed, input_ns);
  graph.compute_infer = stat(in.completed, infer_ns);
  graph.compute_output = stat(in.completed, output_ns);
  if (!own)
    out.push_back(std::move(graph));
  for (auto& e : models)
    out.push_back(std::move(e));
}

/// KServe's model configuration of a graph (the mapping is documented on http::model_config);
/// `snap` says which devices its replicas run on.
http::model_config make_config(const graph_metadata& meta, const graph_snapshot& snap) {
  http::model_config c;
  c.name = meta.name;
  // The batch dimension: every input's leading extent is dynamic and only batching model
  // operators read the inputs (see http::model_config).
  bool batched = !meta.inputs.empty();
  for (auto& in : meta.inputs)
    batched = batched && !in.shape.empty() && in.shape.front() < 0;
  std::int64_t max_batch = 0;
  for (auto& op : meta.operators) {
    for (auto& source : op.inputs) {
      bool reads_input = false;
      for (auto& in : meta.inputs)
        reads_input = reads_input || in.name == source;
      if (!reads_input)
        continue;
      if (op.kind != "model" || op.batching_policy.empty())
        batched = false;
      else
        max_batch = max_batch == 0 ? op.max_batch_size : std::min(max_batch, op.max_batch_size);
    }
  }
  c.max_batch_size = batched ? max_batch : 0;
  auto dims = [&](const tensor_decl& t) {
    auto out = to_http(t);
    if (c.max_batch_size > 0 && !out.shape.empty() && out.shape.front() < 0)
      out.shape.erase(out.shape.begin());
    return out;
  };
  for (auto& in : meta.inputs)
    c.inputs.push_back(dims(in));
  for (auto& out : meta.description.outputs)
    c.outputs.push_back(dims(out));
  const operator_config* batching_op = nullptr;
  std::size_t batching_ops = 0;
  for (auto& op : meta.operators) {
    const model_operator_info* model = nullptr;
    for (auto& m : meta.description.models)
      if (m.op == op.op)
        model = &m;
    bool gpu = false;
    for (auto& r : snap.replicas)
      gpu = gpu || (r.op == op.op && r.stats.device == "gpu");
    c.instance_groups.push_back(
      {op.op, gpu ? "KIND_GPU" : "KIND_CPU",
       static_cast<std::int64_t>(op.replicas) * std::max<std::int64_t>(op.instances, 1)});
    if (op.kind == "model") {
      c.parameters.emplace_back("operator." + op.op, operator_details(op, model));
      if (!op.batching_policy.empty()) {
        ++batching_ops;
        batching_op = &op;
      }
    }
  }
  if (batching_ops == 1)
    c.batching = http::model_config::dynamic_batching{batching_op->max_queue_delay_us,
                                                      {batching_op->max_batch_size}};
  if (auto* own = own_model(meta)) {
    c.version_policy = own->version_policy == "all" || own->version_policy == "specific"
                         ? own->version_policy
                         : "latest";
    c.specific_versions = own->policy_versions;
  }
  return c;
}

} // namespace

void node_backend::configuration(const std::string& graph,
                                 std::function<void(result<http::model_config>)> done) {
  // The graph as the node keeps it, then its replicas' figures (the devices they run on).
  ask_async<graph_metadata>(
    sys_, node_,
    [sys = &sys_, node = node_, done](result<graph_metadata> meta) {
      if (!meta)
        return done(meta.error());
      auto name = meta->name;
      ask_async<graph_snapshot>(
        *sys, node,
        [meta = std::move(*meta), done](result<graph_snapshot> snap) {
          if (!snap)
            return done(snap.error());
          done(make_config(meta, *snap));
        },
        status_atom::value, name);
    },
    metadata_atom::value, graph);
}

void node_backend::statistics(
  const std::string& graph, std::function<void(result<std::vector<http::model_statistics>>)> done) {
  auto convert = [done](std::vector<graph_snapshot> graphs) {
    std::vector<http::model_statistics> out;
    for (auto& g : graphs)
      append_statistics(g, out);
    done(std::move(out));
  };
  if (graph.empty()) {
    ask_async<cluster_snapshot>(
      sys_, node_,
      [done, convert](result<cluster_snapshot> snap) {
        if (!snap)
          return done(snap.error());
        convert(std::move(snap->graphs));
      },
      snapshot_atom::value);
    return;
  }
  ask_async<graph_snapshot>(
    sys_, node_,
    [done, convert](result<graph_snapshot> snap) {
      if (!snap)
        return done(snap.error());
      convert({std::move(*snap)});
    },
    status_atom::value, graph);
}

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

void node_backend::tune(const std::string& graph, const std::string& op,
                        std::vector<std::pair<std::string, std::int64_t>> knobs,
                        std::function<void(result<std::string>)> done) {
  knob_request request;
  request.reason = "POST /v2/models/{graph}/tuning";
  for (auto& [name, value] : knobs)
    request.knobs.push_back({name, value});
  ask_async<std::string>(sys_, node_, std::move(done), tune_atom::value, graph, op,
                         std::move(request));
}

void node_backend::repository_reload(const std::string& model,
                                     std::function<void(result<std::string>)> done) {
  ask_async<std::string>(sys_, node_, std::move(done), model_reload_atom::value, model);
}

void node_backend::graph_dot(const std::string& graph,
                             std::function<void(result<std::string>)> done) {
  ask_async<std::string>(sys_, node_, std::move(done), graph_dot_atom::value, graph);
}

namespace {

/// The node's answer to a submit or a remove, as the HTTP front end reports it.
std::function<void(result<graph_summary>)>
as_deployed(std::function<void(result<http::deployed_graph>)> done) {
  return [done = std::move(done)](result<graph_summary> s) {
    if (!s)
      return done(s.error());
    done(http::deployed_graph{s->name, static_cast<std::int64_t>(s->operators),
                              static_cast<std::int64_t>(s->replicas)});
  };
}

} // namespace

void node_backend::submit_graph(std::string yaml, std::string file,
                                std::function<void(result<http::deployed_graph>)> done) {
  ask_async<graph_summary>(sys_, node_, as_deployed(std::move(done)), submit_atom::value,
                           std::move(yaml), std::move(file));
}

void node_backend::remove_graph(const std::string& graph,
                                std::function<void(result<http::deployed_graph>)> done) {
  ask_async<graph_summary>(sys_, node_, as_deployed(std::move(done)), remove_atom::value, graph);
}

std::string node_backend::metrics_text() {
  auto snap = ask<cluster_snapshot>(sys_, node_, snapshot_atom::value);
  return snap ? prometheus_text(*snap) : std::string{"# the node did not answer\n"};
}

std::string node_backend::snapshot_json() {
  // One snapshot at a time: concurrent pages wait for the one in progress and share it.
  std::lock_guard lock{snapshot_mutex_};
  auto now = std::chrono::steady_clock::now();
  if (!snapshot_.empty() && now - snapshot_at_ < snapshot_reuse)
    return snapshot_;
  auto snap = ask<cluster_snapshot>(sys_, node_, snapshot_atom::value);
  if (!snap)
    return std::string{"{\"error\": \"the node did not answer\"}"};
  snapshot_ = to_json(*snap).dump();
  // Its age counts from when it was asked for: a snapshot that waited a second on a stopped
  // node's replicas is already a second old, and the next page's poll asks for a new one.
  snapshot_at_ = now;
  return snapshot_;
}

} // namespace hogar
