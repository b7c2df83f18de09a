// actor_port_scribe.hpp: one connection of the actor port, plain TCP (CAF's scribe_impl) or
// TLS (actor_port_tls_scribe), with the port's limits on top. CAF's BASP broker reads a
// 32-byte header, then asks the scribe (configure_read) for exactly the payload size the
// header announces, and the stream reserves and zero-fills that much at once: a peer that
// announces 4 GiB makes the process hold 4 GiB. This scribe refuses such a request instead
// (over actor-max-message-bytes, or over a small bound while the handshake is not done),
// and runs the handshake deadline: from the first read until the peer's BASP handshake has
// arrived (TLS included), the port's guard may close it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <caf/io/basp/message_type.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/scribe_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/openssl/session.hpp>

#include "actors/actor_port_guard.hpp"
#include "actors/actor_port_tls_scribe.hpp"

namespace hogar {

/// Base is caf::io::network::scribe_impl or actor_port_tls_scribe; both keep their stream in
/// a protected `stream_`.
template <class Base>
class actor_port_scribe final : public Base, public handshake_deadline_target {
public:
  /// `accepted`: the connection came through the port's doorman (counted against
  /// max_connections, released here); otherwise this process connected out. `peer` names the
  /// other end in log lines. `xs` construct Base.
  template <class... Ts>
  actor_port_scribe(std::shared_ptr<actor_port_guard> guard, bool accepted, std::string peer,
                    Ts&&... xs);
  ~actor_port_scribe() override;

  void configure_read(caf::io::receive_policy::config config) override;
  bool consume(caf::execution_unit* ctx, const void* buf, std::size_t num_bytes) override;
  void abort_handshake() override;

private:
  /// Lifecycle of the connection as the limits see it.
  enum class phase {
    /// Until the peer's handshake message has arrived: the deadline runs and payloads are
    /// bounded by max_handshake_bytes.
    handshaking,
    /// The peer is a BASP node: payloads are bounded by max_message_bytes.
    established,
    /// A limit was hit: the socket is shut down and every further read closes the connection.
    refused,
  };

  /// Payload buffers larger than this are given back after their message: the stream only
  /// ever shrinks a vector's size, so one large message would otherwise stay allocated for
  /// the connection's lifetime.
  static constexpr std::size_t keep_buffer_bytes = std::size_t{1} << 20;

  void on_message(caf::io::basp::message_type operation);
  void refuse(std::size_t announced, std::size_t limit);
  void stop_watching();

  std::shared_ptr<actor_port_guard> guard_;
  const bool accepted_;
  const std::string peer_;
  phase phase_ = phase::handshaking;
  bool watched_ = false;
  /// Whether the next read is a BASP header, and the operation whose payload comes next.
  bool expecting_header_ = true;
  caf::io::basp::message_type pending_operation_ = caf::io::basp::message_type::heartbeat;
};

/// A plain TCP connection of the actor port.
caf::io::scribe_ptr make_actor_port_scribe(caf::io::network::default_multiplexer& mpx,
                                           caf::io::network::native_socket fd,
                                           std::shared_ptr<actor_port_guard> guard,
                                           bool accepted, std::string peer);

/// A TLS connection of the actor port; `session` has started SSL_accept (accepted) or
/// SSL_connect on `fd`.
caf::io::scribe_ptr make_actor_port_tls_scribe(caf::io::network::default_multiplexer& mpx,
                                               caf::io::network::native_socket fd,
                                               caf::openssl::session_ptr session,
                                               std::shared_ptr<actor_port_guard> guard,
                                               bool accepted, std::string peer);

/// "ADDRESS:PORT" of the other end of a connected socket, for log lines.
std::string peer_of(caf::io::network::native_socket fd);

} // namespace hogar
