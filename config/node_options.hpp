// node_options.hpp: the settings of a node daemon (`hogard`). Each is a key of the INI file
// given with --config and also a command-line flag (`--http-port=8702` overrides
// `http-port = 8702` in the file). Names, defaults, units and help live in one table:
// describe(), which --help prints.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options/options_description.hpp>

#include "base/result.hpp"

namespace hogar::config {

/// host:port of a seed node.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct node_options {
  std::string name;
  /// Address every listener binds to: loopback unless told otherwise.
  std::string host = "127.0.0.1";
  std::uint16_t actor_port = 7701;
  /// 0: no HTTP server.
  std::uint16_t http_port = 8701;
  std::vector<endpoint> seeds;
  /// Threads of this node's actor scheduler; also its capacity for placement. 0: one per core.
  std::uint32_t cpu_threads = 0;
  std::uint32_t gpus = 0;
  std::vector<std::string> labels;
  std::int64_t heartbeat_interval_ms = 500;
  /// Missed intervals before a silent member is suspect (twice as many: dead).
  std::uint32_t heartbeat_miss_count = 3;
  std::string log_level = "info";
  /// CAF scheduler: "sharing" (one queue, sleeping threads woken at once: lowest latency for
  /// remote hops, measured in bench/results/cluster_remote.md) or "stealing".
  std::string scheduler_policy = "sharing";
  /// Threads of the HTTP server. A quarter of the cores, at least one: one thread reads
  /// thousands of binary-tensor requests per second, and every thread it has is a core the
  /// actors do not get (measured on 2 cores: 1 thread gave 15% more requests/s than 2).
  std::size_t http_threads = std::max(1u, std::thread::hardware_concurrency() / 4);
  std::size_t http_max_body_bytes = 64 * 1024 * 1024;
  /// How long the HTTP server waits on a client for any read or write, milliseconds.
  std::int64_t http_client_timeout_ms = 30'000;
  /// Arrays and objects nested deeper in a request's JSON are refused (400).
  std::size_t http_json_max_depth = 64;
  /// Threads that parse request bodies over 64 KiB, off the HTTP event loop.
  std::size_t http_parse_threads = 1;
  /// HTTP connections open at once; at the cap those waiting longest for a request make room.
  /// Lowered at start to what the process's open-file limit allows.
  std::size_t http_max_connections = 10'000;
  /// File of bearer tokens HTTP clients must present (one per line); empty: no authentication.
  std::string auth_token_file;
  /// Routes open without a token when auth-token-file is set: health, metrics, dashboard.
  std::vector<std::string> auth_open_endpoints{"health"};
  /// Deadline of a request that names none, milliseconds.
  std::int64_t request_timeout_ms = 30'000;
  /// Requests in flight per graph on this node before new ones are shed (HTTP 503).
  std::size_t max_in_flight = 65'536;
  /// Answers each graph's ingress keeps for feedback (actors/feedback_ledger.hpp): for how
  /// long (0: none are kept, feedback is refused), how many, and how many bytes of tensors.
  std::int64_t feedback_retention_s = 600;
  std::size_t feedback_max_answers = 100'000;
  std::size_t feedback_max_bytes = std::size_t{64} << 20;
  /// ARG recovery (actors/graph_supervisor.hpp): lost replicas are replaced and the requests
  /// in flight run again. Off: a lost replica stays lost and its requests fail at their
  /// deadline (the baseline that bench/recovery measures ARG's overhead against).
  bool recovery = true;
  /// Bytes of request inputs all ingresses of this node keep for replay at most; beyond it
  /// new requests are shed (HTTP 503 with Retry-After), accepted ones are never dropped.
  std::size_t replay_buffer_bytes = std::size_t{1} << 30;
  /// How long SIGTERM waits for in-flight requests before the daemon exits, milliseconds.
  std::int64_t drain_timeout_ms = 10'000;
  /// Folder of versioned ONNX models; empty: none.
  std::string model_repository;

  // The actor port: what a peer can make this daemon hold, and mutual TLS
  // (actors/actor_port.hpp).
  /// Largest actor message a peer may send once connected, bytes (CAF reserves the size a
  /// message announces before its bytes arrive).
  std::size_t actor_max_message_bytes = std::size_t{128} << 20;
  /// Time a new connection has to finish its handshake (TLS included), milliseconds.
  std::int64_t actor_handshake_timeout_ms = 5'000;
  /// Connections from peers held at once; more are closed when accepted.
  std::size_t actor_max_connections = 256;
  /// PEM files of mutual TLS: this node's certificate and key, and the cluster's CA. All
  /// three or none; relative to the daemon's working folder.
  std::string tls_certificate;
  std::string tls_key;
  std::string tls_ca;
};

/// The options table, bound to `out` (for --help and for parsing).
boost::program_options::options_description describe(node_options& out);

/// Parses `hogard` arguments: --config FILE plus flags (flags win over the file). An unknown
/// key, a malformed value or an inconsistent setting is an error naming the key and, for the
/// file, the file. --help sets `help_requested` and returns the help text in `help`.
struct parsed_node_options {
  node_options options;
  bool help_requested = false;
  std::string help;
};
result<parsed_node_options> parse_node_options(int argc, const char* const* argv);

/// "host:port" -> endpoint, or an error naming the text.
result<endpoint> parse_endpoint(const std::string& text);

} // namespace hogar::config
