// system_config.hpp: the actor_system_config every hogar process starts from: registers the
// message types of actors/messages.hpp and hogar's error category, and loads the networking
// modules (CAF's middleman, and its openssl module for mutual TLS).
#pragma once

#include <string>

#include <caf/actor_system_config.hpp>

namespace hogar {

class system_config : public caf::actor_system_config {
public:
  system_config();

  /// A config for deterministic tests: CAF's test coordinator runs jobs one at a time and
  /// time only advances when the test says so.
  static void use_test_coordinator(caf::actor_system_config& cfg);

  /// Loads CAF's io middleman (remote actors over TCP), quiet logging. `direct_connections`
  /// turns on CAF's automatic connections: a process that learns of a node through another
  /// connects to it directly instead of relaying through the third (benchmarks). Daemons leave
  /// it off, their membership connects to every member through the actor port; clients (CLI,
  /// inspector) talk to one daemon only, so that handles of other nodes in an answer open no
  /// connections that shutdown must wait for.
  void enable_networking(bool direct_connections);

  /// Mutual TLS for every connection of the actor port (actors/actor_port.hpp): loads CAF's
  /// openssl module with this process's certificate and key and the cluster's CA, whose
  /// sessions require a verified certificate from the other side. Call after
  /// enable_networking and check the files first (check_tls_files): CAF throws on its I/O
  /// thread when it cannot read them. Turns automatic connections off: CAF opens them as plain
  /// TCP, which a TLS port refuses, so daemons connect to every member themselves.
  void enable_tls(const std::string& certificate, const std::string& key, const std::string& ca);
};

} // namespace hogar
