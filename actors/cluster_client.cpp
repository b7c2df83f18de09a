#include "actors/cluster_client.hpp"

#include "actors/actor_port.hpp"

namespace hogar {

result<cluster_client> cluster_client::connect(caf::actor_system& sys, const std::string& host,
                                               std::uint16_t port) {
  auto node = remote_actor(sys, host, port);
  if (!node)
    return fail(errc::unavailable,
                fmt::format("cannot reach a hogar daemon at {}:{}: {} (is hogard running "
                            "there? its actor-port setting; with TLS on either side, both need "
                            "tls-certificate, tls-key and tls-ca from the same CA)",
                            host, port, node.error().message));
  return cluster_client{sys, std::move(*node)};
}

} // namespace hogar
