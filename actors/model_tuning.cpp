#include "actors/model_tuning.hpp"

#include <algorithm>
#include <charconv>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/errors.hpp"
#include "actors/operator_internal.hpp"
#include "graph/spec.hpp"

namespace hogar {

namespace {

/// Windows kept for a restarted tuner (a window is a few hundred bytes).
constexpr std::size_t history_max = 20'000;
/// Changes status shows.
constexpr std::size_t changes_max = 16;
/// A tuner that crashes this often within a minute is not started again: the replica serves
/// on with the configuration in force (a tuner that cannot start, or that fails on a window
/// it is taught again at every start, would otherwise loop).
constexpr std::size_t crashes_max = 5;
constexpr std::int64_t crash_window_ns = 60'000'000'000;

/// The canonical name of a knob as a request may spell it, or empty.
std::string canonical_knob(std::string_view name) {
  if (name == "batch_size" || name == "max_batch_size")
    return "batch_size";
  if (name == "queue_delay_us" || name == "max_queue_delay_us")
    return "queue_delay_us";
  if (name == "instances" || name == "intra_op_threads")
    return std::string{name};
  return {};
}

} // namespace

std::string to_string(const std::vector<knob_value>& config) {
  std::string out;
  for (auto& k : config)
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", k.name, k.value);
  return out;
}

result<std::vector<knob_value>> check_knobs(const graph::operator_spec& spec,
                                            const std::vector<knob_value>& knobs) {
  if (spec.kind != "model" || !spec.tuning)
    return fail(errc::invalid_argument,
                fmt::format("operator '{}' has no tuning block: its knobs cannot change while "
                            "it serves (declare their bounds, e.g. `tuning: {{policy: static, "
                            "batch_size: [1, 64]}}`)",
                            spec.name));
  if (knobs.empty())
    return fail(errc::invalid_argument,
                fmt::format("operator '{}': no knob given (batch_size, queue_delay_us, "
                            "instances, intra_op_threads)",
                            spec.name));
  std::vector<knob_value> out;
  for (auto& k : knobs) {
    auto name = canonical_knob(k.name);
    if (name.empty())
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}': unknown knob '{}' (batch_size, queue_delay_us, "
                              "instances, intra_op_threads)",
                              spec.name, k.name));
    auto* bounds = spec.tuning->find(name);
    if (!bounds)
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}': knob '{}' has no bounds in its tuning block, so it "
                              "stays as the graph file sets it",
                              spec.name, name));
    if (k.value < bounds->lo || k.value > bounds->hi)
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}': {}={} is outside the bounds [{}, {}] its tuning "
                              "block declares",
                              spec.name, name, k.value, bounds->lo, bounds->hi));
    if (std::any_of(out.begin(), out.end(), [&](auto& o) { return o.name == name; }))
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}': knob '{}' is given twice", spec.name, name));
    out.push_back({name, k.value});
  }
  return out;
}

result<std::vector<knob_value>> parse_knob_words(const std::vector<std::string>& words) {
  std::vector<knob_value> out;
  for (auto& word : words) {
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(errc::invalid_argument,
                  fmt::format("'{}' is not KEY=VALUE (e.g. batch_size=16)", word));
    knob_value k;
    k.name = word.substr(0, eq);
    auto text = std::string_view{word}.substr(eq + 1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k.value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return fail(errc::invalid_argument,
                  fmt::format("'{}': the value of {} must be an integer, got '{}'", word, k.name,
                              text));
    out.push_back(std::move(k));
  }
  return out;
}

} // namespace hogar

namespace hogar::detail {

namespace {

/// The value of every knob now, tuned or not, in grid order.
std::vector<knob_value> knobs_in_force(const model_runtime& m) {
  return {{"batch_size", m.policy->batch_size_ceiling()},
          {"queue_delay_us", m.policy->queue_delay_limit_us()},
          {"instances", static_cast<std::int64_t>(m.active_instances)},
          {"intra_op_threads", static_cast<std::int64_t>(m.intra_op_threads)}};
}

std::int64_t value_of(const std::vector<knob_value>& knobs, std::string_view name) {
  for (auto& k : knobs)
    if (k.name == name)
      return k.value;
  return 0;
}

/// The values of the tuned knobs (the tuning block's, in grid order): a window's config.
std::vector<std::int64_t> tuned_values(operator_ptr self) {
  std::vector<std::int64_t> out;
  auto all = knobs_in_force(*self->state.model);
  for (auto& knob : self->state.node->spec->tuning->knobs)
    out.push_back(value_of(all, knob.name));
  return out;
}

std::vector<knob_value> named(operator_ptr self, const std::vector<std::int64_t>& values) {
  std::vector<knob_value> out;
  auto& knobs = self->state.node->spec->tuning->knobs;
  for (std::size_t i = 0; i < knobs.size() && i < values.size(); ++i)
    out.push_back({knobs[i].name, values[i]});
  return out;
}

/// Sets checked knobs; records the change when something changed. Returns the configuration
/// in force.
std::string apply(operator_ptr self, const std::vector<knob_value>& knobs,
                  const std::string& reason) {
  auto& m = *self->state.model;
  auto before = knobs_in_force(m);
  auto batch = value_of(before, "batch_size");
  auto delay = value_of(before, "queue_delay_us");
  for (auto& k : knobs) {
    if (k.name == "batch_size")
      batch = k.value;
    else if (k.name == "queue_delay_us")
      delay = k.value;
    else if (k.name == "instances")
      m.active_instances = static_cast<std::size_t>(k.value);
    else if (k.name == "intra_op_threads")
      m.intra_op_threads = static_cast<std::size_t>(k.value);
  }
  // A model with a fixed batch dimension runs one request at a time, whatever is asked.
  if (!m.op->combines_requests())
    batch = 1;
  m.policy->set_limits(batch, delay);
  model_spawn_workers(self);
  auto after = knobs_in_force(m);
  auto& status = m.tuning->status;
  status.config = self->state.node->spec->tuning ? named(self, tuned_values(self)) : after;
  bool changed = false;
  for (std::size_t i = 0; i < after.size(); ++i)
    changed = changed || after[i].value != before[i].value;
  if (changed) {
    status.changes.push_back({unix_ms_now(), status.config, reason});
    if (status.changes.size() > changes_max)
      status.changes.erase(status.changes.begin());
  }
  // New limits may let a queued batch go now.
  model_dispatch(self);
  return to_string(status.config);
}

void spawn_tuner(operator_ptr self) {
  auto& t = *self->state.model->tuning;
  tuner_init init;
  init.config = *t.tuner_config;
  // A restart goes on from the configuration in force.
  init.config.initial = tuned_values(self);
  init.history = t.history;
  init.replica = caf::actor_cast<caf::actor>(self);
  // Its own thread: a refit takes milliseconds (the first window of a new workload level
  // about 100 ms), which should not hold up the scheduler the graph's requests run on.
  t.tuner = self->spawn<caf::detached>(tuner_actor, std::move(init));
  self->monitor(t.tuner);
}

} // namespace

void start_model_tuning(operator_ptr self) {
  auto& st = self->state;
  auto& m = *st.model;
  const auto& spec = *st.node->spec;
  scheduling::window_limits limits;
  if (spec.tuning) {
    limits.requests = static_cast<std::uint64_t>(spec.tuning->window_requests);
    limits.length_ns = spec.tuning->window_ms * 1'000'000;
  }
  m.tuning = std::make_unique<model_tuning>(limits, spec.slo_ms, now_ns(self));
  auto& t = *m.tuning;
  t.status.config = knobs_in_force(m);
  if (!spec.tuning)
    return;
  t.status.policy = spec.tuning->policy;
  // Values the graph file leaves implicit (one instance; intra_op_threads 0: the cores shared
  // among the instances) may lie outside the bounds: the replica starts at the nearest bound.
  std::vector<knob_value> inside;
  auto all = knobs_in_force(m);
  for (auto& knob : spec.tuning->knobs) {
    auto value = value_of(all, knob.name);
    if (value < knob.lo || value > knob.hi)
      inside.push_back({knob.name, std::clamp(value, knob.lo, knob.hi)});
  }
  t.status.config = named(self, tuned_values(self));
  if (!inside.empty())
    apply(self, inside, "start: within the tuning block's bounds");
  t.status.best = t.status.config;
  if (spec.tuning->policy == "static")
    return;  // the knobs move by `hogar tune set` only
  scheduling::tuning_policy_config config;
  config.policy = spec.tuning->policy;
  for (auto& knob : spec.tuning->knobs)
    config.knobs.push_back({knob.name, knob.lo, knob.hi});
  config.points = static_cast<std::size_t>(spec.tuning->points);
  config.weights = {spec.slo_ms, spec.tuning->slo_weight, spec.tuning->cpu_weight_ms};
  // Replicas explore differently: the same seed would move them in lockstep.
  config.seed = static_cast<std::uint64_t>(spec.tuning->seed) * 1'000'003 + st.init.replica;
  t.tuner_config = std::move(config);
  self->set_down_handler([self](caf::down_msg& msg) { tuner_down(self, msg); });
  spawn_tuner(self);
}

void tuning_batch_done(operator_ptr self, std::int64_t items, std::int64_t cpu_ns) {
  auto& m = *self->state.model;
  auto& t = *m.tuning;
  t.meter.batch(items, cpu_ns);
  t.status.operator_cpu_ns += cpu_ns;
  auto now = now_ns(self);
  if (!t.meter.due(now))
    return;
  auto config = self->state.node->spec->tuning ? tuned_values(self) : std::vector<std::int64_t>{};
  auto w = t.meter.close(now, std::move(config));
  auto& last = t.status.last_window;
  last.requests = w.requests;
  last.seconds = w.seconds;
  last.arrival_rate = w.arrival_rate;
  last.mean_latency_ms = w.mean_latency_ms;
  last.p99_latency_ms = w.p99_latency_ms;
  last.slo_violation_fraction = w.slo_violation_fraction;
  last.mean_batch_size = w.mean_batch_size;
  last.cpu_cores = w.cpu_cores;
  last.config = t.status.config;
  ++t.status.windows;
  if (!t.tuner_config)
    return;
  if (t.history.size() >= history_max)
    t.history.erase(t.history.begin(), t.history.begin() + history_max / 10);
  t.history.push_back(w);
  if (t.tuner)
    self->send(t.tuner, tuner_window_atom::value, std::move(w));
}

caf::result<std::string> model_set_knobs(operator_ptr self, const knob_request& request) {
  auto knobs = check_knobs(*self->state.node->spec, request.knobs);
  if (!knobs)
    return make_error(knobs.error().code, knobs.error().message);
  return apply(self, *knobs, request.reason.empty() ? std::string{"set by hand"} : request.reason);
}

void tuner_decided(operator_ptr self, tuner_decision& d) {
  auto& m = *self->state.model;
  if (!m.tuning || self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(m.tuning->tuner))
    return;  // a tuner that was replaced meanwhile
  auto& status = m.tuning->status;
  status.best = named(self, d.best);
  status.tried = d.tried;
  status.tuner_cpu_ns += d.cpu_ns;
  auto knobs = check_knobs(*self->state.node->spec, named(self, d.decision.config));
  if (!knobs)
    return;  // a policy never leaves the grid; if one did, the configuration stays
  apply(self, *knobs, "tuner: " + d.decision.reason);
}

void tuner_down(operator_ptr self, const caf::down_msg& msg) {
  auto& m = *self->state.model;
  if (!m.tuning || msg.source != m.tuning->tuner.address())
    return;
  m.tuning->tuner = nullptr;
  // The replica keeps serving with the configuration in force, and supervises: a crashed
  // tuner is started again from the windows seen so far.
  if (!msg.reason || msg.reason == caf::exit_reason::normal)
    return;
  auto& t = *m.tuning;
  auto now = now_ns(self);
  std::erase_if(t.crashes_ns, [now](auto at) { return now - at > crash_window_ns; });
  t.crashes_ns.push_back(now);
  auto stop = t.crashes_ns.size() >= crashes_max;
  t.status.changes.push_back(
    {unix_ms_now(), t.status.config,
     stop ? fmt::format("tuner crashed {} times within a minute ({}); tuning stopped, the "
                        "configuration in force stays",
                        t.crashes_ns.size(), message_of(msg.reason))
          : fmt::format("tuner crashed ({}); started again", message_of(msg.reason))});
  if (t.status.changes.size() > changes_max)
    t.status.changes.erase(t.status.changes.begin());
  if (stop) {
    t.tuner_config.reset();
    t.status.policy += " (stopped)";
    return;
  }
  ++t.status.tuner_restarts;
  spawn_tuner(self);
}

void tuning_stats(operator_ptr self, operator_stats& stats) {
  auto& m = *self->state.model;
  if (m.tuning)
    stats.tuning = m.tuning->status;
}

} // namespace hogar::detail
