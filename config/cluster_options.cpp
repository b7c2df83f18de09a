#include "config/cluster_options.hpp"

#include <boost/program_options/value_semantic.hpp>

namespace po = boost::program_options;

namespace hogar::config {

po::options_description describe(cluster_options& out) {
  po::options_description desc{"cluster options"};
  desc.add_options()
    ("cluster", po::value(&out.cluster)->default_value(out.cluster),
     "HOST:PORT of a daemon's actor port")
    ("json", po::bool_switch(&out.json), "print machine-readable JSON")
    ("timeout-ms", po::value(&out.timeout_ms)->default_value(out.timeout_ms),
     "how long to wait for the daemon (and, for infer, the request's deadline), milliseconds");
  return desc;
}

} // namespace hogar::config
