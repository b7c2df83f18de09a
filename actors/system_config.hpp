// system_config.hpp: the actor_system_config every hogar process starts from: registers the
// message types of actors/messages.hpp and hogar's error category.
#pragma once

#include <caf/actor_system_config.hpp>

namespace hogar {

class system_config : public caf::actor_system_config {
public:
  system_config();

  /// A config for deterministic tests: CAF's test coordinator runs jobs one at a time and
  /// time only advances when the test says so.
  static void use_test_coordinator(caf::actor_system_config& cfg);

  /// Loads CAF's io middleman (remote actors over TCP), quiet logging. Daemons pass
  /// `direct_connections`: every pair of nodes connects directly instead of relaying through
  /// a third. Clients (CLI, inspector) talk to one daemon only and leave it off, so that
  /// handles of other nodes in an answer open no connections that shutdown must wait for.
  void enable_networking(bool direct_connections);
};

} // namespace hogar
