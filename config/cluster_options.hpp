// cluster_options.hpp: the options every cluster command of the CLI shares
// (`hogar submit|list|status|remove|nodes|infer|load|model ...`), and the TLS flags that the
// inspector (`hogar-inspect`) takes too.
#pragma once

#include <cstdint>
#include <string>

#include <boost/program_options/options_description.hpp>

namespace hogar::config {

/// The client's side of mutual TLS on the actor port: its certificate and key, signed by the
/// cluster's CA, and that CA. All three or none; defaults from $HOGAR_TLS_CERTIFICATE,
/// $HOGAR_TLS_KEY and $HOGAR_TLS_CA, so that a shell set up once talks to a TLS cluster.
struct client_tls_options {
  std::string certificate;
  std::string key;
  std::string ca;
};

struct cluster_options {
  /// HOST:PORT of any daemon's actor port.
  std::string cluster = "127.0.0.1:7701";
  bool json = false;
  /// How long to wait for the daemon's answer, milliseconds.
  std::int64_t timeout_ms = 30'000;
  client_tls_options tls;
};

boost::program_options::options_description describe(cluster_options& out);

/// --tls-certificate, --tls-key and --tls-ca, bound to `out` (defaults from the environment).
boost::program_options::options_description describe(client_tls_options& out);

} // namespace hogar::config
