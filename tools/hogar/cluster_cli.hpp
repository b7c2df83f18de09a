// cluster_cli.hpp: what the cluster commands of the CLI share (defined in
// cluster_commands.cpp): parsing the common options, the connection to a daemon, and the
// request inputs of `infer` and `load` (--input, or random tensors of the declared inputs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>

#include "actors/actor_port.hpp"
#include "actors/cluster_client.hpp"
#include "actors/system_config.hpp"
#include "config/cluster_options.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"
#include "tools/hogar/commands.hpp"

namespace hogar::cli {

/// `hogar load GRAPH ...`: the load generator (load_command.cpp); cluster_command dispatches it.
int load_command(const args& argv);

/// Parsed arguments of one cluster command: common options plus up to one positional.
struct command_line {
  config::cluster_options cluster;
  std::string positional;
  /// Positionals after the first, where the command takes them (parse's `rest_name`).
  std::vector<std::string> rest;
  boost::program_options::variables_map vm;
};

/// Parses argv with the common options plus `extra`; `positional_name` empty: none taken.
/// Returns nullopt after printing help or a usage error (exit status in `status`).
/// `rest_name` non-empty: further positionals are taken into `rest`.
std::optional<command_line> parse(const args& argv, const std::string& usage,
                                  const std::string& positional_name,
                                  boost::program_options::options_description extra,
                                  int& status, const std::string& rest_name = {});

/// `hogar tune set|show ...`: live knobs of model operators (tune_command.cpp).
int tune_command(const args& argv);

/// An actor system for talking to daemons, its actor port, and the connection (declared in
/// the order they are built; destroyed in reverse).
struct session {
  system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::optional<actor_port> port;
  std::optional<cluster_client> client;

  /// Connects to the daemon at options.cluster (HOST:PORT), over mutual TLS when the
  /// options name certificates; the error names the address or the flag.
  result<bool> open(const config::cluster_options& options);
};

/// Prints "error: ..." on stderr; returns exit status 1.
int report(const error_info& err);

/// The request of an --input flag: KServe v2 JSON inline, or @FILE; errors name the origin.
result<record> parse_input_flag(const std::string& input);

/// `count` distinct random requests for the inputs graph `graph` declares, asked of the
/// daemon (status_atom); the error names the graph when it is not deployed. Request i, input
/// k is seeded with seed * 7919 + i * 31 + k, so request 0 is what `hogar infer` sends.
result<std::vector<record>> random_inputs(cluster_client& client, const std::string& graph,
                                          std::int64_t timeout_ms, std::uint64_t seed,
                                          std::size_t count);

} // namespace hogar::cli
