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

  /// Loads CAF's io middleman (remote actors over TCP) with the settings daemons and their
  /// clients share: direct connections between every pair of nodes (messages to a third node
  /// are not relayed), quiet logging.
  void enable_networking();
};

} // namespace hogar
