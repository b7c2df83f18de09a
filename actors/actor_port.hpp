// actor_port.hpp: how hogar processes reach each other's actors: the daemon publishes its
// node actor on the actor port, and daemons, the CLI and the inspector connect to it. Every
// connection goes through the port's own middleman actor (actor_port_middleman.hpp), so that
// what a peer can make the process hold is bounded (message size, handshake time, connection
// count: actor_port_limits), and, when the actor system was configured with
// system_config::enable_tls, every connection is mutual TLS: a peer without a certificate
// from the cluster's CA is refused during the TLS handshake, before any actor message is read.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/actor_port_guard.hpp"
#include "base/result.hpp"

namespace hogar {

/// The three PEM files of mutual TLS: this process's certificate and private key, and the
/// certificate of the CA that signed every member's and client's certificate. Named after the
/// daemon keys and client flags (tls-certificate, tls-key, tls-ca).
struct tls_files {
  std::string certificate;
  std::string key;
  std::string ca;

  /// Any of the three set: the caller asked for TLS (check_tls_files wants all three).
  bool requested() const noexcept { return !certificate.empty() || !key.empty() || !ca.empty(); }
};

/// Checks the files before CAF sees them (CAF throws on its I/O thread when it cannot load
/// them): all three set and readable, the key unencrypted and matching the certificate, and
/// the certificate signed by the CA. The error names the key and the file.
result<bool> check_tls_files(const tls_files& files);

/// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost): the only addresses an
/// actor port without TLS should listen on.
bool is_loopback(const std::string& host);

class actor_port {
public:
  /// Starts the port's middleman actor in `sys` and makes it the one remote_actor() uses.
  /// TLS is on when `sys` was configured with system_config::enable_tls. `log` receives one
  /// line per refused connection (rate-limited); it may be called from any thread.
  actor_port(caf::actor_system& sys, const actor_port_limits& limits,
             actor_port_guard::log_function log = {});
  /// Stops the middleman actor and the watchdog; connections already handed to CAF's broker
  /// stay until the actor system stops.
  ~actor_port();
  actor_port(const actor_port&) = delete;
  actor_port& operator=(const actor_port&) = delete;

  /// Listens on host:port (port 0: one the kernel picks) and serves `whom` to every peer that
  /// connects; returns the port.
  result<std::uint16_t> publish(const caf::actor& whom, std::uint16_t port,
                                const std::string& host);

  bool tls() const noexcept { return tls_; }
  const actor_port_guard& guard() const noexcept { return *guard_; }

private:
  caf::actor_system& sys_;
  bool tls_;
  std::shared_ptr<actor_port_guard> guard_;
  caf::io::middleman_actor middleman_;
  caf::actor watchdog_;
};

/// The actor published at host:port, through the actor port started in `sys` (its limits,
/// TLS when it has it). Without one, through CAF's middleman (or CAF's openssl module when it
/// is loaded). Waits at most `timeout` for the connection and the handshake.
result<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                std::uint16_t port,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace hogar
