#include "actors/load_driver.hpp"

#include <chrono>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/errors.hpp"

namespace hogar {

namespace {

using clock_type = std::chrono::steady_clock;
using done_atom = caf::atom_constant<caf::atom("done")>;

struct driver_shared {
  load_plan plan;
  load_report report;
  std::size_t sent = 0;
  clock_type::time_point start;
};

void send_next(caf::event_based_actor* self, const std::shared_ptr<driver_shared>& shared,
               const caf::actor& ingress, const caf::actor& waiter) {
  auto& s = *shared;
  auto index = s.sent++;
  infer_request req{s.plan.inputs[index % s.plan.inputs.size()], s.plan.timeout_ms};
  auto sent_at = clock_type::now();
  // The ingress answers every accepted request itself, deadline included; this timeout only
  // guards against an ingress that is gone.
  auto guard = std::chrono::milliseconds(s.plan.timeout_ms > 0 ? 2 * s.plan.timeout_ms + 5000
                                                               : 600'000);
  auto on_done = [self, shared, ingress, waiter, index, sent_at](bool ok, std::string error,
                                                                 infer_reply* reply) {
    auto& s = *shared;
    request_outcome outcome;
    outcome.index = index;
    outcome.latency_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - sent_at).count();
    outcome.ok = ok;
    outcome.error = std::move(error);
    if (reply != nullptr && index < s.plan.keep_replies)
      outcome.reply = std::move(*reply);
    s.report.outcomes.push_back(std::move(outcome));
    if (s.sent < s.plan.requests) {
      send_next(self, shared, ingress, waiter);
    } else if (s.report.outcomes.size() == s.plan.requests) {
      s.report.wall_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - s.start)
          .count();
      self->send(waiter, done_atom::value);
      self->quit();
    }
  };
  self->request(ingress, guard, infer_atom::value, std::move(req))
    .then([on_done](infer_reply& reply) { on_done(true, {}, &reply); },
          [on_done](caf::error& err) { on_done(false, message_of(err), nullptr); });
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

std::vector<std::int64_t> load_report::latencies_ns() const {
  std::vector<std::int64_t> out;
  out.reserve(outcomes.size());
  for (auto& o : outcomes)
    if (o.ok)
      out.push_back(o.latency_ns);
  return out;
}

load_report run_load(caf::actor_system& sys, const caf::actor& ingress, load_plan plan) {
  if (plan.requests == 0 || plan.inputs.empty())
    return {};
  auto shared = std::make_shared<driver_shared>();
  shared->plan = std::move(plan);
  shared->report.outcomes.reserve(shared->plan.requests);
  caf::scoped_actor waiter{sys};
  auto waiter_handle = caf::actor_cast<caf::actor>(waiter);
  sys.spawn([shared, ingress, waiter_handle](caf::event_based_actor* self) {
    shared->start = clock_type::now();
    auto initial = std::min(shared->plan.concurrency, shared->plan.requests);
    for (std::size_t i = 0; i < std::max<std::size_t>(initial, 1); ++i)
      send_next(self, shared, ingress, waiter_handle);
  });
  waiter->receive([](done_atom) {});
  return std::move(shared->report);
}

} // namespace hogar
