#include "actors/cluster_client.hpp"

#include <caf/io/middleman.hpp>

namespace hogar {

result<cluster_client> cluster_client::connect(caf::actor_system& sys, const std::string& host,
                                               std::uint16_t port) {
  auto node = sys.middleman().remote_actor(host, port);
  if (!node)
    return fail(errc::unavailable,
                fmt::format("cannot reach a hogar daemon at {}:{}: {} (is hogard running "
                            "there? its actor-port setting)",
                            host, port, sys.render(node.error())));
  return cluster_client{sys, std::move(*node)};
}

} // namespace hogar
