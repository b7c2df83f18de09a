#include "actors/model_batching.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/errors.hpp"
#include "actors/operator_internal.hpp"
#include "graph/spec.hpp"

namespace hogar::detail {

namespace {

/// CPU time of the calling thread, nanoseconds.
std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// A worker: runs the batches of one executor instance on its own thread.
caf::behavior model_worker(caf::event_based_actor* self, std::size_t instance) {
  // Pool CPU time already counted, per executor: what the pool spent between two batches
  // (its threads spin a while before they sleep) counts with the next batch.
  auto counted = std::make_shared<std::unordered_map<const onnx::executor*, std::int64_t>>();
  return {
    [self, instance, counted](run_batch_atom, model_batch_job& job) {
      auto started = std::chrono::steady_clock::now();
      auto cpu_started = thread_cpu_ns();
      auto& exec = *job.version->executors[instance];
      // Between batches: the pool is this thread's alone now.
      if (exec.intra_op_threads() != job.intra_op_threads)
        exec.set_intra_op_threads(job.intra_op_threads);
      std::vector<const ops::model_request*> requests;
      for (auto& r : job.requests)
        requests.push_back(r.get());
      model_batch_result result;
      result.id = job.id;
      auto out = ops::model_operation::run_batch(*job.version, instance, requests, &result.timing);
      if (out)
        result.outputs = std::move(*out);
      else
        result.error = out.error();
      result.run_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
      auto pool_cpu = exec.pool_cpu_ns();
      auto [seen, fresh] = counted->try_emplace(&exec, 0);
      result.cpu_ns = thread_cpu_ns() - cpu_started + std::max<std::int64_t>(0, pool_cpu - seen->second);
      seen->second = pool_cpu;
      // The replica's mailbox, not a response: the replica may quit meanwhile.
      if (auto parent = caf::actor_cast<caf::actor>(self->current_sender()))
        self->send(parent, std::move(result));
    },
  };
}

/// The policy's view of one queue.
std::vector<scheduling::queued_request> policy_view(const std::deque<waiting_request>& queue) {
  std::vector<scheduling::queued_request> view;
  view.reserve(queue.size());
  for (auto& w : queue)
    view.push_back({w.ready_ns, w.request->items});
  return view;
}

/// The index of a free worker among the active instances, or -1.
int free_worker(const model_runtime& m) {
  for (std::size_t i = 0; i < std::min(m.active_instances, m.busy.size()); ++i)
    if (!m.busy[i])
      return static_cast<int>(i);
  return -1;
}

/// The model version that served at `op`, added to a request's trace.
served_trace with_entry(const served_trace& trace, const std::string& op,
                        const ops::model_version& v) {
  return detail::with_entry(trace, served_by{op, v.model, v.version});
}

/// The figures of version `v` (made on its first request).
model_version_stats& version_stats(model_runtime& m, const ops::model_version& v) {
  for (auto& s : m.version_stats)
    if (s.model == v.model && s.version == v.version)
      return s;
  auto& s = m.version_stats.emplace_back();
  s.model = v.model;
  s.version = v.version;
  return s;
}

/// Counts a request that `v` failed, `ready_ns` being when its inputs were complete.
void count_failure(operator_ptr self, const ops::model_version& v, std::int64_t ready_ns) {
  auto& s = version_stats(*self->state.model, v);
  ++s.fail;
  s.fail_ns += std::max<std::int64_t>(0, now_ns(self) - ready_ns);
}

void fail_request(operator_ptr self, const waiting_request& w, const std::string& message,
                  errc code) {
  // A request that expired in the queue counts in the window too (over any objective): a
  // configuration that lets requests expire must not look faster for it.
  if (auto& m = *self->state.model; m.tuning)
    m.tuning->meter.answered(std::max<std::int64_t>(0, now_ns(self) - w.ready_ns));
  ++self->state.stats.failed;
  count_failure(self, *w.version, w.ready_ns);
  finish(self, w.ctx, w.assigner, edge_state::failed, nullptr, message, w.trace, code);
}

/// Sends `take` requests from the head of `queue` to worker `worker` as one batch; requests
/// whose deadline has passed are answered with an error instead.
void dispatch(operator_ptr self, std::deque<waiting_request>& queue, std::size_t take,
              std::size_t worker, std::int64_t now) {
  auto& st = self->state;
  auto& m = *st.model;
  running_batch batch;
  model_batch_job job;
  for (std::size_t i = 0; i < take; ++i) {
    auto w = std::move(queue.front());
    queue.pop_front();
    --m.waiting;
    if (w.ctx->deadline_ns != 0 && now > w.ctx->deadline_ns) {
      fail_request(self, w,
                   fmt::format("operator '{}' did not start before the request's deadline",
                               st.node->spec->name),
                   errc::deadline_exceeded);
      continue;
    }
    auto& vs = version_stats(m, *w.version);
    ++vs.queued;
    vs.queue_ns += std::max<std::int64_t>(0, now - w.ready_ns);
    st.stats.queue_ns += std::max<std::int64_t>(0, now - w.ready_ns);
    batch.items += w.request->items;
    job.requests.push_back(w.request);
    batch.version = w.version;
    batch.requests.push_back(std::move(w));
  }
  if (batch.requests.empty())
    return;
  batch.worker = worker;
  batch.dispatched_ns = now;
  job.id = m.next_batch++;
  job.version = batch.version;
  job.intra_op_threads = m.intra_op_threads;
  m.busy[worker] = true;
  m.running.emplace(job.id, std::move(batch));
  self->send(m.workers[worker], run_batch_atom::value, std::move(job));
}

std::string versions_summary(const ops::model_versions& set) {
  std::string out;
  for (auto& v : set.versions) {
    if (!out.empty())
      out += ", ";
    out += v->label();
    if (set.versions.size() > 1)
      out += fmt::format(" ({:.0f}%)", 100.0 * static_cast<double>(v->weight) /
                                          static_cast<double>(set.total_weight));
  }
  return out;
}

void start_loader(operator_ptr self) {
  auto& m = *self->state.model;
  m.loading = true;
  m.reload_again = false;
  auto parent = caf::actor_cast<caf::actor>(self);
  // The operation lives as long as the loader holds this pointer.
  auto impl = self->state.init.impl;
  auto* op = m.op;
  self->spawn<caf::detached>([parent, impl, op](caf::event_based_actor* loader) {
    loaded_versions loaded;
    auto versions = op->load_versions();
    if (versions)
      loaded.versions = std::move(*versions);
    else
      loaded.error = versions.error();
    loader->send(parent, versions_atom::value, std::move(loaded));
    loader->quit();
  });
}

} // namespace

void start_model_runtime(operator_ptr self, ops::model_operation& op) {
  auto& st = self->state;
  auto m = std::make_unique<model_runtime>();
  m->op = &op;
  const auto& spec = *st.node->spec;
  scheduling::batching_config config;
  if (spec.batching) {
    config.policy = spec.batching->policy;
    config.max_batch_size = spec.batching->max_batch_size;
    config.max_queue_delay_us = spec.batching->max_queue_delay_us;
  }
  config.slo_us = static_cast<std::int64_t>(spec.slo_ms * 1000.0);
  // A model with a fixed batch dimension runs one request at a time.
  if (!op.combines_requests())
    config.max_batch_size = 1;
  // The spec was validated; a policy the validator accepts always exists.
  auto policy = scheduling::make_batching_policy(config);
  m->policy = policy ? std::move(*policy) : nullptr;
  m->active_instances = static_cast<std::size_t>(op.settings().instances);
  m->intra_op_threads = static_cast<std::size_t>(op.settings().intra_op_threads);
  st.stats.batch_size_max = config.max_batch_size;
  st.stats.batch_delay_max_us = config.max_queue_delay_us;
  st.model = std::move(m);
  model_spawn_workers(self);
  start_model_tuning(self);
}

void model_spawn_workers(operator_ptr self) {
  auto& m = *self->state.model;
  while (m.workers.size() < m.active_instances) {
    m.workers.push_back(self->spawn<caf::detached + caf::linked>(model_worker, m.workers.size()));
    m.busy.push_back(false);
  }
}

void model_enqueue(operator_ptr self, const context_ptr& ctx, std::span<edge_value> inputs,
                   const caf::strong_actor_ptr& assigner, std::int64_t ready_ns) {
  auto& st = self->state;
  auto& m = *st.model;
  // The same argument the operation's run() would get: one record per data input.
  std::vector<record_ptr> records(st.node->data_inputs.size());
  for (std::size_t i = 0; i < records.size(); ++i)
    if (inputs[i].state == edge_state::present)
      records[i] = inputs[i].value;
  op_call call{ctx->id, records, self->clock().now()};
  auto trace = merged_trace(inputs);
  const auto& versions = m.op->current();
  auto admitted = m.op->admit(call, *versions);
  if (!admitted) {
    ++st.stats.calls;
    ++st.stats.failed;
    // admit() picks the version before it checks the request: the same pick failed it.
    count_failure(self, *versions->versions[versions->pick(ctx->id)], ready_ns);
    // A request the model cannot take (shape, dtype, NaN) is the client's error.
    finish(self, ctx, assigner, edge_state::failed, nullptr,
           fmt::format("operator '{}' (model) refused request {}: {}", st.node->spec->name,
                       ctx->id, admitted.error().message),
           trace, admitted.error().code);
    return;
  }
  if (m.tuning)
    m.tuning->meter.arrival();
  auto version = versions->versions[admitted->version];
  auto key = fmt::format("{}|{}", fmt::ptr(version.get()), admitted->key);
  auto request = std::make_shared<const ops::model_request>(std::move(*admitted));
  m.queues[key].push_back({ctx, assigner, ready_ns, std::move(trace), std::move(version),
                           std::move(request)});
  ++m.waiting;
  model_dispatch(self);
}

void model_dispatch(operator_ptr self) {
  auto& st = self->state;
  auto& m = *st.model;
  auto now = now_ns(self);
  std::int64_t wake = 0;
  for (;;) {
    int worker = free_worker(m);
    if (worker < 0 || m.waiting == 0)
      break;
    // The queue whose oldest request has waited longest goes first.
    bool dispatched = false;
    std::vector<std::deque<waiting_request>*> order;
    for (auto& [key, queue] : m.queues)
      if (!queue.empty())
        order.push_back(&queue);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) {
      return a->front().ready_ns < b->front().ready_ns;
    });
    for (auto* queue : order) {
      auto view = policy_view(*queue);
      auto decision = m.policy->decide(view, now);
      if (decision.take > 0) {
        dispatch(self, *queue, decision.take, static_cast<std::size_t>(worker), now);
        dispatched = true;
        break;
      }
      if (decision.wake_at_ns && (wake == 0 || *decision.wake_at_ns < wake))
        wake = *decision.wake_at_ns;
    }
    if (!dispatched)
      break;
  }
  for (auto it = m.queues.begin(); it != m.queues.end();)
    it = it->second.empty() ? m.queues.erase(it) : std::next(it);
  if (wake != 0 && (m.wake_at_ns == 0 || wake < m.wake_at_ns)) {
    m.wake_at_ns = wake;
    self->delayed_send(self, std::chrono::nanoseconds{std::max<std::int64_t>(0, wake - now)},
                       batch_wake_atom::value);
  }
}

void model_batch_done(operator_ptr self, model_batch_result& result) {
  auto& st = self->state;
  auto& m = *st.model;
  auto it = m.running.find(result.id);
  if (it == m.running.end())
    return;
  auto batch = std::move(it->second);
  m.running.erase(it);
  m.busy[batch.worker] = false;
  auto now = now_ns(self);
  m.policy->observe(batch.items, now - batch.dispatched_ns);
  st.stats.busy_ns += result.run_ns;
  st.stats.calls += batch.requests.size();
  ++st.stats.batches;
  st.stats.batched_requests += batch.requests.size();
  auto& vs = version_stats(m, *batch.version);
  if (!result.error) {
    ++vs.execution_count;
    vs.last_inference_unix_ms = unix_ms_now();
    auto at = std::find_if(vs.batches.begin(), vs.batches.end(),
                           [&](auto& b) { return b.batch_size >= batch.items; });
    if (at == vs.batches.end() || at->batch_size != batch.items)
      at = vs.batches.insert(at, batch_size_stats{batch.items});
    ++at->count;
    at->compute_input_ns += result.timing.input_ns;
    at->compute_infer_ns += result.timing.infer_ns;
    at->compute_output_ns += result.timing.output_ns;
  }
  const auto& op_name = st.node->spec->name;
  for (std::size_t i = 0; i < batch.requests.size(); ++i) {
    auto& w = batch.requests[i];
    record_call(self, w.ready_ns, now);
    if (m.tuning)
      m.tuning->meter.answered(now - w.ready_ns);
    auto trace = with_entry(w.trace, op_name, *batch.version);
    if (result.error || i >= result.outputs.size()) {
      ++st.stats.failed;
      count_failure(self, *batch.version, w.ready_ns);
      auto why = result.error ? result.error->message : std::string{"the batch lost its outputs"};
      finish(self, w.ctx, w.assigner, edge_state::failed, nullptr,
             fmt::format("operator '{}' (model) failed: {}", op_name, why), trace,
             errc::operator_failed);
      continue;
    }
    ++vs.success;
    vs.success_ns += std::max<std::int64_t>(0, now - w.ready_ns);
    vs.inference_count += static_cast<std::uint64_t>(w.request->items);
    vs.compute_input_ns += result.timing.input_ns;
    vs.compute_infer_ns += result.timing.infer_ns;
    vs.compute_output_ns += result.timing.output_ns;
    finish(self, w.ctx, w.assigner, edge_state::present,
           std::make_shared<const record>(std::move(result.outputs[i])), std::string{}, trace);
  }
  tuning_batch_done(self, batch.items, result.cpu_ns);
  model_dispatch(self);
}

caf::result<std::string> model_reload(operator_ptr self) {
  auto& m = *self->state.model;
  m.reloads.push_back(self->make_response_promise());
  if (m.loading)
    m.reload_again = true;
  else
    start_loader(self);
  return m.reloads.back();
}

void model_versions_loaded(operator_ptr self, loaded_versions& loaded) {
  auto& st = self->state;
  auto& m = *st.model;
  m.loading = false;
  const auto& name = st.node->spec->name;
  auto promises = std::move(m.reloads);
  m.reloads.clear();
  if (loaded.error) {
    // The old versions keep serving: a broken new version never takes traffic.
    for (auto& p : promises)
      p.deliver(make_error(loaded.error->code, loaded.error->message));
  } else {
    auto before = versions_summary(*m.op->current());
    m.op->swap(std::move(loaded.versions));
    auto after = versions_summary(*m.op->current());
    auto summary = before == after
                     ? fmt::format("operator '{}' replica {}: reloaded {}", name, st.init.replica, after)
                     : fmt::format("operator '{}' replica {}: {} -> {}", name, st.init.replica,
                                   before, after);
    for (auto& p : promises)
      p.deliver(summary);
  }
  if (m.reload_again)
    start_loader(self);
}

void model_stats(operator_ptr self, operator_stats& stats) {
  auto& m = *self->state.model;
  stats.queued = m.waiting;
  std::uint64_t running = 0;
  for (auto& [id, batch] : m.running)
    running += batch.requests.size();
  stats.in_flight = stats.joining + m.waiting + running;
  stats.batch_size_max = m.policy->batch_size_limit();
  stats.batch_delay_max_us = m.policy->queue_delay_limit_us();
  const auto& current = *m.op->current();
  stats.versions = versions_summary(current);
  stats.device = std::string{nn::to_string(current.versions.front()->device)};
  stats.model_versions = m.version_stats;
  tuning_stats(self, stats);
}

void model_fail_all(operator_ptr self, const std::string& reason) {
  auto& m = *self->state.model;
  for (auto& [key, queue] : m.queues)
    for (auto& w : queue)
      fail_request(self, w, reason, errc::unavailable);
  for (auto& [id, batch] : m.running)
    for (auto& w : batch.requests)
      fail_request(self, w, reason, errc::unavailable);
  m.queues.clear();
  m.running.clear();
  m.waiting = 0;
}

} // namespace hogar::detail
