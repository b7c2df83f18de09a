// actor_port_doorman.hpp: the listening socket of the actor port. Like CAF's doorman_impl, it
// hands each accepted connection to the BASP broker, but as an actor_port_scribe (limits and
// handshake deadline; TLS when the port has it), and it holds at most max_connections: one
// more is closed as soon as it is accepted. When the process is out of file descriptors,
// CAF's acceptor would find the listening socket readable forever and spin; this one keeps a
// spare descriptor, frees it to accept and close the waiting connection, and takes it back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>

#include "actors/actor_port_guard.hpp"

namespace hogar {

/// The accept policy of the doorman's acceptor (caf::io::network::acceptor_impl).
class actor_port_accept_policy {
public:
  explicit actor_port_accept_policy(std::shared_ptr<actor_port_guard> guard);
  ~actor_port_accept_policy();
  actor_port_accept_policy(const actor_port_accept_policy&) = delete;
  actor_port_accept_policy& operator=(const actor_port_accept_policy&) = delete;

  /// Accepts one connection into `result` (invalid_native_socket when none was waiting).
  /// False only on an error of the listening socket itself.
  bool try_accept(caf::io::network::native_socket& result,
                  caf::io::network::native_socket listener);

private:
  std::shared_ptr<actor_port_guard> guard_;
  /// A descriptor on /dev/null, given up for a moment when accept fails with EMFILE/ENFILE.
  int spare_fd_ = -1;
};

class actor_port_doorman final : public caf::io::doorman {
public:
  /// `listener` is a bound, listening socket; `tls`: connections speak TLS (the actor system
  /// has CAF's openssl module loaded with the port's certificates).
  actor_port_doorman(caf::io::network::default_multiplexer& mpx,
                     caf::io::network::native_socket listener,
                     std::shared_ptr<actor_port_guard> guard, bool tls);

  bool new_connection() override;
  void graceful_shutdown() override;
  void launch() override;
  std::string addr() const override;
  std::uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;

private:
  std::shared_ptr<actor_port_guard> guard_;
  bool tls_;
  caf::io::network::acceptor_impl<actor_port_accept_policy> acceptor_;
};

} // namespace hogar
