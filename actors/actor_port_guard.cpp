#include "actors/actor_port_guard.hpp"

#include <vector>

#include <caf/send.hpp>
#include <fmt/format.h>

namespace hogar {

actor_port_guard::actor_port_guard(actor_port_limits limits, log_function log)
  : limits_(limits), log_(std::move(log)) {}

void actor_port_guard::set_watchdog(caf::actor watchdog) {
  std::lock_guard<std::mutex> lock{mutex_};
  watchdog_ = std::move(watchdog);
}

bool actor_port_guard::try_admit() {
  std::lock_guard<std::mutex> lock{mutex_};
  if (connections_ >= limits_.max_connections)
    return false;
  ++connections_;
  return true;
}

void actor_port_guard::release() {
  std::lock_guard<std::mutex> lock{mutex_};
  if (connections_ > 0)
    --connections_;
}

std::size_t actor_port_guard::connections() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return connections_;
}

void actor_port_guard::watch(handshake_deadline_target* target, std::string peer) {
  auto timeout = std::chrono::milliseconds(limits_.handshake_timeout_ms);
  caf::actor watchdog;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    watched_[target] = watched{clock::now() + timeout, std::move(peer)};
    watchdog = watchdog_;
  }
  // One check per connection, just after its deadline: a burst of connections schedules a
  // burst of checks, and each check closes every connection that is due by then.
  if (watchdog)
    caf::delayed_anon_send(watchdog, timeout + std::chrono::milliseconds(5), sweep_atom::value);
}

void actor_port_guard::unwatch(handshake_deadline_target* target) {
  std::lock_guard<std::mutex> lock{mutex_};
  watched_.erase(target);
}

void actor_port_guard::sweep(clock::time_point now) {
  std::vector<std::string> closed;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    for (auto i = watched_.begin(); i != watched_.end();) {
      if (i->second.deadline <= now) {
        i->first->abort_handshake();
        closed.push_back(std::move(i->second.peer));
        i = watched_.erase(i);
      } else {
        ++i;
      }
    }
  }
  for (auto& peer : closed)
    note(note_kind::handshake_timeout,
         fmt::format("closed the connection of {}: no handshake within {} ms "
                     "(actor-handshake-timeout-ms)",
                     peer, limits_.handshake_timeout_ms));
}

std::size_t actor_port_guard::handshaking() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return watched_.size();
}

void actor_port_guard::note(note_kind kind, const std::string& text) {
  if (!log_)
    return;
  std::string dropped_line;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    auto& budget = notes_[kind];
    auto now = clock::now();
    if (now - budget.window_start >= note_window) {
      if (budget.dropped > 0)
        dropped_line = fmt::format("{} more like the next line {} left out of this log",
                                   budget.dropped, budget.dropped == 1 ? "was" : "were");
      budget = note_budget{now, 0, 0};
    }
    if (budget.used >= notes_per_window) {
      ++budget.dropped;
      return;
    }
    ++budget.used;
  }
  if (!dropped_line.empty())
    log_(dropped_line);
  log_(text);
}

} // namespace hogar
