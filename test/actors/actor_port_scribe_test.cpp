// The actor port's connections as CAF's BASP broker sees them (actors/actor_port_scribe.cpp).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>

#include "actors/actor_port_guard.hpp"
#include "actors/actor_port_scribe.hpp"
#include "actors/system_config.hpp"

TEST_CASE("a connection on a reused socket number gets a handle no earlier connection had") {
  // CAF's broker forgets a closed connection by handle, later, from its mailbox: a handle
  // that a newer connection shares would make it forget the newer one's route.
  hogar::system_config cfg;
  cfg.enable_networking(false);
  caf::actor_system sys{cfg};
  auto& mpx = static_cast<caf::io::network::default_multiplexer&>(sys.middleman().backend());
  auto guard = std::make_shared<hogar::actor_port_guard>(hogar::actor_port_limits{},
                                                         [](const std::string&) {});
  std::set<std::int64_t> handles;
  std::set<int> socket_numbers;
  for (int i = 0; i < 8; ++i) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    ::close(fds[1]);
    socket_numbers.insert(fds[0]);
    bool accepted = i % 2 == 1;
    if (accepted)
      REQUIRE(guard->try_admit());
    // Destroying the scribe closes its socket, so the next socketpair gets its number again.
    auto scribe = hogar::make_actor_port_scribe(mpx, fds[0], guard, accepted, "a peer");
    CHECK(scribe->hdl().id() != fds[0]);
    CHECK(handles.insert(scribe->hdl().id()).second);
  }
  CHECK(handles.size() == 8);
  // The kernel handed out freed numbers again: what made CAF's handles collide.
  CHECK(socket_numbers.size() < 8);
  CHECK(guard->connections() == 0);
}
