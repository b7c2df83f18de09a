// cluster_options.hpp: the options every cluster command of the CLI shares
// (`hogar submit|list|status|remove|nodes|infer|load`).
#pragma once

#include <cstdint>
#include <string>

#include <boost/program_options/options_description.hpp>

namespace hogar::config {

struct cluster_options {
  /// HOST:PORT of any daemon's actor port.
  std::string cluster = "127.0.0.1:7701";
  bool json = false;
  /// How long to wait for the daemon's answer, milliseconds.
  std::int64_t timeout_ms = 30'000;
};

boost::program_options::options_description describe(cluster_options& out);

} // namespace hogar::config
