#include "config/cluster_options.hpp"

#include <cstdlib>

#include <boost/program_options/value_semantic.hpp>

namespace po = boost::program_options;

namespace hogar::config {

namespace {

std::string from_environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string{value} : std::string{};
}

} // namespace

po::options_description describe(cluster_options& out) {
  po::options_description desc{"cluster options"};
  desc.add_options()
    ("cluster", po::value(&out.cluster)->default_value(out.cluster),
     "HOST:PORT of a daemon's actor port")
    ("json", po::bool_switch(&out.json), "print machine-readable JSON")
    ("timeout-ms", po::value(&out.timeout_ms)->default_value(out.timeout_ms),
     "how long to wait for the daemon (and, for infer, the request's deadline), milliseconds");
  desc.add(describe(out.tls));
  return desc;
}

po::options_description describe(client_tls_options& out) {
  out.certificate = from_environment("HOGAR_TLS_CERTIFICATE");
  out.key = from_environment("HOGAR_TLS_KEY");
  out.ca = from_environment("HOGAR_TLS_CA");
  po::options_description desc{"mutual TLS (when the daemons have tls-* keys)"};
  desc.add_options()
    ("tls-certificate", po::value(&out.certificate)->default_value(out.certificate),
     "PEM certificate of this client, signed by the cluster's CA (default: "
     "$HOGAR_TLS_CERTIFICATE)")
    ("tls-key", po::value(&out.key)->default_value(out.key),
     "PEM private key of --tls-certificate (default: $HOGAR_TLS_KEY)")
    ("tls-ca", po::value(&out.ca)->default_value(out.ca),
     "PEM certificate of the cluster's CA, which the daemon's certificate must come from "
     "(default: $HOGAR_TLS_CA)");
  return desc;
}

} // namespace hogar::config
