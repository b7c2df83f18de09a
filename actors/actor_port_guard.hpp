// actor_port_guard.hpp: what every connection of one actor port shares: its limits (message
// size, handshake deadline, connection count), the connections whose handshake is still
// running, and a rate-limited log of what it refused. The doorman, the scribes and the
// watchdog actor of actors/actor_port.cpp each hold it through a shared_ptr.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

namespace hogar {

/// What a peer can make a process hold through its actor port. The daemon's defaults and
/// help texts are in config/node_options.cpp (actor-* keys).
struct actor_port_limits {
  /// Largest BASP message payload a peer may announce once its handshake is done, bytes.
  /// CAF reserves (and zero-fills) the announced size before a byte of it arrives.
  std::size_t max_message_bytes = std::size_t{128} << 20;
  /// Largest payload before the handshake is done, bytes: CAF's handshakes carry a node id
  /// and a few names (a few hundred bytes), so an unauthenticated peer gets no more than this.
  std::size_t max_handshake_bytes = std::size_t{64} << 10;
  /// Time from accept (or connect) until the peer's BASP handshake has arrived, TLS handshake
  /// included, milliseconds. A connection that has not finished by then is closed.
  std::int64_t handshake_timeout_ms = 5'000;
  /// Accepted connections held at once (handshaking or established); more are closed as soon
  /// as they are accepted.
  std::size_t max_connections = 256;
};

/// A connection the guard can close when its handshake deadline passes. Implemented by the
/// scribes of actors/actor_port_scribe.hpp.
class handshake_deadline_target {
public:
  /// Shuts the socket down so that the multiplexer's next read fails and CAF's usual
  /// read-failure path tells the BASP broker and frees the connection. Called from the
  /// watchdog's thread while the guard's lock is held: it must only make a system call.
  virtual void abort_handshake() = 0;

protected:
  ~handshake_deadline_target() = default;
};

/// The watchdog actor checks deadlines when it receives this.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

class actor_port_guard {
public:
  using clock = std::chrono::steady_clock;
  /// Where refusals are reported (one line each, without a trailing newline).
  using log_function = std::function<void(const std::string&)>;

  actor_port_guard(actor_port_limits limits, log_function log);

  const actor_port_limits& limits() const noexcept { return limits_; }

  /// The actor that receives a sweep_atom after each deadline; set once by the actor port
  /// before any connection exists.
  void set_watchdog(caf::actor watchdog);

  /// Counts an accepted connection; false (and nothing counted) when max_connections are held.
  bool try_admit();
  /// An admitted connection is gone.
  void release();
  /// Accepted connections held now.
  std::size_t connections() const;

  /// Starts the handshake deadline of `target`, which must call unwatch() before it is
  /// destroyed (or when its handshake is done).
  void watch(handshake_deadline_target* target, std::string peer);
  void unwatch(handshake_deadline_target* target);
  /// Aborts every watched connection whose deadline passed by `now`; runs on the watchdog.
  void sweep(clock::time_point now);
  /// Connections whose handshake deadline is running.
  std::size_t handshaking() const;

  /// What a note is about: each kind has its own budget, so that a flood of one kind of
  /// refusal cannot hide another.
  enum class note_kind { connection_limit, handshake_timeout, message_size, tls };

  /// Reports a refusal through the log function, at most `notes_per_window` lines of each
  /// kind per `note_window`; the first line of a later window says how many were left out,
  /// so that a flood of bad connections cannot flood the log.
  void note(note_kind kind, const std::string& text);

private:
  static constexpr std::size_t notes_per_window = 10;
  static constexpr auto note_window = std::chrono::seconds(10);

  struct watched {
    clock::time_point deadline;
    std::string peer;
  };

  struct note_budget {
    clock::time_point window_start{};
    std::size_t used = 0;
    std::size_t dropped = 0;
  };

  const actor_port_limits limits_;
  const log_function log_;
  caf::actor watchdog_;

  /// Guards everything below. Held while a sweep aborts connections, so that a scribe that
  /// unwatches itself in its destructor (before its socket is closed) waits for the sweep.
  mutable std::mutex mutex_;
  std::size_t connections_ = 0;
  std::map<handshake_deadline_target*, watched> watched_;
  std::map<note_kind, note_budget> notes_;
};

} // namespace hogar
