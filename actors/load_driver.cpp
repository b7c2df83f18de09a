#include "actors/load_driver.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/errors.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar {

namespace {

using clock_type = std::chrono::steady_clock;
using done_atom = caf::atom_constant<caf::atom("done")>;
/// Open loop: the next scheduled arrival is due.
using arrive_atom = caf::atom_constant<caf::atom("arrive")>;
/// Time to hand the progress to the plan's callback.
using progress_atom = caf::atom_constant<caf::atom("progress")>;

constexpr auto progress_interval = std::chrono::milliseconds(100);

/// Shared by run_load and the driver actor: only the actor touches it while it runs; run_load
/// reads the report after the actor's done message, which orders the accesses.
struct driver_state {
  load_plan plan;
  load_report report;
  caf::actor target;
  caf::actor waiter;
  clock_type::time_point start;
  std::size_t sent = 0;
  std::size_t failed = 0;
  /// No request will be sent any more; the driver waits for the outstanding answers.
  bool sending_done = false;
  /// Open loop: when the next request is due, nanoseconds since start.
  double next_arrival_ns = 0;
  /// Open loop: draws the inter-arrival times (splitmix64, so that a seed gives the same
  /// schedule on every machine and standard library).
  splitmix64 arrivals{1};

  /// Trace replay: the index of the next gap to use.
  std::size_t trace_next = 0;

  bool open_loop() const { return plan.rate_per_second > 0 || !plan.trace_gaps_s.empty(); }
  bool trace_exhausted() const {
    return !plan.trace_gaps_s.empty() && trace_next > plan.trace_gaps_s.size();
  }

  std::int64_t elapsed_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start)
      .count();
  }

  std::int64_t duration_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(plan.duration).count();
  }

  bool count_reached() const { return plan.requests > 0 && sent >= plan.requests; }

  bool past_duration(double at_ns) const {
    return plan.duration.count() > 0 && at_ns >= static_cast<double>(duration_ns());
  }

  /// The next gap of the trace, or an exponentially distributed gap of a Poisson process
  /// with the plan's rate. Past the trace's last gap, trace_exhausted() turns true.
  double next_gap_ns() {
    if (!plan.trace_gaps_s.empty()) {
      auto i = trace_next++;
      return i < plan.trace_gaps_s.size() ? plan.trace_gaps_s[i] * 1e9 : 0.0;
    }
    return -std::log(1.0 - arrivals.next_unit()) / plan.rate_per_second * 1e9;
  }

  load_progress progress() const {
    return {sent, report.outcomes.size(), failed, std::chrono::nanoseconds(elapsed_ns())};
  }
};

using state_ptr = std::shared_ptr<driver_state>;

/// Stops sending; the send window ends at `window_ns`.
void stop_sending(driver_state& s, std::int64_t window_ns) {
  s.sending_done = true;
  s.report.send_window_ns = window_ns;
}

/// Ends the run once sending is over and every request sent has been answered.
void maybe_finish(caf::event_based_actor* self, driver_state& s) {
  if (!s.sending_done || s.report.outcomes.size() < s.sent)
    return;
  s.report.wall_ns = s.elapsed_ns();
  if (s.plan.on_progress)
    s.plan.on_progress(s.progress());
  self->send(s.waiter, done_atom::value);
  self->quit();
}

/// Sends the next request; `offset_ns` is now, as the caller read it, and `scheduled_ns` when
/// the schedule meant it to go.
void send_one(caf::event_based_actor* self, const state_ptr& shared, std::int64_t offset_ns,
              std::int64_t scheduled_ns);

/// Closed loop: sends the next request unless a limit says stop.
void closed_loop_next(caf::event_based_actor* self, const state_ptr& shared) {
  auto& s = *shared;
  if (s.sending_done)
    return;
  auto now = s.elapsed_ns();
  if (s.count_reached())
    stop_sending(s, s.report.send_window_ns);
  else if (s.past_duration(static_cast<double>(now)))
    stop_sending(s, s.duration_ns());
  else
    send_one(self, shared, now, now);
}

/// Open loop: sends every request whose arrival is due (all of them at once when the actor
/// ran late, so that the schedule and not the machine's load sets the count), then asks to be
/// woken at the next arrival.
void open_loop_arrivals(caf::event_based_actor* self, const state_ptr& shared) {
  auto& s = *shared;
  auto now = static_cast<double>(s.elapsed_ns());
  while (!s.sending_done) {
    if (s.count_reached() || s.trace_exhausted()) {
      stop_sending(s, s.report.send_window_ns);
    } else if (s.past_duration(s.next_arrival_ns)) {
      stop_sending(s, s.duration_ns());
    } else if (s.next_arrival_ns <= now) {
      send_one(self, shared, s.elapsed_ns(), static_cast<std::int64_t>(s.next_arrival_ns));
      s.next_arrival_ns += s.next_gap_ns();
    } else {
      auto wait = std::chrono::nanoseconds(static_cast<std::int64_t>(s.next_arrival_ns - now));
      self->delayed_send(self, wait, arrive_atom::value);
      return;
    }
  }
  maybe_finish(self, s);
}

void send_one(caf::event_based_actor* self, const state_ptr& shared, std::int64_t offset_ns,
              std::int64_t scheduled_ns) {
  auto& s = *shared;
  auto index = s.sent++;
  // Until sending stops, the window reaches to the latest send.
  s.report.send_window_ns = offset_ns;
  infer_request req{s.plan.inputs[index % s.plan.inputs.size()], s.plan.timeout_ms, {}};
  // The ingress answers every accepted request itself, deadline included; this timeout only
  // guards against a target that is gone.
  auto guard = std::chrono::milliseconds(s.plan.timeout_ms > 0 ? 2 * s.plan.timeout_ms + 5000
                                                               : 600'000);
  auto on_done = [self, shared, index, offset_ns, scheduled_ns](bool ok, std::string error,
                                                  infer_reply* reply) {
    auto& s = *shared;
    request_outcome outcome;
    outcome.index = index;
    outcome.send_offset_ns = offset_ns;
    outcome.scheduled_offset_ns = std::min(scheduled_ns, offset_ns);
    outcome.latency_ns = s.elapsed_ns() - offset_ns;
    outcome.ok = ok;
    outcome.error = std::move(error);
    if (!ok)
      ++s.failed;
    if (reply != nullptr && index < s.plan.keep_replies)
      outcome.reply = std::move(*reply);
    s.report.outcomes.push_back(std::move(outcome));
    if (!s.open_loop())
      closed_loop_next(self, shared);
    maybe_finish(self, s);
  };
  auto on_reply = [on_done](infer_reply& reply) { on_done(true, {}, &reply); };
  auto on_error = [on_done](caf::error& err) { on_done(false, message_of(err), nullptr); };
  if (s.plan.graph.empty())
    self->request(s.target, guard, infer_atom::value, std::move(req)).then(on_reply, on_error);
  else
    self->request(s.target, guard, infer_atom::value, s.plan.graph, std::move(req))
      .then(on_reply, on_error);
}

caf::behavior driver(caf::event_based_actor* self, state_ptr shared) {
  auto& s = *shared;
  s.start = clock_type::now();
  if (s.plan.on_progress)
    self->delayed_send(self, progress_interval, progress_atom::value);
  if (s.open_loop()) {
    // A Poisson process's first arrival is one gap after the start, like every other.
    s.next_arrival_ns = s.next_gap_ns();
    open_loop_arrivals(self, shared);
  } else {
    auto window = std::max<std::size_t>(s.plan.concurrency, 1);
    if (s.plan.requests > 0)
      window = std::min(window, s.plan.requests);
    for (std::size_t i = 0; i < window && !s.sending_done; ++i)
      closed_loop_next(self, shared);
    maybe_finish(self, s);
  }
  return {
    [self, shared](arrive_atom) { open_loop_arrivals(self, shared); },
    [self, shared](progress_atom) {
      shared->plan.on_progress(shared->progress());
      self->delayed_send(self, progress_interval, progress_atom::value);
    },
  };
}

} // namespace

std::size_t load_report::failures() const {
  std::size_t n = 0;
  for (auto& o : outcomes)
    n += o.ok ? 0 : 1;
  return n;
}

double load_report::requests_per_second() const {
  return wall_ns > 0 ? static_cast<double>(outcomes.size()) * 1e9 / static_cast<double>(wall_ns)
                     : 0.0;
}

double load_report::sent_per_second() const {
  return send_window_ns > 0
           ? static_cast<double>(outcomes.size()) * 1e9 / static_cast<double>(send_window_ns)
           : 0.0;
}

std::vector<std::int64_t> load_report::latencies_ns() const {
  std::vector<std::int64_t> out;
  out.reserve(outcomes.size());
  for (auto& o : outcomes)
    if (o.ok)
      out.push_back(o.latency_ns);
  return out;
}

load_report run_load(caf::actor_system& sys, const caf::actor& target, load_plan plan) {
  if (plan.inputs.empty() ||
      (plan.requests == 0 && plan.duration.count() <= 0 && plan.trace_gaps_s.empty()))
    return {};
  auto shared = std::make_shared<driver_state>();
  shared->plan = std::move(plan);
  shared->arrivals = splitmix64{shared->plan.seed};
  shared->target = target;
  if (shared->plan.requests > 0)
    shared->report.outcomes.reserve(shared->plan.requests);
  caf::scoped_actor waiter{sys};
  shared->waiter = caf::actor_cast<caf::actor>(waiter);
  sys.spawn(driver, shared);
  waiter->receive([](done_atom) {});
  return std::move(shared->report);
}

} // namespace hogar
