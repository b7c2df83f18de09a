// actor_port_middleman.hpp: the actor port's middleman actor. CAF's middleman actor
// (caf::io::middleman_actor_impl) publishes actors and connects to remote ones for
// middleman().publish/remote_actor, and lets a subclass choose how a listening socket and an
// outgoing connection are made (CAF's openssl module uses the same hook for TLS). This one
// makes them actor_port_doorman and actor_port_scribe: the port's limits on every connection,
// TLS with the CA-checked certificates when the port has it. actors/actor_port.hpp sends it
// the same publish and connect requests that CAF's middleman sends its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/io/middleman_actor_impl.hpp>

#include "actors/actor_port_guard.hpp"

namespace hogar {

class actor_port_middleman final : public caf::io::middleman_actor_impl {
public:
  /// `broker`: CAF's BASP broker, which every connection is handed to; `tls`: the actor
  /// system has CAF's openssl module loaded with the port's certificates.
  actor_port_middleman(caf::actor_config& cfg, caf::actor broker,
                       std::shared_ptr<actor_port_guard> guard, bool tls);

  const char* name() const override;

protected:
  /// Connects (blocking: this actor runs on its own thread, as CAF's does) and wraps the
  /// socket in an actor_port_scribe; the BASP handshake follows in the broker.
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             std::uint16_t port) override;

  caf::expected<caf::io::doorman_ptr> open(std::uint16_t port, const char* addr,
                                           bool reuse) override;

private:
  std::shared_ptr<actor_port_guard> guard_;
  bool tls_;
};

} // namespace hogar
